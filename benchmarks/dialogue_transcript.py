"""A real conversation transcript for docs/dialogue.md: train a small classifier, then ask the chat.

Run: ``OMP_NUM_THREADS=1 python benchmarks/dialogue_transcript.py movies|esnli [--out FILE]`` (needs
../shared/data). Movies: CNN over GloVe-50 trained on train (2 epochs), chat on test. e-SNLI (premise +
hypothesis, no train split here): CNN trained on the first 6,000 val pairs, chat on test. FEVER (claim as the
query, Wikipedia passage as the document, no train split here): CNN trained on the first 4,000 val claims, chat
on the first 300 test claims. Prints Markdown.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

QUESTIONS = {
    "movies": ["tell me about the data", "what is your accuracy on the test set?", "f1 per class",
               "how many mistakes do you make?", "show me 3 examples you get wrong",
               "what do you predict for id negR_900.txt?", "why?", "what about occlusion?",
               "does the rationale of negR_900.txt agree with the human one?",
               "what are the most important words for negative reviews?", "and for positive?",
               "how would negR_900.txt have to change to flip the prediction?",
               "what if I remove the word monster from negR_900.txt?", "which reviews are similar to negR_900.txt?",
               "explain negR_900.txt in your own words", "compare attention, occlusion and integrated gradients",
               "show id negR_999999.txt", "what's the weather in Paris?"],
    "fever": ["tell me about the data", "what is your accuracy?", "f1 per class", "show me the first example",
              "what do you predict for it?", "why?", "does its rationale agree with the human one?",
              "what would flip it?", "important words for refutes", "show 2 claims you got wrong",
              "compare attention and occlusion", "which claims are similar to the first example?"],
    "esnli": ["tell me about the data", "what is your accuracy?", "show the first example",
              "what do you predict for it?", "how confident are you?", "why?", "give the extractive rationale",
              "most frequent words in contradiction examples", "important words for contradiction",
              "what if the hypothesis were \"The sisters are sleeping .\"?", "show me 2 mistakes",
              "compare attention and occlusion", "which model are you?"],
}


def main() -> None:
    import torch

    from rationalize import load_dataset
    from rationalize.data.schema import Dataset
    from rationalize.dialogue import Conversation
    from rationalize.models.training import train_classifier

    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", choices=sorted(QUESTIONS))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    if args.dataset == "movies":
        ds = load_dataset(DATA / "movies")
        clf, _ = train_classifier(ds, "cnn", None, epochs=2, progress=False, vectors="glove50", hidden=64,
                                  val_limit=100)
        split = "test"
    elif args.dataset == "fever":
        full = load_dataset(DATA / "fever")
        ds = Dataset(full.name, {"train": full["val"][:4000], "val": full["val"][4000:4500], "test": full["test"][:300]},
                     full.documents, full.labels, source=full.source)
        clf, _ = train_classifier(ds, "cnn", None, epochs=3, progress=False, vectors="glove50", hidden=64)
        split = "test"
    else:
        full = load_dataset(f"esnli:{DATA / 'esnli'}")
        ds = Dataset(full.name, {"train": full["val"][:6000], "val": full["val"][6000:6500], "test": full["test"][:300]},
                     full.documents, full.labels, source=full.source)
        clf, _ = train_classifier(ds, "cnn", None, epochs=3, progress=False, vectors="glove50", hidden=64)
        split = "test"
    train_s = time.perf_counter() - t0
    conv = Conversation(ds, clf, split, max_examples=10, compare_methods=("attention", "occlusion"))
    head = f"<!-- {args.dataset}: classifier trained in {train_s:.0f} s; `python benchmarks/dialogue_transcript.py {args.dataset}` -->"
    lines = [head, "```text"]
    for q in QUESTIONS[args.dataset]:
        r = conv.ask(q)
        text = r.to_text()
        if len(text) > 1500:
            text = text[:1500] + " ..."
        lines += [f"> {q}", text, f"({1000 * r.seconds:.0f} ms)", ""]
        print(q, f"{r.seconds:.2f}s", file=sys.stderr)
    lines.append("```")
    out = "\n".join(lines)
    print(out)
    if args.out:
        Path(args.out).write_text(out + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
