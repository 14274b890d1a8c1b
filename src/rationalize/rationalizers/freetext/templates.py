"""Prompt and target templates for free-text rationales, per task and per output format.

Two output *formats* decide where the explanation goes:

* ``predict-then-explain``: the label first, then the explanation (WT5, Narang et al. 2020:
  ``"entailment explanation: ..."``);
* ``explain-then-predict``: the explanation first, then the label (chain of thought, Wei et al. 2022;
  also the "reason first" variant of Camburu et al. 2018).

Two *styles* decide the wording:

* ``wt5``: a text-to-text prompt ``"explain nli premise: ... hypothesis: ... output:"`` and targets
  ``"<label> explanation: <text>"`` or ``"explanation: <text> answer: <label>"``; meant for models
  fine-tuned on it (``rationalize train explainer``). The trailing ``output:`` gives causal LMs a boundary
  between input and target (WT5 itself, an encoder-decoder, needs none).
* ``cot``: a natural-language instruction for prompted (instruction-tuned) LMs, ending with
  ``"Let's think step by step."`` (Kojima et al. 2022) and a target ``"<text> So the answer is <label>."``
  or, predict first, ``"Answer:"`` then ``"<label>. Explanation: <text>"``.

A task (:class:`TaskSpec`) says how an example becomes named input fields and which labels it may take:
:class:`NLITask` (e-SNLI: premise and hypothesis), :class:`MultipleChoiceTask` (CoS-E: a question and its
answer choices) and :class:`DocumentTask` (any ERASER task: its query and document text).
:func:`task_for` picks one from a dataset's name. Parsing the label back is :mod:`.parsing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rationalize.data.schema import Dataset, Example
from rationalize.rationalizers.freetext.parsing import ParsedOutput, parse_output

Format = Literal["explain-then-predict", "predict-then-explain"]
Style = Literal["wt5", "cot"]
FORMATS: tuple[str, ...] = ("explain-then-predict", "predict-then-explain")
STYLES: tuple[str, ...] = ("wt5", "cot")


@dataclass(frozen=True)
class TaskSpec:
    """How one task's examples become prompt fields, and the labels an example may take.

    ``prefix`` is the WT5 task prefix (``nli``, ``cos_e``...); ``question`` the instruction of the CoT
    prompt; ``aliases`` maps a label to other surface forms the parser accepts (``"entails"`` for
    ``entailment``).
    """

    name: str
    prefix: str
    question: str
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def fields(self, example: Example, dataset: Dataset) -> list[tuple[str, str]]:
        """The ``(name, text)`` fields of this example's prompt, in order; implemented by each task."""
        raise NotImplementedError

    def candidates(self, example: Example, dataset: Dataset) -> list[str]:
        """The labels this example may take (the dataset's label set; CoS-E: the example's choices)."""
        return list(dataset.labels)

    def gold(self, example: Example, dataset: Dataset) -> str | None:
        """The gold label as the target text of the prompt (``None`` for an unlabelled example)."""
        return example.label


def _doc_text(example: Example, dataset: Dataset, max_tokens: int | None) -> str:
    tokens = [t for d in dataset.docs_of(example) for t in d.tokens]
    if max_tokens is not None and len(tokens) > max_tokens:
        tokens = tokens[:max_tokens]
    return " ".join(tokens)


@dataclass(frozen=True)
class NLITask(TaskSpec):
    """e-SNLI: as our loader (and ERASER) stores it, two documents, premise then hypothesis; a single
    document with the hypothesis as query is accepted too."""

    def fields(self, example: Example, dataset: Dataset) -> list[tuple[str, str]]:
        """``premise`` and ``hypothesis`` fields (two documents, or one document plus the query)."""
        docs = dataset.docs_of(example)
        if len(docs) >= 2:
            return [("premise", " ".join(docs[0].tokens)), ("hypothesis", " ".join(docs[1].tokens))]
        return [("premise", _doc_text(example, dataset, None)), ("hypothesis", example.query or "")]


def _choices(example: Example) -> list[str]:
    """Answer choices from ``metadata["choices"]``: a list, ``{"text": [...]}``, or ``{letter: text}``
    (our CoS-E loader; taken in letter order)."""
    raw = example.metadata.get("choices") or example.metadata.get("answer_choices")
    if isinstance(raw, dict):
        raw = raw["text"] if "text" in raw else [raw[k] for k in sorted(raw)]
    return [str(c) for c in raw] if raw else []


@dataclass(frozen=True)
class MultipleChoiceTask(TaskSpec):
    """CoS-E / CommonsenseQA: the question is the document (our loader; else the query), the choices
    are in ``metadata["choices"]``, and the gold answer is the text of the right choice (a letter label
    ``A``-``E``, as our loader stores it, is mapped to its choice)."""

    def fields(self, example: Example, dataset: Dataset) -> list[tuple[str, str]]:
        """``question`` and comma-separated ``choices`` fields."""
        question = _doc_text(example, dataset, None) if example.docids else (example.query or "")
        return [("question", question), ("choices", ", ".join(_choices(example)))]

    def candidates(self, example: Example, dataset: Dataset) -> list[str]:
        """The example's choices (the dataset's labels when it has none)."""
        return _choices(example) or list(dataset.labels)

    def gold(self, example: Example, dataset: Dataset) -> str | None:
        """The text of the right choice; a letter label (``A``, ``B``...) is mapped to that choice."""
        choices = _choices(example)
        label = example.label
        if label is not None and choices and label not in choices and len(label) == 1 and label.isalpha():
            idx = ord(label.upper()) - ord("A")
            if 0 <= idx < len(choices):
                return choices[idx]
        return label


