"""The language of the dialogue: small programs of filters and one operation, readable and editable.

A question is parsed into a :class:`Program`, which is shown to the user, can be edited and is what the
executor runs (the design of TalkToModel, Slack et al. 2023, and InterroLang, Feldhus et al. 2023)::

    program   := clause ( "and" clause )*          -- exactly one operation, any number of filters
    clause    := "filter" filter | operation
    filter    := "id" ID | "position" INT | "gold" LABEL | "pred" LABEL | "correct" | "incorrect"
               | "contains" WORD | "length" ("<" | "<=" | ">" | ">=") INT
    operation := NAME ( KEY [VALUE [VALUE]] )*     -- the arguments of :data:`OPERATIONS`

For example ``filter id 54 and attribute topk 5 method integrated-gradients`` or
``filter gold NEG and filter incorrect and mistakes sample 3``. Values with spaces are quoted
(``whatif text "a fine film"``). Filters are ANDed and select examples of the conversation's split; an
operation that explains one example uses the first example they select.

The *canonical* text of a program (:meth:`Program.to_text`) lists the filters in a fixed order and leaves
out arguments equal to their defaults, so two programs that run the same computation have the same text:
that is what the parser benchmark compares ("exact parse").
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rationalize.errors import RationalizeError


class GrammarError(RationalizeError, ValueError):
    """A program text that does not follow the grammar (the message says where and what was expected)."""


#: Filter kinds in canonical order: kind -> the type of its value (None: no value).
FILTERS: dict[str, str | None] = {
    "id": "id", "position": "int", "gold": "label", "pred": "label", "correct": None, "incorrect": None,
    "contains": "word", "length": "cmp",
}
COMPARISONS = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class Arg:
    """One argument of an operation: its value type (``int``, ``label``, ``method``, ``methods``, ``word``,
    ``text``, ``pair``, ``flag`` or ``choice``), its default and, for ``choice``, the allowed values."""

    type: str
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class OpSpec:
    """What an operation is: its arguments, whether it explains one example (``scope="example"``), a set of
    examples (``"set"``) or neither (``"none"``), a one-line description and an example program."""

    name: str
    scope: str
    description: str
    args: dict[str, Arg] = field(default_factory=dict)
    example: str = ""


OPERATIONS: dict[str, OpSpec] = {s.name: s for s in (
    OpSpec("show", "set", "an example's text, query and gold label (or the first n of a set)",
           {"n": Arg("int", 5, help="rows to list for a set")}, "filter id 5 and show"),
    OpSpec("predict", "set", "the model's prediction for one example, a filtered set or all",
           {"n": Arg("int", 5, help="rows to list for a set")}, "filter gold NEG and predict"),
    OpSpec("likelihood", "set", "class probabilities (mean over a set)", {}, "filter id 5 and likelihood"),
    OpSpec("mistakes", "set", "how many examples the model gets wrong, or a sample of them",
           {"sample": Arg("int", None, help="list this many mistakes (seeded sample)")}, "mistakes sample 3"),
    OpSpec("score", "set", "accuracy, macro-F1, precision, recall (optionally per class) on a split",
           {"metric": Arg("choice", "all", ("all", "accuracy", "f1", "precision", "recall")),
            "split": Arg("word", None, help="another loaded split"),
            "perclass": Arg("flag", False, help="one row per class")}, "score metric f1 perclass"),
    OpSpec("labels", "set", "label distribution (gold, predicted or both)",
           {"source": Arg("choice", "both", ("both", "gold", "pred"))}, "labels source pred"),
    OpSpec("data", "none", "dataset facts: name, splits, sizes, source, mean length", {}, "data"),
    OpSpec("keywords", "set", "most (or least) frequent words, top n, optionally of one gold label",
           {"topk": Arg("int", 10), "least": Arg("flag", False), "label": Arg("label", None)}, "keywords topk 5"),
    OpSpec("attribute", "example", "the top-k words (or sentences) of one example by a named method",
           {"topk": Arg("int", 5), "method": Arg("method", None), "unit": Arg("choice", "word", ("word", "sentence"))},
           "filter id 5 and attribute topk 5 method lime"),
    OpSpec("important", "set", "globally most important words, aggregated over attributions (for one label)",
           {"topk": Arg("int", 10), "method": Arg("method", None), "label": Arg("label", None)},
           "important topk 10 label POS"),
    OpSpec("rationale", "example", "a free-text explanation from the generator, or the extractive rationale",
           {"source": Arg("choice", None, ("generator", "extractive"))}, "filter id 5 and rationale"),
    OpSpec("agreement", "example", "human vs model rationale of an example: token F1 and IOU F1",
           {"method": Arg("method", None)}, "filter id 5 and agreement method attention"),
    OpSpec("compare", "set", "methods side by side: plausibility and faithfulness on the selected examples",
           {"methods": Arg("methods", None)}, "compare methods attention,occlusion"),
    OpSpec("counterfactual", "example", "a small edit of the rationale's words that flips the prediction",
           {"method": Arg("method", None), "edits": Arg("int", 10, help="most words to delete")},
           "filter id 5 and counterfactual"),
    OpSpec("whatif", "example", "re-predict and re-explain an edited text",
           {"text": Arg("text", None, help="the new document text"), "remove": Arg("word", None),
            "replace": Arg("pair", None, help="old word, new word")}, 'filter id 5 and whatif remove bad'),
    OpSpec("similar", "example", "nearest examples by sentence embedding", {"topk": Arg("int", 3)},
           "filter id 5 and similar topk 3"),
    OpSpec("help", "none", "what the system can do", {}, "help"),
    OpSpec("self", "none", "which model and data the system holds", {}, "self"),
)}


@dataclass(frozen=True)
class Filter:
    """One filter clause: ``kind`` of :data:`FILTERS` and its value (``("<", 200)`` for ``length``)."""

    kind: str
    value: Any = None

    def to_text(self) -> str:
        """The clause as program text (``filter gold NEG``)."""
        if FILTERS[self.kind] is None:
            return f"filter {self.kind}"
        if self.kind == "length":
            op, n = self.value
            return f"filter length {op} {n}"
        return f"filter {self.kind} {_quote(str(self.value))}"


@dataclass
class Program:
    """Filters plus one operation with its arguments (only the ones given; defaults come from the spec)."""

    operation: str
    args: dict[str, Any] = field(default_factory=dict)
    filters: list[Filter] = field(default_factory=list)

    @property
    def spec(self) -> OpSpec:
        """The :class:`OpSpec` of the operation."""
        return OPERATIONS[self.operation]

    def arg(self, name: str) -> Any:
        """The argument's value, or its default."""
        if name in self.args:
            return self.args[name]
        return self.spec.args[name].default

    def filters_of(self, kind: str) -> list[Filter]:
        """The filters of one kind."""
        return [f for f in self.filters if f.kind == kind]

    def canonical(self) -> Program:
        """The same program with filters de-duplicated in canonical order and default-valued arguments dropped."""
        spec = self.spec
        args = {k: v for k, v in self.args.items() if k in spec.args and v != spec.args[k].default
                and v is not None}
        order = {k: i for i, k in enumerate(FILTERS)}
        seen: list[Filter] = []
        for f in sorted(self.filters, key=lambda f: (order[f.kind], str(f.value))):
            if f not in seen:
                seen.append(f)
        return Program(self.operation, {k: args[k] for k in spec.args if k in args}, seen)

    def to_text(self) -> str:
        """The canonical program text (parse it back with :func:`parse_program`)."""
        p = self.canonical()
        words = [self.operation]
        for name, value in p.args.items():
            kind = p.spec.args[name].type
            if kind == "flag":
                words.append(name)
            elif kind == "methods":
                words += [name, ",".join(value)]
            elif kind == "pair":
                words += [name, _quote(value[0]), _quote(value[1])]
            else:
                words += [name, _quote(str(value))]
        return " and ".join([*(f.to_text() for f in p.filters), " ".join(words)])

    def __str__(self) -> str:
        return self.to_text()


