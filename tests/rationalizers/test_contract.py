"""One conformance check of the :class:`~rationalize.rationalizers.base.Rationalizer` contract, run on every
registered method of every family (in the spirit of scikit-learn's estimator checks), with tiny models
built here: a small CNN classifier (post-hoc), fast select-then-predict settings, an untrained tiny Llama
over the dataset's words (greedy) and a scripted generator (free-text).

Checked for each method: ``get_params`` round-trips; ``fit`` returns the rationalizer; one record per
example of the split (or of ``limit``), in split order; a second run with the same seed gives equal records
(provenance seconds aside); hard rationales inside the document and soft scores one per token (for top-k
post-hoc: the hard tokens are the top soft scores); ERASER results pass ``validate_results``; every record
carries the call's provenance (method, family, params); the models come back in the train/eval mode they
were in.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import rationalize
from rationalize.data import make_synthetic
from rationalize.data.results import Result
from rationalize.metrics import validate_results
from rationalize.rationalizers.base import (
    RATIONALIZERS,
    Rationalizer,
    Registry,
    UnknownNameError,
    available_rationalizers,
    describe_params,
    load_rationalizer,
    method_table,
)
from rationalize.rationalizers.discretize import mask_to_spans, top_k
from rationalize.rationalizers.freetext.generators import Generation, GenerationConfig
from rationalize.rationalizers.greedy.base import SequentialRationale

ROOT = Path(__file__).resolve().parents[2]
METHODS = [(family, name) for family, names in available_rationalizers().items() for name in names]
K = 3

#: fast settings per family and method
POSTHOC_FAST = {"integrated-gradients": {"n_steps": 8}, "lime": {"n_samples": 40}, "kernel-shap": {"n_samples": 40},
                "occlusion": {"perturbations_per_eval": 32}}
SELECT_FAST = {"encoder": "cnn", "embeddings": None, "hidden": 16, "freeze_embeddings": False, "warmup_steps": 2,
               "epochs": 1, "batch_size": 16, "lr": 5e-3, "max_steps_per_epoch": 2, "patience": 1, "seed": 0}
SELECT_METHOD = {"fresh": {"extractor": "input-x-gradient", "rationale_type": "topk"}}
GREEDY_FAST = {"integrated_gradients": {"n_steps": 4}, "exhaustive": {"max_size": 3}}


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def ds():
    return make_synthetic(seed=0, train=40, val=10, test=6)


@pytest.fixture(scope="module")
def classifier(ds):
    from rationalize.models.training import train_classifier

    torch.manual_seed(0)
    model, _ = train_classifier(ds, "cnn", None, epochs=1, lr=5e-3, batch_size=16, seed=0, patience=1,
                                progress=False, vectors=None, hidden=16)
    return model


@pytest.fixture(scope="module")
def lm(ds):
    """An untrained tiny Llama with a word-level tokenizer over the dataset's words (``<s>`` prepended)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    from rationalize.models.lm import CausalLMAdapter
    from rationalize.rationalizers.greedy.synthetic import BOS, tiny_llama

    words = sorted({t for d in ds.documents.values() for t in d.tokens})
    vocab = {w: i for i, w in enumerate(["<pad>", "<s>", *words])}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", BOS)])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", bos_token="<s>", unk_token="<pad>")
    return CausalLMAdapter(tiny_llama(len(vocab), hidden=16, heads=2, seed=0), tok)


class ScriptedGenerator:
    """A deterministic generator in the WT5 target form of ``fmt``: answers POS when the prompt holds a
    positive word, with an explanation naming the prompt's length. It holds a torch module so that the
    mode check applies."""

    name = "scripted"

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.model = torch.nn.Linear(1, 1)

    def generate(self, prompts: Sequence[str], config: GenerationConfig | None = None, progress: bool = False,
                 prefixes: Sequence[str] | None = None) -> list[list[Generation]]:
        cfg = config or GenerationConfig()
        out = []
        for p in prompts:
            label = "POS" if sum(w in p for w in ("wonderful", "superb", "brilliant")) else "NEG"
            why = f"the review has {len(p.split())} words"
            text = f" explanation: {why} answer: {label}" if self.fmt == "explain-then-predict" else f" {label} explanation: {why}"
            out.append([Generation(text, len(text.split()))] * cfg.num_return_sequences)
        return out


