"""A synthetic benchmark whose true rationales are known by construction.

Documents are sentences of neutral filler words; each example's label is carried only by 1..k planted
*signal spans* drawn from that label's lexicon, and the planted spans are the gold evidence. Options
make the task harder in controlled ways:

* ``shortcut_rate``: in the **training** split a label-specific *shortcut* word is added with this
  probability; in val/test the shortcut words appear at random, independent of the label. A model (or a
  rationale) that relies on the shortcut is caught by the gap between train and test, and by how often
  its rationale selects shortcut tokens (``Example.metadata["shortcut_positions"]``).
* ``label_noise``: the probability of flipping a training label.
* ``distractor_rate``: signal words of *another* label planted outside the evidence, at a lower count
  than the true signal, so that "any sentiment word" is not a valid rationale.

Everything is drawn from one ``numpy`` generator seeded by ``seed``: the same config gives the same data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from rationalize.data.schema import Dataset, Document, Evidence, Example

FILLER = (
    "the a an of to in on at for with from by about as into over after before under between through "
    "during without within along across behind beyond near house street city river road table window "
    "door garden morning evening night week year day time people man woman child family friend group "
    "team office school market station train car bus ship plane letter paper book page story picture "
    "music song voice room floor wall roof chair bed kitchen water coffee tea bread dinner lunch walk "
    "talk look turn move open close carry bring take give send keep hold leave meet call ask tell say "
    "know think see watch hear read write play run sit stand wait start stop begin end then next later "
    "soon often again still also just only even ever never always sometimes there here where when while "
    "because although if unless until since so yet this that these those some many few several other "
    "each every both either neither another same different early late small large long short old new "
    "first second third last north south east west left right upper lower inner outer"
).split()

LEXICONS: dict[str, list[str]] = {
    "POS": "excellent wonderful superb brilliant delightful masterful charming moving gripping "
    "stunning terrific marvelous outstanding enjoyable memorable".split(),
    "NEG": "terrible awful dreadful boring tedious clumsy pointless dull lifeless painful "
    "disappointing mediocre incoherent bland forgettable".split(),
    "NEU": "ordinary average routine standard typical plain conventional regular moderate "
    "modest acceptable adequate usual common familiar".split(),
}

SHORTCUTS: dict[str, str] = {"POS": "indeed", "NEG": "however", "NEU": "meanwhile"}


@dataclass
class SynthConfig:
    """Parameters of :func:`make_synthetic` (all sizes in tokens)."""

    seed: int = 0
    train: int = 1000
    val: int = 200
    test: int = 200
    labels: tuple[str, ...] = ("NEG", "POS")
    sentences: tuple[int, int] = (4, 8)
    sentence_length: tuple[int, int] = (6, 14)
    spans: tuple[int, int] = (1, 3)
    span_length: tuple[int, int] = (1, 3)
    shortcut_rate: float = 0.0
    label_noise: float = 0.0
    distractor_rate: float = 0.0
    query: str | None = None
    filler: list[str] = field(default_factory=lambda: list(FILLER))

    def __post_init__(self) -> None:
        for lab in self.labels:
            if lab not in LEXICONS:
                raise ValueError(f"synthetic label {lab!r} unknown; choose from {sorted(LEXICONS)}")
        for name in ("shortcut_rate", "label_noise", "distractor_rate"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        for name in ("sentences", "sentence_length", "spans", "span_length"):
            lo, hi = getattr(self, name)
            if not 1 <= lo <= hi:
                raise ValueError(f"{name} must be (lo, hi) with 1 <= lo <= hi, got {(lo, hi)}")


def make_synthetic(config: SynthConfig | None = None, **overrides: object) -> Dataset:
    """Build a synthetic ERASER-style dataset with planted, known-true rationales."""
    cfg = config or SynthConfig()
    if overrides:
        cfg = SynthConfig(**{**asdict(cfg), **overrides})  # type: ignore[arg-type]
    rng = np.random.default_rng(cfg.seed)
    documents: dict[str, Document] = {}
    splits: dict[str, list[Example]] = {}
    for split, n in (("train", cfg.train), ("val", cfg.val), ("test", cfg.test)):
        examples = []
        for i in range(n):
            ex, doc = _make_example(rng, cfg, split, i)
            documents[doc.docid] = doc
            examples.append(ex)
        splits[split] = examples
    meta = {"generator": "rationalize.synthetic", "config": {k: v for k, v in asdict(cfg).items() if k != "filler"}}
    return Dataset("synthetic", splits, documents, sorted(cfg.labels), source=None, metadata=meta)


def _randint(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    return int(rng.integers(bounds[0], bounds[1] + 1))


def _free_position(rng: np.random.Generator, sentence: list[str], planted: list[tuple[int, int, int]], s: int) -> int:
    """A random insertion point in ``sentence`` that does not split a planted span."""
    inside = {pp + k for ps, pp, pl in planted if ps == s for k in range(1, pl)}
    choices = [p for p in range(len(sentence) + 1) if p not in inside]
    return choices[int(rng.integers(len(choices)))]


def _make_example(rng: np.random.Generator, cfg: SynthConfig, split: str, i: int) -> tuple[Example, Document]:
    true_label = cfg.labels[int(rng.integers(len(cfg.labels)))]
    sentences = [
        [cfg.filler[int(j)] for j in rng.integers(len(cfg.filler), size=_randint(rng, cfg.sentence_length))]
        for _ in range(_randint(rng, cfg.sentences))
    ]
    # Insert planted spans into random sentences at random positions; track them as (sentence, start, len).
    planted: list[tuple[int, int, int]] = []
    lex = LEXICONS[true_label]
    for _ in range(_randint(rng, cfg.spans)):
        s = int(rng.integers(len(sentences)))
        length = _randint(rng, cfg.span_length)
        pos = _free_position(rng, sentences[s], planted, s)
        words = [lex[int(j)] for j in rng.integers(len(lex), size=length)]
        sentences[s][pos:pos] = words
        planted = [(ps, pp + length if ps == s and pp >= pos else pp, pl) for ps, pp, pl in planted]
        planted.append((s, pos, length))
    extras: list[tuple[int, int, str]] = []  # (sentence, position, kind) of non-evidence insertions
    others = [lab for lab in cfg.labels if lab != true_label]
    if others and rng.random() < cfg.distractor_rate:
        wrong = LEXICONS[others[int(rng.integers(len(others)))]]
        extras.append((int(rng.integers(len(sentences))), -1, wrong[int(rng.integers(len(wrong)))]))
    if cfg.shortcut_rate > 0:
        if split == "train":
            if rng.random() < cfg.shortcut_rate:
                extras.append((int(rng.integers(len(sentences))), -1, SHORTCUTS[true_label]))
        elif rng.random() < cfg.shortcut_rate:
            random_label = cfg.labels[int(rng.integers(len(cfg.labels)))]
            extras.append((int(rng.integers(len(sentences))), -1, SHORTCUTS[random_label]))
    for s, _, word in extras:
        pos = _free_position(rng, sentences[s], planted, s)
        sentences[s].insert(pos, word)
        planted = [(ps, pp + 1 if ps == s and pp >= pos else pp, pl) for ps, pp, pl in planted]
    docid = f"{split}_{i:05d}"
    doc = Document.from_sentences(docid, sentences)
    evidences = []
    for s, pos, length in sorted(planted):
        start = doc.sentences[s][0] + pos
        evidences.append(Evidence(docid, start, start + length, s, s + 1, " ".join(doc.tokens[start : start + length])))
    label = true_label
    if split == "train" and cfg.label_noise > 0 and rng.random() < cfg.label_noise and others:
        label = others[int(rng.integers(len(others)))]
    shortcut_words = set(SHORTCUTS.values())
    meta = {
        "shortcut_positions": [t for t, w in enumerate(doc.tokens) if w in shortcut_words],
        "true_label": true_label,
    }
    ex = Example(docid, [docid], label, cfg.query, [evidences], metadata=meta)
    return ex, doc