def _quote(value: str) -> str:
    """A value as one program word: bare when it is a plain word, else double-quoted."""
    if value and re.fullmatch(r"[^\s\"'<>=]+", value) and value.lower() != "and":
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _words(text: str) -> list[str]:
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars="<>=")
        lexer.whitespace_split = True
        lexer.commenters = ""
        return list(lexer)
    except ValueError as exc:
        raise GrammarError(f"cannot read the program ({exc}): close every quote") from None


def parse_program(text: str) -> Program:
    """Read a program text (the inverse of :meth:`Program.to_text`); raises :class:`GrammarError` saying
    which clause is wrong and what it expected."""
    words = _words(text)
    clauses: list[list[str]] = [[]]
    for w in words:
        if w.lower() == "and":
            clauses.append([])
        else:
            clauses[-1].append(w)
    if any(not c for c in clauses):
        raise GrammarError(f"empty clause in {text!r}: 'and' must join two clauses")
    filters: list[Filter] = []
    op: tuple[str, list[str]] | None = None
    for clause in clauses:
        head = clause[0].lower()
        if head == "filter":
            filters.append(_filter(clause[1:], text))
        elif head in OPERATIONS:
            if op is not None:
                raise GrammarError(f"two operations ({op[0]}, {head}) in one program; ask them one at a time")
            op = (head, clause[1:])
        else:
            raise GrammarError(f"unknown clause {' '.join(clause)!r}: start it with 'filter' or an operation "
                               f"({', '.join(OPERATIONS)})")
    if op is None:
        raise GrammarError(f"no operation in {text!r}; add one of: {', '.join(OPERATIONS)}")
    return Program(op[0], _args(op[0], op[1]), filters)


