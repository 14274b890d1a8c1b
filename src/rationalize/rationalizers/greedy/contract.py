"""Sequential rationalizers behind the :class:`~rationalize.rationalizers.base.Rationalizer` contract.

One adapter per name of :data:`~rationalize.rationalizers.greedy.SEQUENTIAL_RATIONALIZERS`. The dataset
route: each example's document text (its documents' tokens, space-joined; the last ``max_words`` words
when set) is encoded by the LM adapter's tokenizer and the prediction explained is the model's reading of
the text's **last token** from everything before it, one
:class:`~rationalize.rationalizers.greedy.base.SequentialRationale` per example (its
``extra["annotation_id"]`` names the example). ``model=`` is an adapter of :mod:`rationalize.models.lm`
or a model spec :func:`~rationalize.models.lm.load_lm` loads; every other keyword goes to the method.
"""

from __future__ import annotations

from typing import Any

from rationalize.data.schema import Dataset, Example
from rationalize.rationalizers.base import Rationalizer, register_adapters
from rationalize.rationalizers.greedy import SEQUENTIAL_RATIONALIZERS, get_sequential_rationalizer
from rationalize.rationalizers.greedy.base import SequentialRationale


class SequentialAdapter(Rationalizer):
    """A sequential rationalizer over the document text of each example (see the module docstring)."""

    family = "greedy"

    def __init__(self, model: Any = None, *, max_words: int | None = None, **method_params: Any):
        super().__init__(model=model, max_words=max_words, **method_params)
        self.method_params = method_params

    @property
    def adapter(self) -> Any:
        """The LM adapter, loaded on first use when ``model`` is a spec."""
        from rationalize.models.lm import load_lm

        return self._resolved("model", load_lm, "pass the language model as model= (an adapter or a model spec)")

    def text_of(self, dataset: Dataset, example: Example) -> str:
        """The text explained for ``example``: its documents' tokens, the last ``max_words`` of them."""
        words = [t for d in dataset.docs_of(example) for t in d.tokens]
        cut = self.params["max_words"]
        return " ".join(words[-cut:] if cut else words)

    def _modules(self) -> list[Any]:
        model = getattr(self.adapter, "model", None)
        return [model] if hasattr(model, "modules") else []

    def _rationalize(self, dataset: Dataset, split: str, *, limit: int | None = None) -> list[SequentialRationale]:
        examples = self.examples(dataset, split, limit)
        adapter = self.adapter
        seqs = [adapter.encode(self.text_of(dataset, ex)) for ex in examples]
        short = [ex.id for ex, s in zip(examples, seqs) if len(s) < 2]
        if short:
            raise ValueError(f"{self.name}: examples {', '.join(short[:5])} have fewer than 2 tokens to explain")
        method = get_sequential_rationalizer(self.name, **self.method_params)
        out = method.rationalize(adapter, seqs, positions=[[len(s) - 1] for s in seqs])
        for ex, rat in zip(examples, out):
            rat.extra["annotation_id"] = ex.id
        return out


register_adapters("greedy", SequentialAdapter,
                  {name: cls.__name__ for name, cls in SEQUENTIAL_RATIONALIZERS.items()}, __name__)