def build(family: str, name: str, request: pytest.FixtureRequest) -> tuple[Rationalizer, list[Any]]:
    """The rationalizer under test and the torch modules whose mode it must restore."""
    if family == "posthoc":
        model = request.getfixturevalue("classifier")
        r = load_rationalizer(name, family, model=model, k=K, seed=1, **POSTHOC_FAST.get(name, {}))
        return r, [model]
    if family == "select-predict":
        return load_rationalizer(name, family, **SELECT_FAST, **SELECT_METHOD.get(name, {})), []
    if family == "greedy":
        adapter = request.getfixturevalue("lm")
        return load_rationalizer(name, family, model=adapter, max_words=5, **GREEDY_FAST.get(name, {})), [adapter.model]
    gen = ScriptedGenerator(name)
    return load_rationalizer(name, family, generator=gen, max_new_tokens=16), [gen.model]


def comparable(record: Any) -> Any:
    """A record as plain data, without the provenance's timing."""
    rec = record.to_record() if isinstance(record, Result) else record.to_dict() if hasattr(record, "to_dict") else record
    rec = copy.deepcopy(rec)
    prov = rec.get("provenance") or rec.get("extra", {}).get("provenance")
    prov.pop("seconds")
    rec.pop("seconds", None)  # greedy: the seconds spent on each target
    return rec


