"""The Python API of the dialogue: ``Conversation(dataset, model).ask(text)``.

A :class:`Conversation` owns a :class:`~rationalize.dialogue.operations.Workspace` (the data, the models,
the caches of model calls), a :class:`~rationalize.dialogue.parser.Parser` and the dialogue state (the
previous program, for follow-ups). :meth:`Conversation.ask` parses a question, runs its program and returns
a :class:`Reply` holding the program text (always shown), the answer and timings; :meth:`Conversation.run`
runs a program typed or edited by the user. Whatever goes wrong with a question (not understood, an unknown
id, an operation the loaded model cannot do) comes back as an answer that says why and suggests questions
that work, never as an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rationalize.data.schema import Dataset
from rationalize.dialogue.context import DialogueState
from rationalize.dialogue.grammar import GrammarError, Program, parse_program
from rationalize.dialogue.operations import Answer, DialogueError, Workspace, example_questions, execute
from rationalize.dialogue.parser import Parse, Parser


@dataclass
class Reply:
    """One turn: the ``question``, the ``program`` that ran (None if none could be made) and its text
    ``parse``, the ``answer``, a ``note`` on what came from context, and the parse and total ``seconds``."""

    question: str
    program: Program | None
    answer: Answer
    note: str = ""
    parse_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def parse(self) -> str:
        """The program text shown with the answer ("" when the question was not understood)."""
        return self.program.to_text() if self.program is not None else ""

    def to_text(self) -> str:
        """The turn as terminal text: the parse, then the answer."""
        head = f"[{self.parse}]" if self.parse else "[no parse]"
        if self.note:
            head += f"  ({self.note})"
        return f"{head}\n{self.answer.to_text()}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the viewer's chat API)."""
        return {"question": self.question, "parse": self.parse, "note": self.note, "answer": self.answer.to_dict(),
                "parse_ms": round(1000 * self.parse_seconds, 2), "ms": round(1000 * self.seconds, 2)}


class Conversation:
    """A dialogue about ``model`` (a classifier, or a folder :func:`rationalize.models.load_model` reads) on
    ``dataset[split]`` (default: ``test``, else ``val``, else the first split).

    ``generator`` (a free-text generator or a spec such as ``smollm2``) enables free-text ``rationale``;
    ``encoder`` is the sentence encoder of the intent classifier and of ``similar`` (``None``: TF-IDF);
    ``parser`` reuses a trained :class:`Parser`'s intent classifier; ``llm_parser`` (a generator or spec) is
    asked, few-shot, for the questions the parser cannot place (its output runs only if it is a valid
    program); other keywords go to the
    :class:`~rationalize.dialogue.operations.Workspace` (``method``, ``method_params``, ``compare_methods``,
    ``max_examples``, ``seed``, ``progress``)."""

    def __init__(self, dataset: Dataset, model: Any, split: str | None = None, *, generator: Any = None,
                 encoder: str | None = "minilm", parser: Parser | None = None, llm_parser: Any = None,
                 progress: Callable[[int, int, str], None] | None = None, **workspace: Any):
        if isinstance(model, str) or hasattr(model, "__fspath__"):
            from rationalize.models import load_model

            model = load_model(model, dataset)
        if isinstance(generator, str):
            from rationalize.rationalizers.freetext.generators import load_generator

            generator = load_generator(generator, chat=True)
        if split is None:
            split = next((s for s in ("test", "val") if s in dataset.splits), next(iter(dataset.splits)))
        self.workspace = Workspace(dataset, split, model, generator=generator, embedder=encoder, progress=progress,
                                   **workspace)
        ids = [ex.id for ex in self.workspace.examples]
        llm = None
        if llm_parser is not None:
            from rationalize.dialogue.parser import LLMParser

            if isinstance(llm_parser, str):
                from rationalize.rationalizers.freetext.generators import load_generator

                llm_parser = load_generator(llm_parser, chat=True)
            llm = LLMParser(llm_parser)
        if parser is None:
            parser = Parser.train(self.workspace.labels, ids, encoder=encoder, llm=llm)
        else:
            parser = Parser(parser.classifier, self.workspace.labels, ids, methods=parser.methods, llm=llm)
        self.parser = parser
        self.state = DialogueState()
        self.history: list[Reply] = []

    def ask(self, text: str) -> Reply:
        """Answer a question in plain words (or a program typed in the grammar)."""
        t0 = time.perf_counter()
        parsed: Parse = self.parser.parse(text, self.state.previous)
        if parsed.program is None:
            answer = Answer(parsed.message or "I did not understand the question.", suggestions=parsed.suggestions,
                            error=True)
            reply = Reply(text, None, answer, parse_seconds=parsed.seconds, seconds=time.perf_counter() - t0)
            self.history.append(reply)
            return reply
        reply = self._run(text, parsed.program, parsed.note, t0, parsed.seconds)
        return reply

    def run(self, program: str | Program) -> Reply:
        """Run a program given as text (the parse shown, as edited by the user) or as a :class:`Program`."""
        t0 = time.perf_counter()
        text = program if isinstance(program, str) else program.to_text()
        try:
            prog = parse_program(program) if isinstance(program, str) else program
        except GrammarError as exc:
            reply = Reply(text, None, Answer(f"That program does not follow the grammar: {exc}",
                                             suggestions=["help", "filter id 1 and predict"], error=True),
                          seconds=time.perf_counter() - t0)
            self.history.append(reply)
            return reply
        return self._run(text, prog, "edited program", t0, 0.0)

    def _run(self, question: str, program: Program, note: str, t0: float, parse_seconds: float) -> Reply:
        try:
            answer = execute(self.workspace, program)
            self.state.remember(program)
        except DialogueError as exc:
            answer = Answer(exc.message, suggestions=exc.suggestions, error=True)
        reply = Reply(question, program, answer, note, parse_seconds, time.perf_counter() - t0)
        self.history.append(reply)
        return reply

    def suggestions(self) -> list[str]:
        """One question per operation, filled in for this dataset (what the chat offers to start with)."""
        return list(example_questions(self.workspace).values())
