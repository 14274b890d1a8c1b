"""``rationalize greedy`` and ``rationalize finetune-compatible`` on a saved planted model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rationalize.cli import app


@pytest.fixture(scope="module")
def model_dir(planted, tmp_path_factory):
    from rationalize.rationalizers.greedy.compatibility import save_causal_lm
    from rationalize.rationalizers.greedy.synthetic import planted_tokenizer

    model, task = planted
    return save_causal_lm(model, planted_tokenizer(task), tmp_path_factory.mktemp("planted") / "model")


def _text(task, seq):
    from rationalize.rationalizers.greedy.synthetic import planted_text

    return planted_text(task, seq)


def test_greedy_cli_json_and_rendering(planted, planted_data, model_dir):
    _, task = planted
    seqs, ante = planted_data
    seq, a = seqs[0], ante[0]
    runner = CliRunner()
    # the text stops after QUERY: the default target is the model's next-token prediction (the value)
    res = runner.invoke(app, ["greedy", "--model", str(model_dir), "--text", _text(task, seq[:-1]), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    (r,) = out["rationales"]
    assert r["target_id"] == seq[-1] and r["recovered"]
    assert r["rationale_positions"] == sorted([a, len(seq) - 2]) and r["order"][0] == len(seq) - 2
    assert len(r["probabilities"]) == len(r["order"])
    res = runner.invoke(app, ["greedy", "--model", str(model_dir), "--text", _text(task, seq),
                              "--target-position", str(len(seq) - 1)])
    assert res.exit_code == 0, res.output
    assert f"[{out['tokens'][a]}:2]" in res.output and "ok" in res.output
    res = runner.invoke(app, ["greedy", "--model", str(model_dir), "--text", _text(task, seq), "--all-positions",
                              "--json", "--method", "occlusion"])
    assert res.exit_code == 0, res.output
    assert [r["target_position"] for r in json.loads(res.stdout)["rationales"]] == list(range(1, len(seq)))
    # the paper's setting: the last word (here one token, the value), rendered as words of the text
    res = runner.invoke(app, ["greedy", "--model", str(model_dir), "--text", _text(task, seq), "--last-word", "--words"])
    assert res.exit_code == 0, res.output
    words = _text(task, seq).split()
    assert f"t={len(seq) - 1} " in res.output and f"[{words[a - 1]}]" in res.output and "full context predicts" in res.output
    res = runner.invoke(app, ["greedy", "--model", str(model_dir), "--text", "k1 d2", "--target-position", "9"])
    assert res.exit_code != 0 and "1..3" in res.output


def test_greedy_cli_corpus_is_incremental_and_resumable(planted, planted_data, model_dir, tmp_path):
    _, task = planted
    seqs, _ = planted_data
    lines = [json.dumps({"id": f"s{i}", "text": _text(task, s), "target_positions": [len(s) - 1]}) + "\n"
             for i, s in enumerate(seqs[:3])]
    inp = tmp_path / "in.jsonl"
    inp.write_text(lines[0])
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(app, ["greedy", "--model", str(model_dir), "--input", str(inp), "--out", str(out)])
    assert res.exit_code == 0, res.output
    first = out.read_text()
    out.write_text(first + '{"id": "s1", "tok')  # a killed run: one record done, a partial line
    inp.write_text("".join(lines))
    res = CliRunner().invoke(app, ["greedy", "--model", str(model_dir), "--input", str(inp), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote 2 records" in res.output and "1 already done" in res.output
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["s0", "s1", "s2"]
    assert out.read_text().startswith(first)  # kept from the first run, not recomputed
    r = recs[1]["rationales"][0]
    assert r["recovered"] and r["full_context_predicts"] and r["seconds"] > 0
    assert recs[1]["run"]["method"] == "greedy" and recs[1]["run"]["params"]["max_steps"] is None
    # word-level view: the planted words are whitespace-separated, one token each (after <s>)
    assert [recs[1]["words"][w] for w in r["rationale_words"]] == [recs[1]["offsets"][p] for p in r["rationale_positions"]]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "k1 QUERY"}\n{"id": "b", "text": 3}\n')
    res = CliRunner().invoke(app, ["greedy", "--model", str(model_dir), "--input", str(bad), "--out",
                                   str(tmp_path / "o2.jsonl")])
    assert res.exit_code != 0 and "bad.jsonl:2" in str(res.exception) and "text" in str(res.exception)


def test_greedy_cli_resume_with_another_method_does_not_skip(planted, planted_data, model_dir, tmp_path):
    _, task = planted
    seqs, _ = planted_data
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": f"s{i}", "text": _text(task, s)}) + "\n" for i, s in enumerate(seqs[:2])))
    out = tmp_path / "out.jsonl"
    base = ["greedy", "--model", str(model_dir), "--input", str(inp), "--out", str(out)]
    assert CliRunner().invoke(app, base).exit_code == 0
    before = out.read_text()
    for extra in (["--method", "occlusion"], ["--max-steps", "3"], ["--all-positions"]):
        res = CliRunner().invoke(app, [*base, *extra])
        assert res.exit_code != 0, extra
        msg = str(res.exception)
        assert "out.jsonl:1: run" in msg and "another --out" in msg, msg
        assert out.read_text() == before  # nothing skipped as "done", nothing appended
    res = CliRunner().invoke(app, [*base[:-1], str(tmp_path / "occ.jsonl"), "--method", "occlusion"])
    assert res.exit_code == 0 and "wrote 2 records" in res.output


def test_finetune_compatible_saves_a_reloadable_model(planted, planted_data, model_dir, tmp_path):
    _, task = planted
    seqs, _ = planted_data
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(_text(task, s) for s in seqs[:8]) + "\n")
    out = tmp_path / "ft"
    res = CliRunner().invoke(app, ["finetune-compatible", "--model", str(model_dir), "--data", str(texts), "--out",
                                   str(out), "--steps", "3", "--batch-size", "4", "--lr", "1e-4"])
    assert res.exit_code == 0, res.output
    from rationalize.models.lm import load_lm

    ad = load_lm(str(out))
    assert json.loads((out / "compatibility.json").read_text())["steps"] == 3
    assert ad.predict_next(ad.encode(_text(task, seqs[0][:-1]))) == seqs[0][-1]
