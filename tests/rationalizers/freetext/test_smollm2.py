"""Integration with the real SmolLM2-135M-Instruct (alias ``smollm2``; ~18 s load, a few seconds of generation)."""

from __future__ import annotations

import pytest

from rationalize.data.schema import Dataset, Document, Example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smol():
    pytest.importorskip("gguf")
    import torch

    from rationalize.errors import ModelNotAvailableError
    from rationalize.rationalizers.freetext import HFGenerator

    torch.set_num_threads(2)
    try:
        return HFGenerator.from_pretrained("smollm2", chat=True)
    except ModelNotAvailableError as exc:
        pytest.skip(str(exc))


def _esnli() -> Dataset:
    pairs = [("A man is playing a guitar on stage .", "A man is performing music .", "entailment"),
             ("Two dogs run through a field .", "The cats are sleeping .", "contradiction")]
    docs, exs = {}, []
    for i, (p, h, y) in enumerate(pairs):
        for part, text in (("premise", p), ("hypothesis", h)):
            docs[f"val_{i}_{part}"] = Document.from_text(f"val_{i}_{part}", text + "\n")
        exs.append(Example(f"val_{i}", [f"val_{i}_premise", f"val_{i}_hypothesis"], y))
    return Dataset("esnli", {"val": exs}, docs, ["contradiction", "entailment", "neutral"])


def test_smollm2_batched_generation_matches_one_by_one_and_parses_or_reports(smol, tmp_path):
    from rationalize.rationalizers.freetext import GenerationConfig, HFGenerator, PromptTemplate, task_for

    ds = _esnli()
    t = PromptTemplate(task_for(ds), "explain-then-predict", "cot")
    prompts = [t.prompt(ex, ds) for ex in ds["val"]]
    assert smol.render(prompts[0]).startswith("<|im_start|>")  # the chat template is applied
    cfg = GenerationConfig(max_new_tokens=12, batch_size=2)
    batched = smol.generate(prompts, cfg)
    single = smol.generate(prompts, GenerationConfig(max_new_tokens=12, batch_size=1))
    assert [o[0].text for o in batched] == [o[0].text for o in single]  # left padding is handled
    for o in batched:
        assert 0 < o[0].n_tokens <= 12 and o[0].text.strip()
        p = t.parse(o[0].text, ds.labels)
        assert p.status in ("ok", "unparseable", "ambiguous") and (p.ok or p.reason)
    # a GGUF-loaded model is rebuilt on save; the saved copy generates the same text
    folder = smol.save(tmp_path / "smol")
    again = HFGenerator.from_pretrained(str(folder))
    assert again.chat is True
    short = GenerationConfig(max_new_tokens=6)
    assert again.generate(prompts[:1], short)[0][0].text == smol.generate(prompts[:1], short)[0][0].text
