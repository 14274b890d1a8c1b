"""How problems print: the path as given, one line for one problem, long lists capped per kind."""

from __future__ import annotations

from rationalize.errors import DataError, DataErrors, MissingSplitError, format_problems


def test_the_path_is_printed_as_given():
    assert str(DataError("runs/bad/deep/test.jsonl", 6, "annotation_id", "is missing")) == (
        "runs/bad/deep/test.jsonl:6: annotation_id is missing")
    assert str(DataError("", None, None, "is empty")) == "<input>: is empty"


def test_one_problem_is_one_line():
    one = DataErrors([DataError("r.jsonl", None, None, "has no results lines")])
    assert str(one) == "r.jsonl: has no results lines"


def test_many_problems_are_capped_per_kind_with_counts():
    errors = [DataError("t.jsonl", i, f"evidences[{i}][0].end_token", 
                        f"{1000 + i} is past the end of 'd{i}' (8 tokens)")
              for i in range(1, 8901)]
    errors.insert(3, DataError("t.jsonl", 3, None, "is not valid JSON (Expecting value at column 1)"))
    text = str(DataErrors(errors))
    lines = text.splitlines()
    assert lines[0] == "8901 problems found:"
    assert lines[1:7] == [f"  {e}" for e in errors[:6]]  # the first 5 of one kind and the only one of the other
    assert lines[7] == "  8895 more not shown (the first 5 of each kind are); problems by kind:"
    assert lines[8].split() == ["8900", "evidences[][].end_token", "…", "is", "past", "the", "end", "of", "…",
                                "(…", "tokens)"]
    assert lines[9].split()[0] == "1" and len(lines) == 10
    assert len(format_problems(errors, per_kind=None)) == 8901


def test_a_missing_split_is_a_key_error_with_a_plain_message():
    exc = MissingSplitError("movies", "tset", ["train", "val", "test"])
    assert isinstance(exc, KeyError)
    assert str(exc) == "dataset 'movies' has no split 'tset' (it has: train, val, test)"
    assert str(exc.args[0]) == str(exc)  # what callers that catch KeyError print
