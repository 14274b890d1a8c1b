"""From a question in plain words to a program of :mod:`rationalize.dialogue.grammar`, offline on a CPU.

Two parts, as in TalkToModel's and InterroLang's parsers but without a seq2seq model:

* **slots**, found deterministically (:func:`extract_slots`): example ids in their usual forms (``id 54``,
  ``#54``, ``example no. 54``, ``negR_054.txt``, an id of the dataset), positions (``the third example``),
  numbers (``top 5``, ``three examples``), labels of the dataset and their aliases (``positive`` =
  ``POS``), method names of the rationalizer registry and their usual names (``IG``, ``SHAP``), quoted
  words and texts, length bounds, correct / incorrect, a split, a metric; label, method and metric names
  are matched with tolerance for misspellings;
* the **intent** (which operation, or a follow-up, or out of scope), from an :class:`IntentClassifier`:
  a logistic regression over MiniLM sentence embeddings (``minilm``, offline), character and word n-gram
  TF-IDF of the question with its slot values masked, operation cues and slot-presence features, trained on
  our own question set (:data:`QUESTIONS_PATH`, the ``train`` and ``dev`` parts; the benchmark scores a
  fresh set kept outside the package), then checked against the grammar (:meth:`Parser.intent`). Without
  MiniLM it falls back to the TF-IDF features alone. The nearest training questions are the
  suggestions for a question it cannot parse.

:meth:`Parser.parse` combines them into a program (:func:`build_program`) and completes it from the
previous question (:func:`rationalize.dialogue.context.resolve`).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rationalize.dialogue.context import COUNT_ARG, NoContextError, resolve
from rationalize.dialogue.grammar import OPERATIONS, Filter, Program, parse_program
from rationalize.models.base import LABEL_ALIASES, same_label

QUESTIONS_PATH = Path(__file__).with_name("questions.jsonl")
#: The parts of the question set the shipped parser learns from. ``dev`` (the former held-out ``test`` part)
#: was used to design the parser; the untouched test set lives outside the package
#: (benchmarks/data/dialogue_questions_fresh.jsonl) and is never read here.
TRAIN_SPLITS = ("train", "dev")
FOLLOWUP = "followup"
UNKNOWN = "unknown"
INTENTS = (*OPERATIONS, FOLLOWUP, UNKNOWN)

#: Usual names of the post-hoc methods (lower case, longest first when matched).
METHOD_ALIASES: dict[str, tuple[str, ...]] = {
    "integrated-gradients": ("integrated gradients", "integrated gradient", "integrated-gradients", "int grad",
                             "intgrad", "ig"),
    "input-x-gradient": ("input x gradient", "input-x-gradient", "input times gradient", "gradient x input",
                         "gradient times input", "inputxgradient", "ixg"),
    "saliency": ("saliency", "vanilla gradients", "vanilla gradient", "plain gradients", "gradients", "gradient"),
    "deeplift": ("deeplift", "deep lift", "deep-lift"),
    "occlusion": ("occlusion", "leave one out", "leave-one-out", "erasure"),
    "lime": ("lime",),
    "kernel-shap": ("kernel shap", "kernel-shap", "kernelshap", "shapley values", "shapley", "shap"),
    "attention-rollout": ("attention rollout", "attention-rollout", "rollout"),
    "attention-last": ("last layer attention", "attention-last", "last-layer attention"),
    "attention-mean": ("mean attention", "attention-mean", "average attention"),
    "attention": ("attention weights", "attention"),
    "random": ("random baseline", "random"),
}
#: Extra spellings of common labels, on top of :data:`rationalize.models.base.LABEL_ALIASES`.
LABEL_WORDS: tuple[tuple[str, ...], ...] = (
    ("supports", "support", "supported", "supporting", "true claim"),
    ("refutes", "refute", "refuted", "refuting", "false claim"),
    ("entailment", "entail", "entails", "entailed"),
    ("contradiction", "contradict", "contradicts", "contradictory"),
)
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}
ID_CUES = (r"ids?|examples?|instances?|items?|reviews?|docs?|documents?|records?|datapoints?|data\s+points?|"
           r"points?|cases?|claims?|pairs?|rows?|entry|entries|number|no\.?|nr\.?|num")
ID_RE = re.compile(rf"\b(?:{ID_CUES})\s*(?:id|number|no\.?|nr\.?|#)?\s*[:#=]?\s*([A-Za-z]*[_\-]?\d[\w\-]*(?:\.txt)?)\b",
                   re.IGNORECASE)
HASH_RE = re.compile(r"#\s*([A-Za-z]*[_\-]?\d[\w\-]*(?:\.txt)?)")
SHAPED_ID_RE = re.compile(r"\b([A-Za-z]+_[A-Za-z]*\d+(?:\.txt)?|[A-Za-z]+R_\d+\.txt)\b")
POSITION_RE = re.compile(r"\b(?:the\s+)?(" + "|".join(ORDINALS) + r"|(\d+)(?:st|nd|rd|th))\b(?!\s+(?:\d+|"
                         + "|".join(w for w in NUMBER_WORDS if w != "one") + r")\b)", re.IGNORECASE)
POSITION_NUM_RE = re.compile(r"\bposition\s*(?:#|no\.?)?\s*(\d+)\b", re.IGNORECASE)
LENGTH_RE = re.compile(r"\b(longer than|more than|over|above|greater than|at least|shorter than|less than|fewer than|"
                       r"under|below|at most|no more than)\s+(\d+)\s*(?:words?|tokens?)\b", re.IGNORECASE)
LENGTH_OPS = {"longer than": ">", "more than": ">", "over": ">", "above": ">", "greater than": ">", "at least": ">=",
              "shorter than": "<", "less than": "<", "fewer than": "<", "under": "<", "below": "<", "at most": "<=",
              "no more than": "<="}
QUOTE_RE = re.compile(r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?<![\w])'([^']+)'(?![\w])")
SPLIT_RE = re.compile(r"\b(?:on|in|for|over)\s+(?:the\s+)?(train|training|val|validation|dev|development|test|testing)"
                      r"\b(?:\s+(?:split|set|data|part))?", re.IGNORECASE)
SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "validation": "val", "dev": "val",
               "development": "val", "test": "test", "testing": "test"}
METRICS = {"accuracy": "accuracy", "accurate": "accuracy", "acc": "accuracy", "f1": "f1", "f-1": "f1",
           "fscore": "f1", "f-score": "f1", "f-measure": "f1", "precision": "precision", "recall": "recall"}
PERCLASS_RE = re.compile(r"\bper[- ]?(?:class|label|category)\b|\b(?:each|every|by|individual)\s+(?:class|label|category)"
                         r"|\bclass[- ]?wise\b|\bbreak\s*down\b|\bbreakdown\b|\bfor each of the (?:classes|labels)\b", re.IGNORECASE)
INCORRECT_RE = re.compile(r"\b(?:incorrectly|wrongly|misclassified|mis-classified|mispredicted|errors?|mistakes?|"
                          r"misclassifications?|(?:got|get|gets|getting|were|was|are|is)\s+(?:\w+\s+)?wrong|"
                          r"(?:incorrect|wrong|failed)\s+(?:ones?|examples?|predictions?|cases?|reviews?|items?|"
                          r"instances?))\b", re.IGNORECASE)
CORRECT_RE = re.compile(r"\b(?:correctly|(?:got|get|gets|getting)\s+(?:\w+\s+)?right|(?:correct|right|successful)\s+"
                        r"(?:ones?|examples?|predictions?|cases?|reviews?|items?|instances?))\b", re.IGNORECASE)
CONTAINS_RE = re.compile(r"\b(?:(?:contain(?:s|ing)?|mention(?:s|ing)?)\s+(?:the\s+)?(?:(?:word|term|phrase|token)\s+)?|"
                         r"(?:includ(?:e|es|ing)|with|having|has|use|uses|using)\s+(?:the\s+)?(?:word|term|phrase|token)\s+)"
                         r"([\w\-']+)", re.IGNORECASE)
REMOVE_RE = re.compile(r"\b(?:remove|removed|delete|deleted|drop|dropped|take out|without|strip|cut|omit|omitted|"
                       r"(?:did not|didn't|does not|doesn't) (?:contain|have|include|say|use))\s+(?:the\s+)?"
                       r"(?:word\s+|term\s+|token\s+)?([\w\-']+)", re.IGNORECASE)
#: Edits said the other way round: "if the word plot is taken out", "with great replaced by superb".
REMOVE_AFTER_RE = re.compile(r"\b(?:the\s+)?(?:word|term|token)\s+([\w\-']+)\s+(?:is|was|were|gets|got|be|is being)?\s*"
                             r"(?:taken out|removed|deleted|dropped|left out|omitted|cut)\b", re.IGNORECASE)
REPLACE_AFTER_RE = re.compile(r"\b(?:the\s+)?(?:word\s+)?([\w\-']+)\s+(?:is\s+|was\s+|were\s+)?(?:replaced|swapped|"
                              r"substituted|changed)\s+(?:by|with|for|to|into)\s+(?:the\s+)?(?:word\s+)?([\w\-']+)",
                              re.IGNORECASE)
REPLACE_RE = re.compile(r"\b(?:replace|replaced|swap|swapped|change|changed|substitute|substituted|turn|turned)\s+"
                        r"(?:the\s+)?(?:word\s+)?([\w\-']+)\s+(?:with|by|to|into|for)\s+(?:the\s+)?(?:word\s+)?([\w\-']+)",
                        re.IGNORECASE)
MORE_RE = re.compile(r"\b(?:more|another|others|next|further|additional|keep going|continue)\b", re.IGNORECASE)
LEAST_RE = re.compile(r"\b(?:least|rarest|rare|fewest|infrequent|uncommon|less frequent|less common)\b", re.IGNORECASE)
SENTENCE_RE = re.compile(r"\bsentences?\b", re.IGNORECASE)
GENERATOR_RE = re.compile(r"\b(?:free[- ]?text|in (?:your own |plain |natural )?(?:words|language|english)|natural "
                          r"language|generat\w*|write|written|own words|verbal(?:ly)?|textual)\b", re.IGNORECASE)
EXTRACTIVE_RE = re.compile(r"\b(?:extractive|extracted|extract|highlight\w*|evidence span|spans?)\b", re.IGNORECASE)
PRED_CUE = re.compile(r"\b(?:predict\w*|classif\w*|label(?:l)?ed|model|you|thinks?|said|says|called|assigned|as)\W*$", re.IGNORECASE)
GOLD_CUE = re.compile(r"\b(?:gold|true|truly|actual(?:ly)?|real(?:ly)?|annotated|human|ground[- ]truth|correct label|"
                      r"are|is)\W*$", re.IGNORECASE)
LABEL_SOURCE_PRED = re.compile(r"\b(?:predict\w*|model'?s|your|you)\b", re.IGNORECASE)
LABEL_SOURCE_GOLD = re.compile(r"\b(?:gold|true|actual|annotat\w*|human|real|ground)\b", re.IGNORECASE)


#: Lexical cues of each operation, read off its meaning (the grammar's descriptions): one binary feature each
#: for the intent classifier, which learns how much to trust them. They generalise across phrasings where
#: 285 training questions alone do not ("how sure", "odds" and "confident" all ask for probabilities).
CUES: dict[str, str] = {
    "show": r"\b(?:show|display|see|read|look at|view|print|pull up|text of|full text|document|open|"
            r"does (?:\w+ ){0,3}say)\b",
    "predict": r"\b(?:predict\w*|classif\w*|output|guess|label (?:do|does|would)|which (?:class|label)|what label|"
               r"assign\w*|think about|say about)\b",
    "likelihood": r"\b(?:probabilit\w*|probs?|confiden\w*|sure|certain\w*|likel\w*|odds|chances?)\b",
    "mistakes": r"\b(?:mistak\w*|wrong|errors?|misclassif\w*|incorrect\w*|mess(?:ed)? up|fail\w*|disagree\w*|"
                r"mispredict\w*)\b",
    "score": r"\b(?:accura\w*|(?<!token )f1|f-1|precision|recall|scores?|perform\w*|preformance|how (?:good|well)|metrics?|"
             r"doing)\b",
    "labels": r"\b(?:distribut\w*|balance\w*|how many of each|per (?:class|label)|proportion\w*|between classes|"
              r"class counts|label counts|how often)\b",
    "data": r"\b(?:data\s?set|data|corpus|splits?|sizes?|source|how (?:big|large)|stats|statistics)\b",
    "keywords": r"\b(?:frequen\w*|common\w*|comon|occur\w*|show up|appear\w*|rare\w*|counts? of words)\b",
    "attribute": r"\b(?:why|influential|attribut\w*|tokens?|made (?:you|u)|pushed|decid\w*|decision|relevant|"
                 r"matter\w*|key words|importa\w*|importnat)\b",
    "important": r"\b(?:overall|global\w*|in general|generally|across|aggregat\w*|rel(?:y|ies|ied) on|lean on|"
                 r"drive\w*|push (?:u|you) towards|all examples|whole dataset)\b",
    "rationale": r"\b(?:expla\w*|explian|explenation|reason\w*|rationale|justif\w*|evidence|own words|written|"
                 r"write|extract\w*)\b",
    "agreement": r"\b(?:agree\w*|human\w*|annotat\w*|overlap\w*|iou|token f1|plausib\w*|match\w*)\b",
    "compare": r"\b(?:compar\w*|compair|vs|versus|better|best|side by side|benchmark\w*|differ\w*|faithful\w*|"
               r"which (?:method|explainer))\b",
    "counterfactual": r"\b(?:flip\w*|counterfact\w*|revers\w*|minimal|smallest|change (?:the |its |ur |your )?"
                      r"(?:prediction|label|mind|decision|answer)|other label)\b",
    "whatif": r"\b(?:what if|wat if|suppose|if i|remov\w*|delet\w*|replac\w*|swap\w*|without|didn'?t have|"
              r"taken out|re-?predict|instead of|read \"|said)\b|\bquote\b",
    "similar": r"\b(?:simil\w*|simlar|like (?:the )?(?:item|this|example|review|one|instance|doc\w*)|close(?:st)?|nearest|neighbo\w*|resembl\w*)\b",
    "help": r"\b(?:help|hlep|what can (?:i|u|you)|how (?:do i|does this)|commands?|questions can|overview|"
            r"things i can)\b",
    "self": r"\b(?:who (?:are|r) (?:you|u)|which model|what model|modle|architecture|yourself|model info|"
            r"what (?:are|r) (?:you|u)|kind of model|configur\w*|loaded)\b",
}
_CUES = {op: re.compile(rx, re.IGNORECASE) for op, rx in CUES.items()}


def cue_vector(text: str) -> np.ndarray:
    """One 0/1 feature per operation: whether the question holds one of the operation's :data:`CUES`."""
    return np.array([1.0 if rx.search(text) else 0.0 for rx in _CUES.values()], dtype=np.float32)


