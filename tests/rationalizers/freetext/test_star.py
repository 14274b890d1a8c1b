"""STaR: the loop keeps correct rationales, rationalizes failures with a hint, and resumes after a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rationalize.data.jsonl import iter_jsonl
from rationalize.rationalizers.freetext import Generation, HFGenerator, StarConfig, run_star

from tests.rationalizers.freetext.tiny import explanation_for, tiny_causal_lm

ROOT = Path(__file__).resolve().parents[3]


class ScriptedTiny(HFGenerator):
    """A real tiny model for fine-tuning, with scripted outputs: examples whose document starts with "the"
    are answered wrongly unless the prompt carries the hint; the hint yields the correct explanation."""

    def generate(self, prompts, config=None, progress=False, prefixes=None):
        out = []
        for p in prompts:
            words = p.split()
            doc = words[words.index("document:") + 1 : words.index("document:") + 6]
            signal = next(w for w in doc if w in {"good", "great", "fine", "nice", "bad", "awful", "poor", "dull"})
            label = "POS" if signal in {"good", "great", "fine", "nice"} else "NEG"
            if "hint:" in words:
                hinted = words[words.index("hint:") + 1]
                out.append([Generation(f" explanation: {explanation_for(signal, hinted)} answer: {hinted}", 11)])
            elif doc[0] == "the":
                wrong = "NEG" if label == "POS" else "POS"
                out.append([Generation(f" explanation: the word {signal} is odd answer: {wrong}", 11)])
            else:
                out.append([Generation(f" explanation: {explanation_for(signal, label)} answer: {label}", 11)])
        return out


def test_star_keeps_correct_and_rationalizes_failures(toy, toy_template, tmp_path):
    base = tiny_causal_lm(seed=0)
    gen = ScriptedTiny(base.model, base.tokenizer, name="scripted")
    exs = toy["train"][:24]
    wrong = {ex.id for ex in exs if toy.doc(ex.id).tokens[0] == "the"}
    assert 0 < len(wrong) < len(exs)
    cfg = StarConfig(iterations=1, epochs=1, lr=1e-3, batch_size=8, max_new_tokens=14)
    [summary] = run_star(gen, toy, exs, toy_template, tmp_path, cfg, progress=False)
    assert summary["correct"] == len(exs) - len(wrong)
    assert summary["rationalization_attempts"] == len(wrong) and summary["rationalized"] == len(wrong)
    assert summary["train_pairs"] == len(exs)
    rats = {r["id"]: r for _, r in iter_jsonl(tmp_path / "iter_1" / "rationalizations.jsonl")}
    assert set(rats) == wrong and all(r["correct"] for r in rats.values())
    pairs = [r for _, r in iter_jsonl(tmp_path / "iter_1" / "train_pairs.jsonl")]
    assert len(pairs) == len(exs) and not any("hint" in p["prompt"] for p in pairs)  # the hint is dropped
    assert (tmp_path / "iter_1" / "model" / "rationalize.json").exists()
    # without rationalization only the correct ones are kept
    [s2] = run_star(gen, toy, exs, toy_template, tmp_path / "norat",
                    StarConfig(iterations=1, epochs=1, rationalize=False, max_new_tokens=14), progress=False)
    assert s2["train_pairs"] == len(exs) - len(wrong) and s2["rationalized"] == 0


KILL_SCRIPT = """
import os, signal, sys, torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from tests.rationalizers.freetext.tiny import toy_dataset
from rationalize.rationalizers.freetext import HFGenerator, PromptTemplate, StarConfig, run_star, task_for
ds = toy_dataset(n_train=160, n_val=40, seed=0)
t = PromptTemplate(task_for(ds), "explain-then-predict", "wt5")
seen = []
def cb(stage, info):
    if stage == "generate" and info["iteration"] == 2:
        seen.append(info["id"])
        if len(seen) == 5:
            os.kill(os.getpid(), signal.SIGKILL)
run_star(HFGenerator.from_pretrained({base!r}), ds, ds["train"][:24], t, {out!r}, StarConfig(**{cfg!r}), callback=cb,
         progress=False)
"""


def test_star_resumes_after_a_kill(toy, toy_template, tmp_path):
    from tests.rationalizers.freetext.tiny import trained_tiny

    torch.set_num_threads(1)
    base_gen, _ = trained_tiny(toy, toy_template, epochs=2, lr=3e-3, batch_size=16)  # a weak base model
    base = tmp_path / "base"
    base_gen.save(base)
    cfg = {"iterations": 2, "epochs": 2, "lr": 3e-3, "batch_size": 16, "max_new_tokens": 14, "gen_batch_size": 8}
    killed = tmp_path / "killed"
    script = KILL_SCRIPT.format(root=str(ROOT), base=str(base), out=str(killed), cfg=cfg)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert (killed / "iter_1" / "summary.json").exists() and not (killed / "iter_2" / "summary.json").exists()
    partial = list(iter_jsonl(killed / "iter_2" / "generations.jsonl"))
    assert 5 <= len(partial) < 24
    first_iter_mtime = (killed / "iter_1" / "summary.json").stat().st_mtime

    resumed = run_star(HFGenerator.from_pretrained(str(base)), toy, toy["train"][:24], toy_template, killed,
                       StarConfig(**cfg), progress=False)
    assert (killed / "iter_1" / "summary.json").stat().st_mtime == first_iter_mtime  # not redone
    ids = [r["id"] for _, r in iter_jsonl(killed / "iter_2" / "generations.jsonl")]
    assert sorted(ids) == sorted(ex.id for ex in toy["train"][:24])  # completed, no duplicates

    fresh_gen = HFGenerator.from_pretrained(str(base))
    fresh = run_star(fresh_gen, toy, toy["train"][:24], toy_template, tmp_path / "fresh", StarConfig(**cfg),
                     progress=False)
    assert resumed == fresh
    a = HFGenerator.from_pretrained(str(killed / "iter_2" / "model")).model.state_dict()
    b = fresh_gen.model.state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in b)
    assert not (killed / "iter_1" / "model").exists()  # only the latest model is kept
    with pytest.raises(ValueError, match="other examples"):
        run_star(fresh_gen, toy, toy["train"][:10], toy_template, killed, StarConfig(**cfg), progress=False)
    json.loads((killed / "star.json").read_text())