def assert_same(a: Any, b: Any, path: str = "") -> None:
    """Equal records; floats equal up to float32 noise (a limit changes how examples are batched)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-6), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def check_records(family: str, name: str, r: Rationalizer, ds, records: list[Any]) -> None:
    exs = ds["test"]
    if family in ("posthoc", "select-predict"):
        assert all(isinstance(x, Result) for x in records)
        assert [x.annotation_id for x in records] == [ex.id for ex in exs]
        validate_results(ds, "test", records)
        for res, ex in zip(records, exs):
            for rat in res.rationales:
                n = len(ds.doc(rat.docid))
                assert len(rat.soft) == n and all(0 <= s < e <= n for s, e in rat.hard)
                assert len(rat.soft_sentences) == len(ds.doc(rat.docid).sentences)
                if family == "posthoc":
                    assert rat.hard == mask_to_spans(top_k(np.array(rat.soft), K))
                elif name != "fresh":  # selection probabilities (FRESH's soft scores are its extractor's)
                    assert all(0.0 <= p <= 1.0 for p in rat.soft)
                assert np.isfinite(rat.soft).all()
            assert res.classification in ds.labels
            assert abs(sum(res.classification_scores.values()) - 1) < 1e-5
    elif family == "greedy":
        assert all(isinstance(x, SequentialRationale) for x in records)
        assert [x.extra["annotation_id"] for x in records] == [ex.id for ex in exs]
        for rat in records:
            assert rat.method == name and rat.target_position == rat.context_length
            assert rat.rationale_positions == sorted(rat.order) and len(set(rat.order)) == len(rat.order)
            assert all(0 <= p < rat.context_length for p in rat.order)
            assert 1 <= len(rat.probabilities) <= len(rat.order)  # exhaustive: one, for the subset found
    else:
        assert [x["id"] for x in records] == [ex.id for ex in exs]
        for rec in records:
            assert rec["format"] == name and rec["model"] == "scripted"
            assert rec["status"] == "ok" and rec["label"] in ds.labels and rec["explanation"].startswith("the review")
    for x in records:
        prov = x["provenance"] if isinstance(x, dict) else x.extra["provenance"]
        assert prov["method"] == name and prov["family"] == family and prov["version"] == rationalize.__version__
        assert prov["params"] == describe_params(r.get_params()) and prov["seconds"] >= 0
    assert len({id(x["provenance"] if isinstance(x, dict) else x.extra["provenance"]) for x in records}) >= 1


@pytest.mark.parametrize(("family", "name"), METHODS, ids=[f"{f}/{n}" for f, n in METHODS])
def test_contract(family, name, ds, request):
    r, modules = build(family, name, request)
    assert r.name == name and r.family == family and type(r) is RATIONALIZERS[family].get(name)
    # sklearn-style parameters: an equal, unfitted twin can be built from them
    twin = type(r)(**r.get_params())
    assert twin.get_params() == r.get_params()
    assert r.fit(ds, "train") is r and twin.fit(ds, "train") is twin
    if family == "select-predict":
        modules = [r.model_, twin.model_]
    for m in modules:
        m.train()
    records = r.rationalize(ds, "test")
    assert all(m.training and all(s.training for s in m.modules()) for m in modules), "mode not restored"
    for m in modules:
        m.eval()
    assert len(records) == len(ds["test"])
    check_records(family, name, r, ds, records)
    # the same seed, a fresh rationalizer, a limit: the same first records
    again = twin.rationalize(ds, "test", limit=3)
    assert not any(m.training for m in modules), "eval mode not restored"
    assert len(again) == 3
    assert_same([comparable(x) for x in again], [comparable(x) for x in records[:3]])
    # raw inputs: the same texts given as strings/records give the dataset's records
    check_raw_inputs(family, r, ds, records[:2])


def check_raw_inputs(family: str, r: Rationalizer, ds, records: list[Any]) -> None:
    """``rationalize(inputs)`` on the first test examples' texts (one document each here) equals
    ``rationalize(ds, "test")`` on them: the raw-input route is the dataset route."""
    exs = ds["test"][: len(records)]
    inputs = [{"id": ex.id, "text": ds.docs_of(ex)[0].to_text(), **({"query": ex.query} if ex.query else {})}
              for ex in exs]
    raw = r.rationalize(inputs, labels=None if family != "freetext" else ds.labels)
    if family == "freetext":  # the prompt names the task by the dataset's name: compare what it decided
        assert [x["id"] for x in raw] == [ex.id for ex in exs] and all(x["label"] in ds.labels for x in raw)
        return
    assert_same([comparable(x) for x in raw], [comparable(x) for x in records])


def test_every_method_of_every_family_is_in_the_contract():
    from rationalize.rationalizers.freetext.templates import FORMATS
    from rationalize.rationalizers.greedy import SEQUENTIAL_RATIONALIZERS
    from rationalize.rationalizers.posthoc import EXPLAINERS
    from rationalize.rationalizers.select_predict import METHODS as SP

    assert set(RATIONALIZERS) == {"posthoc", "select-predict", "greedy", "freetext"}
    assert available_rationalizers() == {"posthoc": EXPLAINERS.available(), "select-predict": SP.available(),
                                         "greedy": SEQUENTIAL_RATIONALIZERS.available(), "freetext": list(FORMATS)}
    assert all(isinstance(reg, Registry) for reg in (EXPLAINERS, SP, SEQUENTIAL_RATIONALIZERS))
    assert rationalize.available_rationalizers() == available_rationalizers()


def test_registry_names_and_errors():
    reg: Registry[type] = Registry("demo", "widget")

    @reg.register("a")
    class A:
        def __init__(self, x: int = 0):
            self.x = x

    reg.register("b", dict)
    assert reg.available() == ["a", "b"] and "a" in reg and "c" not in reg and reg.get("a") is A
    assert reg.load("a", x=2).x == 2 and len(reg) == 2 and reg["b"] is dict
    with pytest.raises(UnknownNameError, match="unknown widget 'c'; choose from a, b"):
        reg.load("c")
    with pytest.raises(KeyError):
        reg["c"]
    with pytest.raises(ValueError, match="several families"):
        load_rationalizer("occlusion")
    assert load_rationalizer("greedy/occlusion").family == "greedy"
    assert load_rationalizer("occlusion", "posthoc").family == "posthoc"
    with pytest.raises(ValueError, match=r"unknown rationalizer 'nope'; choose from posthoc: attention"):
        load_rationalizer("nope")
    with pytest.raises(ValueError, match="unknown rationalizer family 'x'"):
        load_rationalizer("gumbel", "x")
    with pytest.raises(ValueError, match="not trained"):
        load_rationalizer("gumbel").rationalize(make_synthetic(seed=0, train=4, val=2, test=2), "test")


def test_docs_list_every_registered_method():
    text = (ROOT / "docs" / "rationalizers.md").read_text(encoding="utf-8")
    for family, names in available_rationalizers().items():
        section = text.split(f"<!-- methods:{family} -->", 1)[1].split("<!-- /methods -->", 1)[0]
        assert set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE)) == set(names), family
        assert section.strip() == method_table(family), f"regenerate with python -m rationalize.rationalizers.base ({family})"
    assert "docs/rationalizers.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_import_rationalize_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, rationalize; rationalize.load_rationalizer; assert 'torch' not in sys.modules, 'torch'"
    subprocess.run([sys.executable, "-c", code], check=True)