#: The slot-presence features, in order (:func:`slot_vector`).
SLOT_FEATURES = ("example", "method", "methods", "label", "number", "quote", "length", "correct", "metric", "split",
                 "perclass", "edit", "more", "least", "sentence", "generator", "extractive")


def slot_vector(s: Slots) -> np.ndarray:
    """One 0/1 feature per kind of slot the question holds (an example, a method, two or more methods, a label,
    a count, ...): which operation a question asks for shows in what it names, and the masked text alone
    reads a placeholder like "method" or "item" as a word among others."""
    has = {"example": bool(s.ids or s.positions), "method": bool(s.methods), "methods": len(s.methods) > 1,
           "label": bool(s.labels), "number": bool(s.numbers), "quote": bool(s.quotes), "length": s.length is not None,
           "correct": s.correct is not None, "metric": s.metric is not None, "split": s.split is not None,
           "perclass": s.perclass, "edit": bool(s.replace or s.remove), "more": s.more, "least": s.least,
           "sentence": s.sentence, "generator": s.source_generator, "extractive": s.source_extractive}
    return np.array([1.0 if has[k] else 0.0 for k in SLOT_FEATURES], dtype=np.float32)


def dropped_slots(intent: str, s: Slots) -> int:
    """How many of the question's slots the program of ``intent`` would leave unused: a named method for an
    operation that takes none, an example for an operation about no examples, a metric or a split outside
    ``score``, an edit outside ``whatif``. The parser prefers, among likely intents, one that uses what the
    question says (as a semantic parser scores the coverage of its input)."""
    if intent in (FOLLOWUP, UNKNOWN):
        return 0
    spec = OPERATIONS[intent]
    n = 0
    if s.methods and not ({"method", "methods"} & set(spec.args)):
        n += 1
    if (s.ids or s.positions) and spec.scope == "none":
        n += 1
    if s.split and intent != "score":
        n += 1
    if (s.replace or s.remove) and intent != "whatif":
        n += 1
    return n