@dataclass(frozen=True)
class DocumentTask(TaskSpec):
    """Any ERASER task: the query (when there is one) and the document text, truncated to
    ``max_tokens`` dataset tokens so that prompts fit small models."""

    max_tokens: int | None = 400

    def fields(self, example: Example, dataset: Dataset) -> list[tuple[str, str]]:
        """A ``query`` field (when the example has one) and the ``document`` text, cut to ``max_tokens``."""
        out = []
        if example.query:
            out.append(("query", example.query))
        out.append(("document", _doc_text(example, dataset, self.max_tokens)))
        return out


NLI = NLITask(
    "esnli", "nli",
    "Does the premise entail the hypothesis, contradict it, or neither (neutral)?",
    {"entailment": ("entailment", "entails", "entailed"),
     "contradiction": ("contradiction", "contradicts", "contradictory", "contradicted"),
     "neutral": ("neutral",)},
)
COSE = MultipleChoiceTask("cose", "cos_e", "Which choice answers the question?")

TASKS: dict[str, TaskSpec] = {"esnli": NLI, "cose": COSE}


def task_for(dataset: Dataset, max_tokens: int | None = 400) -> TaskSpec:
    """The task of a dataset by its name (``esnli``, ``cose``, ``cos-e``...); anything else is an ERASER
    style :class:`DocumentTask` over its query and document."""
    key = dataset.name.lower().replace("-", "").replace("_", "")
    if key.startswith("esnli") or key == "snli":
        return NLI
    if key.startswith("cose") or key.startswith("commonsenseqa") or key == "cqa":
        return COSE
    labels = ", ".join(dataset.labels)
    return DocumentTask(dataset.name, dataset.name.lower(), f"Which label fits the document ({labels})?",
                        max_tokens=max_tokens)


@dataclass(frozen=True)
class PromptTemplate:
    """A task in one format and style: renders prompts and targets; :meth:`parse` reads outputs back."""

    task: TaskSpec
    format: str = "explain-then-predict"
    style: str = "wt5"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, got {self.style!r}")

    @property
    def explain_first(self) -> bool:
        """Whether the explanation comes before the label (the ``explain-then-predict`` format)."""
        return self.format == "explain-then-predict"

    def prompt(self, example: Example, dataset: Dataset, hint: str | None = None) -> str:
        """The model input. ``hint`` (STaR's rationalization, Zelikman et al. 2022) adds the right answer
        to the prompt so the model can explain it; it is removed again before fine-tuning."""
        fields = self.task.fields(example, dataset)
        choices = self.task.candidates(example, dataset)
        if self.style == "wt5":
            text = "explain " + self.task.prefix + " " + " ".join(f"{k}: {v}" for k, v in fields)
            if hint is not None:
                text += f" hint: {hint}"
            return text + " output:"
        lines = [f"{k.capitalize()}: {v}" for k, v in fields]
        lines.append(f"{self.task.question} Choose one of: {', '.join(choices)}.")
        if hint is not None:
            lines.append(f"(Hint: the answer is {hint}.)")
        if self.explain_first:
            lines.append("Explain your reasoning, then end with 'So the answer is <answer>.' "
                         "Let's think step by step.")
        else:
            lines.append("Give the answer, then a one-sentence explanation, in the form "
                         "'Answer: <answer>. Explanation: <sentence>'.\nAnswer:")
        return "\n".join(lines)

    def target(self, label: str, explanation: str) -> str:
        """The text the model should produce (used to fine-tune; leading space for causal LMs)."""
        explanation = explanation.strip()
        if self.style == "wt5":
            if self.explain_first:
                return f" explanation: {explanation} answer: {label}"
            return f" {label} explanation: {explanation}"
        if self.explain_first:
            return f" {explanation.rstrip('.')}. So the answer is {label}."
        return f" {label}. Explanation: {explanation}"

    def answer_prefix(self, explanation: str) -> str:
        """For explain-then-predict: the generated text up to (and including) the answer marker, with
        ``explanation`` as the rationale. The CoT faithfulness probes continue from it."""
        if not self.explain_first:
            raise ValueError("answer_prefix needs the explain-then-predict format")
        explanation = explanation.strip()
        if self.style == "wt5":
            return f" explanation: {explanation} answer:"
        return f" {explanation.rstrip('.')}. So the answer is" if explanation else " So the answer is"

    def parse(self, text: str, candidates: Sequence[str]) -> ParsedOutput:
        """The label and explanation in ``text``, a continuation of this template's prompt (see :mod:`.parsing`)."""
        return parse_output(text, candidates, self.format, aliases=self.task.aliases)
