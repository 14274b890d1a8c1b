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
                      "train.jsonl:1: annotation_id is missing or not a non-empty string"),
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
                          "d3: is not UTF-8 text (invalid start byte at byte 5)"),
    "unknown_label": (lambda r: edit(r, "val.jsonl", 1, lambda rec: rec.update(classification="positive")),
                      "val.jsonl:1: classification 'positive' never occurs in train (NEG, POS)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_error_class_is_reported_with_file_line_field(small, case):
    corrupt, expected = CASES[case]
    corrupt(small)
    ds, problems = validate(small)
    assert expected in [str(p) for p in problems]
    result = runner.invoke(app, ["data", "validate", str(small)])
    assert result.exit_code == 1 and expected in result.output
    if case != "unknown_label":  # the loader raises the same problem (validate is loading)
        with pytest.raises(DataErrors) as info:
            load_eraser(small)
        assert expected in [str(e) for e in info.value.errors]
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
    msgs = [str(p) for p in problems]
    assert "docs.jsonl:3: docid 'd2' duplicates line 2" in msgs
    assert "docs.jsonl:4: document is missing or not a string" in msgs


def test_declared_labels_and_clean_dataset(small):
    ds, problems = validate(small)
    assert problems == [] and ds is not None
    _, problems = validate(small, labels=["NEG"])
    assert [str(p) for p in problems] == ["train.jsonl:1: classification 'POS' is not in the declared labels (NEG)",
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
    assert [str(p) for p in problems] == [f"{tmp_path.name}: test[c].label 'MEH' never occurs in train (NEG, POS)"]