def fits_slots(intent: str, s: Slots) -> bool:
    """Whether an operation can take what the question names, by the grammar: a named method needs an
    operation with a method argument ("explain id 5 with LIME" is LIME's attribution, not a free-text
    rationale), and a named example an operation about examples (``data``, ``help``, ``self`` take none)."""
    if intent in (FOLLOWUP, UNKNOWN):
        return True
    spec = OPERATIONS[intent]
    if s.methods and not ({"method", "methods"} & set(spec.args)):
        return False
    return not ((s.ids or s.positions) and spec.scope == "none")


def names_data(s: Slots) -> bool:
    """Whether a question names something of the data or the explainers (an example, a label, a length, a word
    to look for, correct / incorrect, a method): such a question is about the model, not out of scope."""
    return bool(s.ids or s.positions or s.labels or s.length or s.contains or s.correct is not None or s.methods)


@dataclass
class Slots:
    """What :func:`extract_slots` found in a question (values in the dataset's own spelling) and
    ``masked``, the question with its slot values replaced by placeholders (what the intent classifier reads)."""

    masked: str
    ids: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    labels: list[tuple[str, str | None]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    length: tuple[str, int] | None = None
    correct: bool | None = None
    split: str | None = None
    metric: str | None = None
    perclass: bool = False
    contains: str | None = None
    remove: str | None = None
    replace: tuple[str, str] | None = None
    more: bool = False
    least: bool = False
    sentence: bool = False
    source_generator: bool = False
    source_extractive: bool = False
    label_source: str | None = None


def _fuzzy(word: str, vocab: Sequence[str], cutoff: float = 0.8) -> str | None:
    """The entry of ``vocab`` a (possibly misspelt) word of 5+ letters names, or None."""
    if len(word) < 5:
        return None
    return _closest(word, tuple(vocab), cutoff)


@functools.lru_cache(maxsize=8192)
def _closest(word: str, vocab: tuple[str, ...], cutoff: float) -> str | None:
    hit = difflib.get_close_matches(word, vocab, n=1, cutoff=cutoff)
    return hit[0] if hit else None


@functools.lru_cache(maxsize=64)
def _label_vocab(labels: tuple[str, ...]) -> dict[str, str]:
    """Every spelling (lower case) -> the dataset label it names (cached: the same labels every question)."""
    out: dict[str, str] = {}
    groups = [*LABEL_ALIASES, *LABEL_WORDS]
    for lab in labels:
        out[lab.lower()] = lab
        for group in groups:
            if any(same_label(lab, g) for g in group):
                for g in group:
                    out.setdefault(g.lower(), lab)
    return out


@functools.lru_cache(maxsize=64)
def _method_vocab(methods: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(spelling, method)`` pairs for the registry's methods, longest spelling first (cached)."""
    pairs = [(m, m) for m in methods]
    for m, names in METHOD_ALIASES.items():
        if m in methods:
            pairs += [(n, m) for n in names]
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def extract_slots(text: str, labels: Sequence[str], methods: Sequence[str], ids: Sequence[str] = ()) -> Slots:
    """Find the slots of a question (see the module docstring); deterministic and fast (regular expressions)."""
    s = Slots(masked="")
    work = text.strip()
    # 1. quoted words and texts
    def quote(m: re.Match[str]) -> str:
        s.quotes.append(next(g for g in m.groups() if g is not None))
        return f" QUOTE{len(s.quotes) - 1} "
    work = QUOTE_RE.sub(quote, work)
    # 2. whatif edits (before ids: "replace bad with good")
    m = REPLACE_RE.search(work) or REPLACE_AFTER_RE.search(work)
    if m:
        s.replace = (_unquote(m.group(1), s.quotes), _unquote(m.group(2), s.quotes))
    m = REMOVE_RE.search(work) or REMOVE_AFTER_RE.search(work)
    if m and not s.replace:
        s.remove = _unquote(m.group(1), s.quotes)
    edited = {w.lower() for w in (*(s.replace or ()), s.remove or "")}
    m = CONTAINS_RE.search(work)
    if m and _unquote(m.group(1), s.quotes).lower() not in edited:
        s.contains = _unquote(m.group(1), s.quotes)
        work = work[: m.start(1)] + " TERM " + work[m.end(1):]
    # 3. ids: the dataset's own ids, shaped ids, cue + value, #value
    id_set = {i.lower(): i for i in ids}
    def take_id(m: re.Match[str]) -> str:
        s.ids.append(m.group(1))
        return " item "
    if id_set:
        for tok in re.findall(r"[\w.\-]+", work):
            if tok.lower() in id_set and not tok.isdigit() and "QUOTE" not in tok:
                s.ids.append(id_set[tok.lower()])
                work = re.sub(rf"(?<![\w.]){re.escape(tok)}(?![\w])", " item ", work, count=1)
    work = SHAPED_ID_RE.sub(take_id, work)
    work = ID_RE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)].rstrip(" :#=") + " " + take_id(m)
                     if not _is_count_context(work, m) else m.group(0), work)
    work = HASH_RE.sub(take_id, work)
    # 4. length bounds, positions, split
    m = LENGTH_RE.search(work)
    if m:
        s.length = (LENGTH_OPS[m.group(1).lower()], int(m.group(2)))
        work = work[: m.start()] + " long " + work[m.end():]
    m = POSITION_NUM_RE.search(work)
    if m:
        s.positions.append(int(m.group(1)))
        work = work[: m.start()] + " position " + work[m.end():]
    for m in POSITION_RE.finditer(work):
        word = m.group(1).lower()
        s.positions.append(ORDINALS.get(word) or int(m.group(2)))
    work = POSITION_RE.sub(" nth ", work)
    m = SPLIT_RE.search(work)
    if m:
        s.split = SPLIT_NAMES[m.group(1).lower()]
    # 5. methods (longest spelling first, then misspellings of the long names)
    low = " " + re.sub(r"\s+", " ", work.lower()) + " "
    for spelling, method in _method_vocab(tuple(methods)):
        pat = rf"(?<![\w-]){re.escape(spelling)}(?![\w-])"
        for mm in re.finditer(pat, low):
            s.methods.append((mm.start(), method))
        low = re.sub(pat, " method ", low)
    long_names = {n: m for m, names in METHOD_ALIASES.items() if m in methods for n in (m, *names) if len(n) >= 5}
    words = low.split()
    j = 0
    while j < len(words):
        w, step = words[j], 1
        for cand, n in ((" ".join(words[j : j + 2]), 2), (w, 1)):
            hit = _fuzzy(cand, list(long_names), 0.85) if w != "method" and (n == 1 or len(words) > j + 1) else None
            if hit and (n == 1 or " " in hit):
                s.methods.append((low.find(w), long_names[hit]))
                step = n
                break
        j += step
    s.methods = list(dict.fromkeys(m for _, m in sorted(s.methods)))  # type: ignore[misc]
    # 6. labels (with the role the words before them give)
    vocab = _label_vocab(tuple(labels))
    out_words = []
    for j, w in enumerate(words):
        bare = w.strip(".,;:!?()'\"")
        lab = vocab.get(bare) or (vocab.get(_fuzzy(bare, list(vocab), 0.8) or "") if bare not in NOT_LABELS else None)
        if lab is not None:
            before = " ".join(words[max(0, j - 3) : j])
            role = "pred" if PRED_CUE.search(before) else "gold" if GOLD_CUE.search(before) else None
            s.labels.append((lab, role))
            out_words.append("label")
        else:
            out_words.append(w)
    low = " ".join(out_words)
    # 7. numbers left (counts)
    for tok in re.findall(r"\b\d+\b|\b[a-z]+\b", low):
        if tok.isdigit():
            s.numbers.append(int(tok))
        elif tok in NUMBER_WORDS and tok not in ("one", "zero"):
            s.numbers.append(NUMBER_WORDS[tok])
    low = re.sub(r"\b\d+\b", " 5 ", low)
    # 8. the rest: flags read off the whole question
    if INCORRECT_RE.search(text):
        s.correct = False
    elif CORRECT_RE.search(text):
        s.correct = True
    tokens = re.findall(r"[\w\-]+", text.lower())
    for j, w in enumerate(tokens):
        if j and tokens[j - 1] == "token":  # "token F1" is the rationale's agreement, not a task metric
            continue
        metric = METRICS.get(w) or METRICS.get(_fuzzy(w, ["accuracy", "precision", "recall"], 0.8) or "")
        if metric and s.metric is None:
            s.metric = metric
    s.perclass = bool(PERCLASS_RE.search(text))
    s.more = bool(MORE_RE.search(text))
    s.least = bool(LEAST_RE.search(text))
    s.sentence = bool(SENTENCE_RE.search(text))
    s.source_generator = bool(GENERATOR_RE.search(text))
    s.source_extractive = bool(EXTRACTIVE_RE.search(text))
    pred, gold = bool(LABEL_SOURCE_PRED.search(text)), bool(LABEL_SOURCE_GOLD.search(text))
    s.label_source = "pred" if pred and not gold else "gold" if gold and not pred else None
    s.masked = re.sub(r"quote\d+", "quote", re.sub(r"\s+", " ", low)).strip()
    return s


