"""``rationalize data validate`` / ``convert``: one corrupted fixture per validation error class."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.data import load_eraser
from rationalize.data.validate import validate
from rationalize.errors import DataErrors
from tests.data._paths import messages

FIX = Path(__file__).parent / "fixtures"
runner = CliRunner()


@pytest.fixture
def small(tmp_path):
    root = tmp_path / "small"
    shutil.copytree(FIX / "eraser_small", root)
    return root


def edit(root: Path, name: str, line: int, change) -> None:
    """Apply ``change`` to the JSON record on ``line`` of ``name`` (a string replaces the line)."""
    f = root / name
    lines = f.read_text().splitlines()
    rec = json.loads(lines[line - 1])
    new = change(rec)
    lines[line - 1] = new if isinstance(new, str) else json.dumps(rec)
    f.write_text("\n".join(lines) + "\n")


def ev(rec, group=0, i=0):
    return rec["evidences"][group][i]


CASES = {
    "json_syntax": (lambda r: edit(r, "train.jsonl", 2, lambda rec: '{"annotation_id": "d2",'),
                    "train.jsonl:2: is not valid JSON (Expecting property name enclosed in double quotes at column 24)"),
    "missing_field": (lambda r: edit(r, "train.jsonl", 1, lambda rec: rec.pop("annotation_id") and None),
                      "train.jsonl:1: annotation_id is missing"),
    "wrong_type": (lambda r: edit(r, "train.jsonl", 1, lambda rec: rec.update(classification=1)),
                   "train.jsonl:1: classification must be a string, got int"),
    "evidences_type": (lambda r: edit(r, "train.jsonl", 1, lambda rec: rec.update(evidences="good")),
                       "train.jsonl:1: evidences must be a list of evidence groups (a list of lists)"),
    "offset_past_end": (lambda r: edit(r, "train.jsonl", 1, lambda rec: ev(rec).update(end_token=1000000)),
                        "train.jsonl:1: evidences[0][0].end_token 1000000 is past the end of d1 (8 tokens)"),
    "offset_negative": (lambda r: edit(r, "train.jsonl", 1, lambda rec: ev(rec).update(start_token=-1)),
                        "train.jsonl:1: evidences[0][0].start_token -1 is negative"),
    "offset_reversed": (lambda r: edit(r, "train.jsonl", 2, lambda rec: ev(rec, 1).update(end_token=4)),
                        "train.jsonl:2: evidences[1][0].end_token 4 is before start_token 5"),
    "evidence_text": (lambda r: edit(r, "train.jsonl", 1, lambda rec: ev(rec).update(text="great")),
                      "train.jsonl:1: evidences[0][0].text 'great' differs from the document tokens 1:2 'good'"),
    "sentence_range": (lambda r: edit(r, "train.jsonl", 1, lambda rec: ev(rec).update(end_sentence=5)),
                       "train.jsonl:1: evidences[0][0].start_sentence sentence range 0:5 is outside d1 (2 sentences)"),
    "sentence_mismatch": (lambda r: edit(r, "train.jsonl", 2, lambda rec: ev(rec, 1).update(start_sentence=0, end_sentence=1)),
                          "train.jsonl:2: evidences[1][0].start_sentence sentences 0:1 do not contain tokens 5:7"),
    "duplicate_id": (lambda r: edit(r, "val.jsonl", 1, lambda rec: rec.update(annotation_id="d1")),
                     "val.jsonl:1: annotation_id 'd1' duplicates train.jsonl:1"),
    "missing_document": (lambda r: (r / "docs" / "d3").unlink(),
                         "val.jsonl:1: evidences[0][0].docid names document 'd3', which is not in docs"),
    "missing_docids_document": (lambda r: edit(r, "val.jsonl", 1, lambda rec: rec.update(docids=["d3", "d9"])),
                                "val.jsonl:1: docids names document 'd9', which is not in docs"),
    "empty_document": (lambda r: (r / "docs" / "d3").write_text(""),
                       "val.jsonl:1: docids names document 'd3', which is empty"),
    "not_utf8_document": (lambda r: (r / "docs" / "d3").write_bytes(b"fine \xff acting .\n"),
                          "docs/d3: is not UTF-8 text (invalid start byte at byte 5)"),
    "unknown_label": (lambda r: edit(r, "val.jsonl", 1, lambda rec: rec.update(classification="positive")),
                      "val.jsonl:1: classification 'positive' never occurs in train (NEG, POS)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_error_class_is_reported_with_file_line_field(small, case):
    corrupt, expected = CASES[case]
    corrupt(small)
    ds, problems = validate(small)
    assert expected in messages(problems, small)
    result = runner.invoke(app, ["data", "validate", str(small)])
    assert result.exit_code == 1 and f"{small}/{expected}" in result.output.splitlines()
    if case != "unknown_label":  # the loader raises the same problem (validate is loading)
        with pytest.raises(DataErrors) as info:
            load_eraser(small)
        assert expected in messages(info.value.errors, small)
    else:
        assert load_eraser(small)["val"][0].label == "positive"  # loaders accept it, validate is strict


def test_all_problems_in_one_run(small):
    edit(small, "train.jsonl", 1, lambda rec: ev(rec).update(end_token=1000000))
    edit(small, "train.jsonl", 2, lambda rec: "{oops")
    edit(small, "val.jsonl", 1, lambda rec: ev(rec).update(text="great"))
    with (small / "val.jsonl").open("a") as fh:
        fh.write("[1,\n")
    _, problems = validate(small)
    assert [(Path(p.file).name, p.line) for p in problems] == [
        ("train.jsonl", 1), ("train.jsonl", 2), ("val.jsonl", 1), ("val.jsonl", 2)]


def test_docs_jsonl_problems(small):
    shutil.rmtree(small / "docs")
    (small / "docs.jsonl").write_text("\n".join([
        json.dumps({"docid": "d1", "document": "a good film .\nwe liked it .\n"}),
        json.dumps({"docid": "d2", "document": "a bad film .\nwe hated it .\n"}),
        json.dumps({"docid": "d2", "document": "again"}),
        json.dumps({"docid": "d3"}),
    ]) + "\n")
    _, problems = validate(small)
    msgs = messages(problems, small)
    assert "docs.jsonl:3: docid 'd2' duplicates line 2" in msgs
    assert "docs.jsonl:4: document is missing" in msgs


def test_declared_labels_and_clean_dataset(small):
    ds, problems = validate(small)
    assert problems == [] and ds is not None
    _, problems = validate(small, labels=["NEG"])
    assert messages(problems, small) == ["train.jsonl:1: classification 'POS' is not in the declared labels (NEG)",
                                          "val.jsonl:1: classification 'POS' is not in the declared labels (NEG)"]
    result = runner.invoke(app, ["data", "validate", str(small)])
    assert result.exit_code == 0 and "ok:" in result.output and "train 2, val 1" in result.output


@pytest.mark.parametrize("fmt,src,extra", [
    ("zaidan", "zaidan", []), ("hatexplain", "hatexplain", ["--undecided", "keep"]), ("esnli", "esnli", []),
    ("cose", "cose", ["--cose-version", "v1.0"]), ("jsonl", "generic/train.jsonl", []), ("csv", "generic/val.csv", []),
    ("eraser", "eraser_small", ["--docs-format", "jsonl"]),
])
def test_convert_every_format(tmp_path, fmt, src, extra):
    out = tmp_path / "out"
    result = runner.invoke(app, ["data", "convert", str(FIX / src), str(out), "--from", fmt, *extra])
    assert result.exit_code == 0, result.output
    assert "round trip verified" in result.output
    back = load_eraser(out)
    assert sum(len(v) for v in back.splits.values()) > 0
    result = runner.invoke(app, ["data", "validate", str(out)])
    assert result.exit_code == 0, result.output


def test_convert_refuses_bad_options_and_nonempty_output(tmp_path):
    result = runner.invoke(app, ["data", "convert", str(FIX / "esnli"), str(tmp_path / "o"), "--from", "xml"])
    assert result.exit_code != 0 and "--from must be one of" in result.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    result = runner.invoke(app, ["data", "convert", str(FIX / "esnli"), str(tmp_path / "full"), "--from", "esnli"])
    assert result.exit_code != 0 and "not empty" in str(result.exception)
    result = runner.invoke(app, ["data", "convert", str(FIX / "generic/train.jsonl"), str(tmp_path / "g"),
                                 "--from", "jsonl", "--span-unit", "word"])
    assert result.exit_code != 0 and "span_unit must be" in result.output
    result = runner.invoke(app, ["data", "convert", str(FIX / "generic/train.jsonl"), str(tmp_path / "g2"),
                                 "--from", "jsonl", "--label-field", "sentiment"])
    assert result.exit_code != 0 and "train.jsonl:1: sentiment is missing" in str(result.exception)


def test_unknown_label_in_generic_data_names_the_example(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"id": "a", "text": "good", "label": "POS"}\n{"id": "b", "text": "bad", "label": "NEG"}\n')
    (tmp_path / "test.jsonl").write_text('{"id": "c", "text": "meh", "label": "MEH"}\n')
    _, problems = validate(tmp_path)
    assert messages(problems, tmp_path) == ["test.jsonl:1: label 'MEH' never occurs in train (NEG, POS)"]


# --- what validation used to let through ------------------------------------------------------------------
def test_an_empty_split_is_a_problem(small):
    (small / "val.jsonl").write_text("\n")
    _, problems = validate(small)
    assert messages(problems, small) == ["val.jsonl: has no examples (split 'val' is empty)"]
    result = runner.invoke(app, ["data", "validate", str(small)])
    assert result.exit_code == 1 and "ok:" not in result.output


def test_an_empty_generic_split_file_is_a_problem(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"id": "a", "text": "good", "label": "POS"}\n')
    (tmp_path / "test.jsonl").write_text("")
    _, problems = validate(tmp_path)
    assert [p.message for p in problems] == ["has no examples (split 'test' is empty)"]


def test_without_train_labels_are_checked_against_declared_labels_or_a_note_says_they_were_not(small):
    (small / "train.jsonl").rename(small / "test.jsonl")
    edit(small, "val.jsonl", 1, lambda rec: rec.update(classification="positive"))
    _, problems = validate(small)
    assert problems == []
    result = runner.invoke(app, ["data", "validate", str(small)])
    assert result.exit_code == 0
    assert (f"note: {small} has no train split with labels (it has: val, test) and declares no label set, so "
            "labels were not checked; give --labels to check them") in result.output.splitlines()
    result = runner.invoke(app, ["data", "validate", str(small), "--labels", "NEG, POS"])
    assert result.exit_code == 1
    assert f"{small}/val.jsonl:1: classification 'positive' is not in the declared labels (NEG, POS)" in result.output


def test_without_train_a_label_set_the_loader_declares_is_checked(tmp_path):
    (tmp_path / "val.jsonl").write_text('{"id": "b", "text": "ok", "label": "POS"}\n')
    from rationalize.data.loaders import load_generic
    from rationalize.data.validate import check_labels, label_check_note

    ds = load_generic(tmp_path, labels=("NEG", "POS"))
    ds.splits["val"][0].label = "MEH"  # a loader with a declared label set refuses it; a later change does not
    assert label_check_note(ds) is None
    assert messages(check_labels(ds), tmp_path) == ["val.jsonl:1: label 'MEH' is not in the declared labels (NEG, POS)"]


def test_an_unknown_label_of_a_generic_file_names_its_line_and_field(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"id": "a", "text": "good", "sentiment": "POS"}\n')
    (tmp_path / "val.jsonl").write_text('{"id": "b", "text": "ok", "sentiment": "POS"}\n'
                                        '{"id": "c", "text": "meh", "sentiment": "MEH"}\n')
    from rationalize.data.loaders import load_generic
    from rationalize.data.validate import check_labels

    problems = check_labels(load_generic(tmp_path, label_field="sentiment"))
    assert messages(problems, tmp_path) == ["val.jsonl:2: sentiment 'MEH' never occurs in train (POS)"]


def test_integer_annotation_ids_are_accepted_as_strings(small):
    edit(small, "train.jsonl", 1, lambda rec: rec.update(annotation_id=101))
    ds, problems = validate(small)
    assert problems == [] and ds is not None
    assert [ex.id for ex in ds["train"]] == ["101", "d2"]


@pytest.mark.parametrize("change,expected", [
    (lambda rec: ev(rec).update(docid=7), "evidences[0][0].docid is an integer, not a string"),
    (lambda rec: ev(rec).update(start_token="1"), "evidences[0][0].start_token is a string, not an integer"),
    (lambda rec: rec.update(annotation_id=["d1"]), "annotation_id is a list, not a string or an integer"),
    (lambda rec: rec.update(annotation_id=True), "annotation_id is a boolean, not a string or an integer"),
    (lambda rec: rec.update(annotation_id=""), "annotation_id is empty"),
    (lambda rec: rec.update(docids=["d1", 3]), "docids[1] is an integer, not a string"),
    (lambda rec: ev(rec).update(text=5), "evidences[0][0].text is an integer, not a string"),
    (lambda rec: rec.update(evidences=5), "evidences must be a list of evidence groups (a list of lists)"),
])
def test_a_wrong_type_says_what_it_is(small, change, expected):
    edit(small, "train.jsonl", 1, change)
    _, problems = validate(small)
    assert f"train.jsonl:1: {expected}" in messages(problems, small)


def test_an_empty_sentence_range_has_its_own_message(small):
    edit(small, "train.jsonl", 1, lambda rec: ev(rec).update(start_sentence=1, end_sentence=1))
    edit(small, "train.jsonl", 2, lambda rec: ev(rec).update(start_sentence=1, end_sentence=0))
    _, problems = validate(small)
    assert messages(problems, small) == [
        "train.jsonl:1: evidences[0][0].end_sentence sentence range 1:1 is empty (end_sentence is exclusive)",
        "train.jsonl:2: evidences[0][0].end_sentence sentence range 1:0 ends before it starts "
        "(end_sentence is exclusive)",
    ]


@pytest.mark.parametrize("line,expected", [
    ('{"annotation_id": "d2', "is not valid JSON (Unterminated string starting at column 19)"),
    ('{"annotation_id": "d2", "classification": "NEG"', "is not valid JSON (Expecting ',' delimiter at column 48)"),
    ('{"annotation_id": "d2",\r', "is not valid JSON (Expecting property name enclosed in double quotes at column 24)"),
    ('{"annotation_id": "d2", "x": 1' + "0" * 5000 + "}",
     "is not valid JSON we can read (Exceeds the limit (4300 digits)"),
])
def test_json_problems_point_into_the_line(small, line, expected):
    edit(small, "train.jsonl", 2, lambda rec: line)
    _, problems = validate(small)
    assert [(p.line, p.message[:len(expected)]) for p in problems] == [(2, expected)]
    assert "at at" not in str(problems[0])


def test_a_line_that_is_not_utf8_names_its_line(small):
    with (small / "val.jsonl").open("ab") as fh:
        fh.write(b'{"annotation_id": "caf\xe9"}\n')
    _, problems = validate(small)
    assert messages(problems, small) == ["val.jsonl:2: is not UTF-8 text (invalid continuation byte at byte 22)"]


def test_a_generic_line_that_is_not_utf8_or_not_json_names_its_line_and_column(tmp_path):
    f = tmp_path / "train.jsonl"
    f.write_bytes(b'{"text": "good", "label": "POS"}\n{"text": "caf\xe9", "label": "POS"}\n{"text": "x", "label": \n')
    _, problems = validate(f)
    assert messages(problems, tmp_path) == [
        "train.jsonl:2: is not UTF-8 text (invalid continuation byte at byte 13)",
        "train.jsonl:3: is not valid JSON (Expecting value at column 24)"]


def test_thousands_of_problems_are_capped_per_kind_unless_all(small):
    good = (small / "val.jsonl").read_text().splitlines()[0]
    rec = json.loads(good)
    lines = []
    for i in range(300):
        rec.update(annotation_id=f"x{i}")
        rec["evidences"][0][0]["end_token"] = 1000 + i
        lines.append(json.dumps(rec))
    lines += ["{oops"] * 7
    (small / "val.jsonl").write_text("\n".join(lines) + "\n")
    _, problems = validate(small)
    assert len(problems) == 307
    result = runner.invoke(app, ["data", "validate", str(small)])
    out = result.output.splitlines()
    assert result.exit_code == 1 and len(out) < 20
    shown = [line for line in out if line.startswith(f"{small}/val.jsonl:")]
    assert len(shown) == 10  # 5 offsets past the end, 5 bad JSON lines
    assert "297 more not shown (the first 5 of each kind are); problems by kind:" in out
    assert any(line.split()[0] == "300" and "evidences[][].end_token" in line for line in out)
    assert any(line.split()[0] == "7" and "is not valid JSON" in line for line in out)
    every = runner.invoke(app, ["data", "validate", str(small), "--all"]).output.splitlines()
    assert len([line for line in every if line.startswith(f"{small}/val.jsonl:")]) == 307
