"""Follow-up context: what a question inherits from the previous one (as InterroLang does).

Three rules, applied by :func:`resolve` to the program the parser built from the question alone:

1. a *follow-up* ("and for id 12?", "what about attention?", "same for negative", "show me more") repeats
   the previous operation with what the question changes: its example, label, method(s) or count;
   "more" doubles the previous count; a method named after an operation that takes none asks for that
   method's attribution of the same example;
2. an operation that explains one example, asked without naming one ("why?", "and the top words?"),
   uses the previous question's example (its ``id`` / ``position`` filters);
3. ``show``, ``predict`` and ``likelihood`` asked without filters after a question about one example
   ("how confident are you?") stay on that example, unless the question says "all" / "overall" / "every".
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from rationalize.dialogue.grammar import OPERATIONS, Filter, Program

EXAMPLE_FILTERS = ("id", "position")
LABEL_FILTERS = ("gold", "pred")
#: The count argument of each operation that has one (what "more" doubles and a bare number sets).
COUNT_ARG = {"show": "n", "predict": "n", "mistakes": "sample", "keywords": "topk", "attribute": "topk",
             "important": "topk", "similar": "topk", "counterfactual": "edits"}
#: Set operations that, asked without filters right after a question about one example ("what do you predict?",
#: "how confident are you?"), apply to that example, unless the question says it means the whole set.
WHOLE = re.compile(r"\b(?:all|every|overall|whole|each|average|in general|total)\b", re.IGNORECASE)
POINTING_OPS = ("show", "predict", "likelihood")


class NoContextError(ValueError):
    """A follow-up asked before any question it could follow."""


@dataclass
class DialogueState:
    """What the conversation remembers: the previous (resolved) program and the history of programs."""

    previous: Program | None = None
    history: list[Program] = field(default_factory=list)

    def remember(self, program: Program) -> None:
        """Record a program that ran."""
        self.previous = program
        self.history.append(program)


def example_filters(program: Program) -> list[Filter]:
    """The filters that pick one example (``id``, ``position``)."""
    return [f for f in program.filters if f.kind in EXAMPLE_FILTERS]


def resolve(program: Program, previous: Program | None, *, followup: bool = False, more: bool = False,
            question: str = "", changed: dict[str, Any] | None = None) -> tuple[Program, str]:
    """``program`` completed from ``previous`` by the rules of the module docstring; returns the program and
    a note saying what was inherited ("" when nothing was). ``changed`` holds what a follow-up question
    itself says: ``filters`` (new filters), ``method``, ``methods``, ``count``, ``label``."""
    changed = changed or {}
    if followup:
        if previous is None:
            raise NoContextError("this looks like a follow-up, but there is no previous question to follow")
        p = copy.deepcopy(previous)
        if changed.get("method") and not ({"method", "methods"} & set(OPERATIONS[p.operation].args)):
            # "what about lime?" after a question without a method: the words lime finds for that example
            p = Program("attribute" if example_filters(p) else "important", {}, example_filters(p) or [])
        spec = OPERATIONS[p.operation]
        new_filters: list[Filter] = changed.get("filters", [])
        kinds = {f.kind for f in new_filters}
        if kinds & set(EXAMPLE_FILTERS):
            p.filters = [f for f in p.filters if f.kind not in EXAMPLE_FILTERS]
        if kinds & set(LABEL_FILTERS):
            p.filters = [f for f in p.filters if f.kind not in LABEL_FILTERS]
        p.filters += [f for f in new_filters if f not in p.filters]
        if changed.get("label") is not None:
            if "label" in spec.args:
                p.args["label"] = changed["label"]
            else:
                p.filters = [f for f in p.filters if f.kind not in LABEL_FILTERS] + [Filter("gold", changed["label"])]
        if changed.get("methods") and "methods" in spec.args:
            p.args["methods"] = changed["methods"]
        elif changed.get("method") and "method" in spec.args:
            p.args["method"] = changed["method"]
        count = COUNT_ARG.get(p.operation)
        if count is not None:
            if changed.get("count") is not None:
                p.args[count] = changed["count"]
            elif more:
                current = p.arg(count) or spec.args[count].default or 5
                p.args[count] = 2 * current
        return p, f"follow-up of: {previous.to_text()}"
    if previous is None or example_filters(program):
        return program, ""
    spec = OPERATIONS[program.operation]
    inherit = spec.scope == "example" or (program.operation in POINTING_OPS and not program.filters
                                          and not WHOLE.search(question))
    if inherit and example_filters(previous):
        p = copy.deepcopy(program)
        p.filters = example_filters(previous) + p.filters
        return p, "example from the previous question: " + " and ".join(f.to_text() for f in example_filters(previous))
    return program, ""