#: Words close to a label name that are not labels ("positive" vs "position").
NOT_LABELS = frozenset({"position", "positions", "possible", "positively", "negatively", "neutrality", "contrast",
                        "entire", "supporter", "mention", "method"})


def _is_count_context(text: str, m: re.Match[str]) -> bool:
    """Whether a cue + number is a count ("show 3 examples" has the number before the cue, "top 5 items" too)
    rather than an id: only plural cues directly followed by a number are ambiguous; we read them as ids
    unless a count word precedes them."""
    before = text[: m.start()].lower().split()[-2:]
    return any(w in ("top", "first", "the") for w in before) and m.group(0).lower().startswith(("examples", "items"))


def _unquote(word: str, quotes: list[str]) -> str:
    m = re.fullmatch(r"QUOTE(\d+)", word, re.IGNORECASE)
    return quotes[int(m.group(1))] if m else word


# ---------------------------------------------------------------------------------------------------
def build_program(intent: str, s: Slots) -> Program:
    """The program of one operation filled from the slots (no context)."""
    spec = OPERATIONS[intent]
    filters: list[Filter] = []
    args: dict[str, Any] = {}
    if s.ids:
        filters.append(Filter("id", s.ids[0]))
    elif s.positions:
        filters.append(Filter("position", s.positions[0]))
    if s.length:
        filters.append(Filter("length", s.length))
    if s.correct is not None and intent != "mistakes":
        filters.append(Filter("correct" if s.correct else "incorrect"))
    word = s.contains
    if word is None and s.quotes and intent not in ("whatif",):
        word = s.quotes[0]
    if word is not None and intent != "whatif":
        filters.append(Filter("contains", word))
    for lab, role in s.labels:
        if "label" in spec.args and role != "gold" and "label" not in args:
            args["label"] = lab
        else:
            filters.append(Filter("pred" if role == "pred" else "gold", lab))
    count = COUNT_ARG.get(intent)
    if count is not None and s.numbers:
        args[count] = s.numbers[0]
    if intent == "mistakes" and "sample" not in args and _wants_list(s.masked):
        args["sample"] = 5
    if "method" in spec.args and s.methods:
        args["method"] = s.methods[0]
    if "methods" in spec.args and s.methods:
        args["methods"] = list(s.methods)
    if intent == "score":
        if s.metric:
            args["metric"] = s.metric
        if s.split:
            args["split"] = s.split
        if s.perclass:
            args["perclass"] = True
    if intent == "labels" and s.label_source:
        args["source"] = s.label_source
    if intent == "keywords" and s.least:
        args["least"] = True
    if intent == "attribute" and s.sentence:
        args["unit"] = "sentence"
    if intent == "rationale":
        if s.source_extractive and not s.source_generator:
            args["source"] = "extractive"
        elif s.source_generator and not s.source_extractive:
            args["source"] = "generator"
    if intent == "whatif":
        if s.replace:
            args["replace"] = s.replace
        elif s.remove:
            args["remove"] = s.remove
        elif s.quotes:
            args["text"] = s.quotes[0]
    return Program(intent, args, filters)


