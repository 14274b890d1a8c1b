"""Free-text rationales behind the :class:`~rationalize.rationalizers.base.Rationalizer` contract.

One method per prompt format of :data:`~rationalize.rationalizers.freetext.templates.FORMATS`
(``explain-then-predict``, ``predict-then-explain``), in either style (``style="wt5"`` or ``"cot"``).
``generator=`` is a :class:`~rationalize.rationalizers.freetext.generators.Generator` or a spec
:func:`~rationalize.rationalizers.freetext.generators.load_generator` reads (an alias, a folder,
``openai:MODEL@URL``). ``rationalize`` returns the records ``rationalize generate`` writes, made in memory
by :func:`~rationalize.rationalizers.freetext.pipeline.iter_rationales`. ``fit`` is a no-op: fine-tuning on
human explanations is :func:`~rationalize.rationalizers.freetext.training.train_explainer`.
"""

from __future__ import annotations

from typing import Any

from rationalize.data.schema import Dataset
from rationalize.rationalizers.base import Rationalizer, register_adapters
from rationalize.rationalizers.freetext.generators import GenerationConfig, load_generator
from rationalize.rationalizers.freetext.pipeline import iter_rationales, resolve_split
from rationalize.rationalizers.freetext.templates import FORMATS, DocumentTask, PromptTemplate, task_for


class FreetextRationalizer(Rationalizer):
    """Prompt ``generator`` in this format; ``samples > 1`` samples and majority-votes (self-consistency).
    ``max_new_tokens``, ``batch_size``, ``seed``, ``do_sample``, ``temperature`` and ``top_p`` make the
    :class:`~rationalize.rationalizers.freetext.generators.GenerationConfig`; ``max_tokens`` cuts documents
    in the prompt."""

    family = "freetext"

    def __init__(self, generator: Any = None, *, style: str = "wt5", samples: int = 1, max_new_tokens: int = 64,
                 batch_size: int = 8, seed: int = 0, do_sample: bool = False, temperature: float = 1.0,
                 top_p: float = 1.0, max_tokens: int | None = 400, chat: bool = False):
        super().__init__(generator=generator, style=style, samples=samples, max_new_tokens=max_new_tokens,
                         batch_size=batch_size, seed=seed, do_sample=do_sample, temperature=temperature, top_p=top_p,
                         max_tokens=max_tokens, chat=chat)

    @property
    def generator(self) -> Any:
        """The generator, loaded on first use when ``generator`` is a spec."""
        return self._resolved("generator", lambda spec: load_generator(spec, chat=self.params["chat"]),
                              "pass the model that writes rationales as generator= (a Generator or a spec)")

    def config(self) -> GenerationConfig:
        """The :class:`GenerationConfig` made from this rationalizer's generation parameters."""
        p = self.params
        return GenerationConfig(max_new_tokens=p["max_new_tokens"], batch_size=p["batch_size"], seed=p["seed"],
                                do_sample=p["do_sample"], temperature=p["temperature"], top_p=p["top_p"])

    def _modules(self) -> list[Any]:
        model = getattr(self.generator, "model", None)
        return [model] if hasattr(model, "modules") else []

    def _rationalize(self, dataset: Dataset, split: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        p = self.params
        task = task_for(dataset, p["max_tokens"])
        if isinstance(task, DocumentTask) and not dataset.labels:
            raise ValueError(f"{self.name}: the prompt lists the labels to choose from; pass labels=[...] "
                             "with raw inputs (or name an NLI / CoS-E dataset)")
        template = PromptTemplate(task, self.name, p["style"])
        examples = self.examples(dataset, resolve_split(dataset, split), limit)
        return list(iter_rationales(self.generator, dataset, examples, template, self.config(), p["samples"],
                                    progress=False))


register_adapters("freetext", FreetextRationalizer,
                  {name: f"PromptTemplate(format={name!r}) + iter_rationales" for name in FORMATS}, __name__)