def _filter(words: Sequence[str], text: str) -> Filter:
    if not words or words[0].lower() not in FILTERS:
        raise GrammarError(f"filter needs one of: {', '.join(FILTERS)} (in {text!r})")
    kind = words[0].lower()
    rest = list(words[1:])
    want = FILTERS[kind]
    if want is None:
        if rest:
            raise GrammarError(f"filter {kind} takes no value, got {' '.join(rest)!r}")
        return Filter(kind)
    if want == "cmp":
        if len(rest) != 2 or rest[0] not in COMPARISONS or not rest[1].isdigit():
            raise GrammarError(f"filter length needs a comparison and a number, e.g. 'filter length < 300' (got {' '.join(rest)!r})")
        return Filter(kind, (rest[0], int(rest[1])))
    if len(rest) != 1:
        raise GrammarError(f"filter {kind} needs one value (quote values with spaces), got {' '.join(rest)!r}")
    if want == "int":
        if not rest[0].isdigit() or int(rest[0]) < 1:
            raise GrammarError(f"filter position needs a number from 1, got {rest[0]!r}")
        return Filter(kind, int(rest[0]))
    return Filter(kind, rest[0])


def _args(op: str, words: Sequence[str]) -> dict[str, Any]:
    spec = OPERATIONS[op]
    out: dict[str, Any] = {}
    i = 0
    while i < len(words):
        name = words[i].lower()
        if name not in spec.args:
            known = ", ".join(spec.args) or "no arguments"
            raise GrammarError(f"{op} has no argument {words[i]!r} (it takes: {known})")
        arg = spec.args[name]
        if arg.type == "flag":
            out[name] = True
            i += 1
            continue
        n = 2 if arg.type == "pair" else 1
        values = list(words[i + 1 : i + 1 + n])
        if len(values) < n:
            raise GrammarError(f"{op} {name} needs {n} value{'s' if n > 1 else ''}")
        v = values[0]
        if arg.type == "int":
            if not v.isdigit() or int(v) < 1:
                raise GrammarError(f"{op} {name} needs a positive number, got {v!r}")
            out[name] = int(v)
        elif arg.type == "choice":
            if v.lower() not in arg.choices:
                raise GrammarError(f"{op} {name} must be one of: {', '.join(arg.choices)} (got {v!r})")
            out[name] = v.lower()
        elif arg.type == "methods":
            out[name] = [m for m in v.split(",") if m]
        elif arg.type == "pair":
            out[name] = (values[0], values[1])
        else:
            out[name] = v
        i += 1 + n
    return out


def grammar_help() -> list[tuple[str, str, str]]:
    """``(operation, description, example program)`` for every operation (what ``help`` lists)."""
    return [(s.name, s.description, s.example) for s in OPERATIONS.values()]