def _wants_list(masked: str) -> bool:
    """Whether a mistakes question asks to see them rather than count them."""
    if re.search(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow often\b|\brate\b|\bhow much\b", masked):
        return False
    return bool(re.search(r"\b(?:show|list|give|see|which|what are|display|sample|some|few|print|let me|pull|"
                          r"examples?|ones|cases|instances)\b", masked))


# ---------------------------------------------------------------------------------------------------
def load_questions(path: str | Path | None = None, split: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The question set (JSONL: ``question``, ``parse``, ``intent``, ``split``, ``style``, ``template``,
    ``context``, ``dataset``), optionally only one ``split`` or several (``train`` / ``dev``)."""
    rows = [json.loads(line) for line in Path(path or QUESTIONS_PATH).read_text(encoding="utf-8").splitlines() if line.strip()]
    keep = None if split is None else {split} if isinstance(split, str) else set(split)
    return [r for r in rows if keep is None or r["split"] in keep]


class IntentClassifier:
    """Logistic regression over [MiniLM sentence embedding, char 2-5-gram TF-IDF, word 1-2-gram TF-IDF, operation
    cues (``cue_weight``; also read on the spelling-corrected question, :meth:`normalize`), slot-presence
    features (``slot_weight``, :func:`slot_vector`)] of masked questions, with class weights that balance the
    intents (``balanced``). ``knn`` > 0 blends in a cosine k-nearest-neighbour vote with weight ``knn_weight``
    (off by default: it lowered the cross-validated accuracy, benchmarks/results/dialogue_cv.json).
    ``encoder=None`` (or MiniLM missing) uses the TF-IDF features only; ``kind`` says which; ``embedder`` reuses a
    loaded :class:`~rationalize.models.sentence.SentenceEncoder` (and its cache)."""

    def __init__(self, encoder: str | None = "minilm", C: float = 20.0, seed: int = 0, cue_weight: float = 1.25,
                 slot_weight: float = 1.0, knn: int = 0, knn_weight: float = 0.0, balanced: bool = True,
                 embedding_weight: float = 1.0, word_weight: float = 1.0, char_weight: float = 1.0,
                 spelling: bool = True, embedder: Any = None):
        self.encoder = encoder
        self.embedder = embedder
        self.spelling = spelling
        self.embedding_weight = embedding_weight
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.cue_weight = cue_weight
        self.slot_weight = slot_weight
        self.knn = knn
        self.knn_weight = knn_weight
        self.balanced = balanced
        self.C = C
        self.seed = seed

    def _features(self, texts: Sequence[str], fit: bool = False, slots: Sequence[np.ndarray] | None = None) -> Any:
        from scipy.sparse import csr_matrix, hstack

        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)
            self.words_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
            parts = [self.chars_.fit_transform(texts) * self.char_weight, self.words_.fit_transform(texts) * self.word_weight]
        else:
            parts = [self.chars_.transform(texts) * self.char_weight, self.words_.transform(texts) * self.word_weight]
        if self.embedder_ is not None:
            parts.append(csr_matrix(self.embedder_.encode(list(texts)) * self.embedding_weight))
        cues = [np.maximum(cue_vector(t), cue_vector(self.normalize(t))) if self.spelling else cue_vector(t) for t in texts]
        parts.append(csr_matrix(np.stack(cues) * self.cue_weight))
        if self.slot_weight:
            sv = np.stack(list(slots)) if slots is not None else np.zeros((len(texts), len(SLOT_FEATURES)), np.float32)
            parts.append(csr_matrix(sv * self.slot_weight))
        return hstack(parts).tocsr()

    def fit(self, texts: Sequence[str], intents: Sequence[str], originals: Sequence[str] | None = None,
            programs: Sequence[str] | None = None, slots: Sequence[np.ndarray] | None = None) -> IntentClassifier:
        """Train on masked questions and their intents; ``originals`` (the unmasked questions) are kept as
        the suggestions shown for a question that cannot be parsed, ``programs`` (their gold programs, ""
        for none) as the LLM parser's few-shot examples, ``slots`` (:func:`slot_vector` of each question) as
        features."""
        self.train_programs_ = list(programs) if programs is not None else [""] * len(texts)
        from sklearn.linear_model import LogisticRegression

        self.embedder_ = None
        self.kind = "tfidf"
        if self.embedder is not None:
            self.embedder_ = self.embedder
            self.kind = f"{self.encoder}+tfidf"
        elif self.encoder:
            try:
                from rationalize.models.sentence import SentenceEncoder

                enc = SentenceEncoder(self.encoder, normalize=True)
                enc.encode(["warm up"])
                self.embedder_ = enc
                self.kind = f"{self.encoder}+tfidf"
            except (ImportError, OSError, Exception):  # noqa: BLE001 - any load failure: fall back to TF-IDF
                self.embedder_ = None
        self.vocab_ = sorted({w for t in texts for w in re.findall(r"[a-z]+", t.lower())})
        self._vocab_set = set(self.vocab_)
        self._by_initial: dict[str, list[str]] = {}
        for w in self.vocab_:
            self._by_initial.setdefault(w[0], []).append(w)
        self._spelling: dict[str, str] = {}
        X = self._features(texts, fit=True, slots=slots)
        self.model_ = LogisticRegression(C=self.C, max_iter=3000, random_state=self.seed,
                                         class_weight="balanced" if self.balanced else None).fit(X, list(intents))
        self.train_X_ = X
        self.train_norms_ = np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel())
        self.train_texts_ = list(originals or texts)
        self.train_intents_ = list(intents)
        self.train_y_ = np.array([list(self.model_.classes_).index(i) for i in intents])
        return self

    def normalize(self, text: str) -> str:
        """The masked question with each word of 4+ letters that no training question holds replaced by the
        closest word with the same first letter that one does (difflib ratio >= 0.8): "manny errros" reads
        as "many errors", so the operation cues see a misspelt question as its writer meant it."""
        def fix(m: re.Match[str]) -> str:
            w = m.group(0)
            if len(w) < 4 or w in self._vocab_set or not self.spelling:
                return w
            if w not in self._spelling:
                hit = difflib.get_close_matches(w, self._by_initial.get(w[0], ()), n=1, cutoff=0.8)
                self._spelling[w] = hit[0] if hit else w
            return self._spelling[w]
        return re.sub(r"[a-z]+", fix, text.lower())

    def proba(self, text: str, slots: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """The probability of each intent of ``classes_`` for one masked question (the logistic regression,
        blended with the k nearest training questions' vote when ``knn``), and the cosine of the nearest one."""
        X = self._features([text], slots=None if slots is None else [slots])
        p = self.model_.predict_proba(X)[0]
        sims = self._cosines(X)
        if self.knn and self.knn_weight:
            top = np.argsort(-sims, kind="stable")[: self.knn]
            vote = np.zeros_like(p)
            np.add.at(vote, self.train_y_[top], np.maximum(sims[top], 0.0))
            if vote.sum() > 0:
                p = (1 - self.knn_weight) * p + self.knn_weight * vote / vote.sum()
        return p, float(sims.max())

    @property
    def classes_(self) -> list[str]:
        """The intents, in the order of :meth:`proba`."""
        return [str(c) for c in self.model_.classes_]

    def predict(self, text: str, slots: np.ndarray | None = None) -> tuple[str, float, float]:
        """``(intent, probability, cosine of the nearest training question)`` for one masked question."""
        p, sim = self.proba(text, slots)
        k = int(np.argmax(p))
        return self.classes_[k], float(p[k]), sim

    def _cosines(self, X: Any) -> np.ndarray:
        a = X.toarray()[0]
        num = self.train_X_ @ a
        den = self.train_norms_ * max(float(np.linalg.norm(a)), 1e-12)
        return num / np.maximum(den, 1e-12)

    def nearest_pairs(self, text: str, n: int = 8) -> list[tuple[str, str]]:
        """The ``n`` training questions closest to a masked question with their gold programs (the LLM
        parser's few-shot examples); only rows with a program and no context."""
        sims = self._cosines(self._features([text]))
        out = []
        for j in np.argsort(-sims):
            if self.train_programs_[j]:
                out.append((self.train_texts_[j], self.train_programs_[j]))
            if len(out) == n:
                break
        return out

    def nearest(self, text: str, n: int = 3) -> list[str]:
        """The ``n`` training questions closest to a masked question (distinct intents first)."""
        sims = self._cosines(self._features([text]))
        out, seen = [], set()
        for j in np.argsort(-sims):
            intent = self.train_intents_[j]
            if intent in seen or intent in (UNKNOWN, FOLLOWUP):
                continue
            seen.add(intent)
            out.append(self.train_texts_[j])
            if len(out) == n:
                break
        return out


#: Intent classifiers trained on the packaged question set in this process, by (encoder, split, methods, mtime).
_TRAINED: dict[tuple, IntentClassifier] = {}


@dataclass
class Parse:
    """A parsed question: the ``program`` (None when not understood), the ``intent`` with its probability,
    the ``note`` on what came from context, ``suggestions`` for a question not understood, ``seconds``."""

    question: str
    program: Program | None
    intent: str
    confidence: float
    slots: Slots
    note: str = ""
    message: str = ""
    suggestions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def text(self) -> str:
        """The program text (what the user sees and can edit), or "" when not understood."""
        return self.program.to_text() if self.program is not None else ""


class Parser:
    """Questions -> programs for one dataset (its ``labels`` and ``ids``) with a trained :class:`IntentClassifier`.

    ``min_confidence`` and ``min_similarity`` decide when a question is out of scope (the classifier's
    probability, the cosine to the nearest training question)."""

    def __init__(self, classifier: IntentClassifier, labels: Sequence[str], ids: Sequence[str] = (),
                 methods: Sequence[str] | None = None, min_confidence: float = 0.15, min_similarity: float = 0.15,
                 llm: LLMParser | None = None, coverage_penalty: float = 1.0, hard_slots: bool = True):
        if methods is None:
            from rationalize import available_rationalizers

            methods = available_rationalizers("posthoc")["posthoc"]
        self.classifier = classifier
        self.labels = list(labels)
        self.ids = list(ids)
        self.methods = list(methods)
        self.min_confidence = min_confidence
        self.min_similarity = min_similarity
        self.llm = llm
        self.coverage_penalty = coverage_penalty
        self.hard_slots = hard_slots

    @classmethod
    def train(cls, labels: Sequence[str], ids: Sequence[str] = (), *, encoder: str | None = "minilm",
              questions: Sequence[dict[str, Any]] | None = None, split: str | Sequence[str] = TRAIN_SPLITS,
              classifier: dict[str, Any] | None = None, **kw: Any) -> Parser:
        """A parser whose intent classifier learns from the question set's ``split`` (default: the ``train`` and
        ``dev`` parts; the benchmark's held-out protocol trains on ``train`` alone), or from ``questions``.
        The classifier trained on the packaged question set is kept for the process: a second conversation
        reuses it instead of training again. ``classifier`` holds :class:`IntentClassifier` settings (the
        defaults are what the cross-validation of benchmarks/dialogue_cv.py chose)."""
        methods = kw.pop("methods", None)
        splits = (split,) if isinstance(split, str) else tuple(split)
        probe = Parser(IntentClassifier(None), ["POS", "NEG"], methods=methods)
        key = ((encoder, splits, tuple(probe.methods), QUESTIONS_PATH.stat().st_mtime)
               if questions is None and not classifier else None)
        clf = _TRAINED.get(key) if key is not None else None
        if clf is None:
            rows = list(questions) if questions is not None else load_questions(split=splits)
            slots = [extract_slots(r["question"], r.get("labels") or ["POS", "NEG"], probe.methods) for r in rows]
            clf = IntentClassifier(encoder, **(classifier or {})).fit([x.masked for x in slots], [r["intent"] for r in rows],
                                                [r["question"] for r in rows],
                                                [r["parse"] if not r.get("context") else "" for r in rows],
                                                [slot_vector(x) for x in slots])
            if key is not None:
                _TRAINED[key] = clf
        return cls(clf, labels, ids, methods=probe.methods, **kw)

    def slots(self, question: str) -> Slots:
        """The slots of a question for this parser's dataset."""
        return extract_slots(question, self.labels, self.methods, self.ids)

    def intent(self, s: Slots, previous: Program | None = None) -> tuple[str, float, float]:
        """``(intent, probability, cosine of the nearest training question)``: the classifier's most likely
        intent after a penalty of ``coverage_penalty`` (in log-probability) per slot it would leave unused
        (:func:`dropped_slots`); with ``hard_slots``, only intents that can take the named slots
        (:func:`fits_slots`), never out of scope for a question that names data (:func:`names_data`), and
        never a follow-up when there is no previous program to follow."""
        p, sim = self.classifier.proba(s.masked, slot_vector(s))
        score = np.log(np.maximum(p, 1e-12)) - self.coverage_penalty * np.array(
            [dropped_slots(c, s) for c in self.classifier.classes_], dtype=float)
        if self.hard_slots:
            score[[not fits_slots(c, s) for c in self.classifier.classes_]] -= 1e6
            if names_data(s):
                score[[c == UNKNOWN for c in self.classifier.classes_]] -= 1e6
            if previous is None:
                score[[c == FOLLOWUP for c in self.classifier.classes_]] -= 1e6
        k = int(np.argmax(score))
        return self.classifier.classes_[k], float(p[k]), sim

    def parse(self, question: str, previous: Program | None = None) -> Parse:
        """Parse one question, completed from the ``previous`` program (follow-ups)."""
        t0 = time.perf_counter()
        text = question.strip()
        if re.match(r"^\s*(?:filter|" + "|".join(OPERATIONS) + r")\b", text) and _looks_like_program(text):
            try:
                program = parse_program(text)
                return Parse(question, program, program.operation, 1.0, Slots(masked=text), note="read as a program",
                             seconds=time.perf_counter() - t0)
            except ValueError:
                pass
        s = self.slots(text)
        intent, prob, sim = self.intent(s, previous) if s.masked else (UNKNOWN, 0.0, 0.0)
        if intent == UNKNOWN or (not (self.hard_slots and names_data(s))
                                 and (prob < self.min_confidence or sim < self.min_similarity)):
            if self.llm is not None:
                shots = self.classifier.nearest_pairs(s.masked or text, self.llm.shots)
                program = self.llm.parse(text, shots)
                if program is not None:
                    return Parse(question, program, program.operation, prob, s, note="parsed by the LLM parser",
                                 seconds=time.perf_counter() - t0)
            return Parse(question, None, UNKNOWN, prob, s,
                         message="I did not understand the question. Questions I can answer look like these:",
                         suggestions=self.classifier.nearest(s.masked or text), seconds=time.perf_counter() - t0)
        try:
            if intent == FOLLOWUP:
                label = s.labels[0][0] if s.labels and not any(r for _, r in s.labels) else None
                base = build_program(previous.operation if previous else "show", s)
                changed = {"filters": [f for f in base.filters if not (label and f.kind == "gold" and f.value == label)],
                           "method": s.methods[0] if s.methods else None,
                           "methods": s.methods if len(s.methods) > 1 else None,
                           "count": s.numbers[0] if s.numbers else None, "label": label}
                program, note = resolve(base, previous, followup=True, more=s.more, changed=changed)
            else:
                program, note = resolve(build_program(intent, s), previous, question=text)
        except NoContextError as exc:
            return Parse(question, None, intent, prob, s, message=str(exc),
                         suggestions=self.classifier.nearest(s.masked), seconds=time.perf_counter() - t0)
        return Parse(question, program, intent, prob, s, note=note, seconds=time.perf_counter() - t0)


class LLMParser:
    """The optional parser for questions outside what the intent classifier knows: a generator of
    :mod:`rationalize.rationalizers.freetext.generators` (a local model such as ``smollm2`` or an
    OpenAI-compatible endpoint) is prompted with the grammar's operations and the training questions nearest
    to the question (question -> program pairs, few-shot, as TalkToModel's GPT-J baseline), and the first
    line it writes is read as a program. Output that is not a valid program is ignored (the question stays
    unparsed), so the LLM can never run anything outside the grammar."""

    def __init__(self, generator: Any, shots: int = 8, max_new_tokens: int = 40):
        self.generator = generator
        self.shots = shots
        self.max_new_tokens = max_new_tokens

    def prompt(self, question: str, examples: Sequence[tuple[str, str]]) -> str:
        """The few-shot prompt: the operations, then ``examples`` as ``Question:`` / ``Program:`` pairs."""
        ops = "; ".join(f"{s.name} ({s.description})" for s in OPERATIONS.values())
        head = ("Translate each question into a program. Programs are clauses joined by 'and': filters "
                "(filter id X, filter gold LABEL, filter pred LABEL, filter correct, filter incorrect, filter "
                f"contains WORD, filter length < N) and one operation: {ops}.")
        lines = [head, ""]
        for q, prog in examples:
            lines += [f"Question: {q}", f"Program: {prog}", ""]
        lines += [f"Question: {question}", "Program:"]
        return "\n".join(lines)

    def parse(self, question: str, examples: Sequence[tuple[str, str]]) -> Program | None:
        """The program the generator writes for ``question``, or None when it writes no valid program."""
        from rationalize.rationalizers.freetext.generators import GenerationConfig

        cfg = GenerationConfig(max_new_tokens=self.max_new_tokens, batch_size=1)
        out = self.generator.generate([self.prompt(question, examples[: self.shots])], cfg)[0][0].text
        line = out.strip().splitlines()[0].strip() if out.strip() else ""
        try:
            return parse_program(line)
        except ValueError:
            return None


def _looks_like_program(text: str) -> bool:
    """A typed program rather than a question that happens to start with an operation word ("show me ...")."""
    try:
        parse_program(text)
        return True
    except ValueError:
        return False
