"""Write the fresh held-out dialogue test set (benchmarks/data/dialogue_questions_fresh.jsonl).

Why a third set: the ``test`` part of src/rationalize/dialogue/questions.jsonl was used as a development
set while the parser's cue features were designed (it is now called ``dev``), and the 60-question
``final`` set was scored (and one gold parse corrected) before that; neither is an untouched test any more.
These questions were written on 2026-12-02 *before* any further change to the parser, knowing only the
grammar (docs/dialogue.md, dialogue/grammar.py) and the field layout of the question file, not the parser's
rules or the training phrasings. Every question is written out by hand (no templates, no re-filled
phrasings), in five writers' styles, with ids in the forms of the three datasets the benchmark uses
(movies ``negR_912.txt`` / numbers, FEVER six-digit claim ids, e-SNLI ``test_N``), several new id
wordings, follow-ups with the previous program as ``context``, and out-of-scope questions (gold ``""``).

Overlap check (:func:`overlaps`): 13 of the 195 questions first written turned out to be word for word in
the packaged question set or in the parser's cue lists (short ones: "accuracy", "why?", "more", "model
info", "hlep", ...), and 2 more were a training phrasing with other slot values (the same question once ids,
labels and numbers are masked: "prediction for posR_951.txt", "top 5 important words contradiction"); all 15
were dropped, none replaced, before the set was ever scored (180 remain).

Split ``fresh``: the parser never trains on it (``tests/dialogue/test_fresh_set.py`` fails if one of these
questions is in the training data or in the parser's cue lists). Score it once, at the end:
``python benchmarks/dialogue.py`` reports it next to ``dev``.

Run: ``python benchmarks/data/write_dialogue_fresh.py`` (deterministic; rewrites the file and validates
every gold program against the grammar, the dataset's labels and the rationalizer names).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).with_name("dialogue_questions_fresh.jsonl")

LABELS = {"movies": ["NEG", "POS"], "esnli": ["contradiction", "entailment", "neutral"],
          "fever": ["REFUTES", "SUPPORTS"]}
METHODS = {"attention", "attention-last", "attention-mean", "attention-rollout", "deeplift", "input-x-gradient",
           "integrated-gradients", "kernel-shap", "lime", "occlusion", "random", "saliency"}

# (style, dataset, question, gold program, context program or None, pure follow-up?)
M, E, F = "movies", "esnli", "fever"
Q: list[tuple[str, str, str, str, str | None, bool]] = [
    # show
    ("terse", M, "display negR_912.txt", "filter id negR_912.txt and show", None, False),
    ("polite", M, "Would you mind printing the text of review posR_944.txt?", "filter id posR_944.txt and show", None, False),
    ("casual", F, "what's claim 113501 about?", "filter id 113501 and show", None, False),
    ("misspelt", M, "plz sho exmple 42", "filter id 42 and show", None, False),
    ("verbose", E, "I'd like to see the premise, the hypothesis and the gold label of pair test_17.",
     "filter id test_17 and show", None, False),
    ("terse", M, "second example", "filter position 2 and show", None, False),
    ("polite", F, "Please show me the seventh claim in the set.", "filter position 7 and show", None, False),
    ("casual", M, "show 4 of the positive ones", "filter gold POS and show n 4", None, False),
    ("terse", E, "neutral examples", "filter gold neutral and show", None, False),
    ("verbose", M, "Could you list a few reviews which contain the word \"disappointing\"?",
     "filter contains disappointing and show", None, False),
    ("casual", M, "show me reviews shorter than 400 tokens", "filter length < 400 and show", None, False),
    ("terse", M, "show item 77", "filter id 77 and show", None, False),
    # predict
    ("polite", F, "Could you tell me what the model predicts for claim 106809?", "filter id 106809 and predict", None, False),
    ("casual", E, "what label would u give test_203?", "filter id test_203 and predict", None, False),
    ("misspelt", M, "wat is the predicton for #88", "filter id 88 and predict", None, False),
    ("verbose", M, "For the review with the identifier negR_930.txt, which class does the classifier assign?",
     "filter id negR_930.txt and predict", None, False),
    ("terse", M, "predict the 3rd example", "filter position 3 and predict", None, False),
    ("polite", M, "What are your predictions for the negative reviews, please?", "filter gold NEG and predict", None, False),
    ("casual", F, "what do you predict for claims that mention \"born\"?", "filter contains born and predict", None, False),
    ("terse", M, "predictions for all examples", "predict", None, False),
    ("verbose", E, "Which label does the model output for the pairs labelled contradiction in the gold data?",
     "filter gold contradiction and predict", None, False),
    ("casual", M, "predictions on docs longer than 900 tokens", "filter length > 900 and predict", None, False),
    # likelihood
    ("terse", M, "class probabilities id 61", "filter id 61 and likelihood", None, False),
    ("polite", F, "How certain is the classifier about claim 100446, please?", "filter id 100446 and likelihood", None, False),
    ("casual", M, "how confident r u on negR_977.txt", "filter id negR_977.txt and likelihood", None, False),
    ("misspelt", E, "probabilites for test_45", "filter id test_45 and likelihood", None, False),
    ("verbose", M, "What is the probability the model gives to each of the two classes for the 6th example?",
     "filter position 6 and likelihood", None, False),
    ("terse", M, "average probabilities for positive reviews", "filter gold POS and likelihood", None, False),
    ("casual", E, "how sure is the model on average for the entailment pairs?", "filter gold entailment and likelihood", None, False),
    ("polite", M, "Could you give me the mean class probabilities over the reviews you got wrong?",
     "filter incorrect and likelihood", None, False),
    ("terse", F, "likelihood of each class for example no. 31", "filter id 31 and likelihood", None, False),
    # mistakes
    ("terse", M, "number of errors", "mistakes", None, False),
    ("polite", F, "How many claims does the model misclassify?", "mistakes", None, False),
    ("casual", M, "gimme 5 reviews u got wrong", "mistakes sample 5", None, False),
    ("misspelt", M, "how many misclasified reviews are ther?", "mistakes", None, False),
    ("verbose", E, "Please sample two of the premise-hypothesis pairs where the prediction differs from the gold label.",
     "mistakes sample 2", None, False),
    ("terse", M, "mistakes on positive reviews", "filter gold POS and mistakes", None, False),
    ("polite", M, "Could you show me 3 negative reviews that you classified incorrectly?",
     "filter gold NEG and mistakes sample 3", None, False),
    ("casual", F, "how many of the refuted claims do u get wrong", "filter gold REFUTES and mistakes", None, False),
    ("terse", M, "list 10 mistakes", "mistakes sample 10", None, False),
    ("verbose", M, "Among the reviews that are longer than 1000 tokens, how many does the model get wrong?",
     "filter length > 1000 and mistakes", None, False),
    # score
    ("polite", F, "What is the macro F1 score of the model, please?", "score metric f1", None, False),
    ("casual", M, "how good is the model overall?", "score", None, False),
    ("misspelt", M, "whats the precison?", "score metric precision", None, False),
    ("verbose", E, "I would like to know the recall of the classifier, broken down by class.",
     "score metric recall perclass", None, False),
    ("terse", M, "scores on val", "score split val", None, False),
    ("polite", M, "Could you report accuracy on the validation split?", "score metric accuracy split val", None, False),
    ("casual", M, "per-class precision pls", "score metric precision perclass", None, False),
    ("terse", F, "accuracy on supported claims", "filter gold SUPPORTS and score metric accuracy", None, False),
    ("verbose", M, "How accurate is the model on the reviews that contain the word \"oscar\"?",
     "filter contains oscar and score metric accuracy", None, False),
    ("casual", M, "f1 on the test set", "score metric f1 split test", None, False),
    ("misspelt", E, "acuracy per clas", "score metric accuracy perclass", None, False),
    # labels
    ("polite", F, "How are the gold labels distributed in this split?", "labels source gold", None, False),
    ("casual", M, "how many of each class do u predict?", "labels source pred", None, False),
    ("misspelt", E, "lable counts", "labels", None, False),
    ("verbose", M, "Could you compare how often each class occurs in the gold annotations and in your predictions?",
     "labels", None, False),
    ("terse", M, "predicted label counts for misclassified examples", "filter incorrect and labels source pred", None, False),
    ("casual", M, "class balance of reviews mentioning \"sequel\"", "filter contains sequel and labels", None, False),
    ("polite", E, "What is the distribution of gold labels among the short pairs of fewer than 10 tokens?",
     "filter length < 10 and labels source gold", None, False),
    # data
    ("polite", F, "Could you tell me which dataset this is and how big its splits are?", "data", None, False),
    ("casual", M, "how long are the reviews on average?", "data", None, False),
    ("misspelt", E, "wich splits does the datset have", "data", None, False),
    ("verbose", M, "Where does this data come from, and how many examples are there in the training set?", "data", None, False),
    ("terse", F, "size of the data", "data", None, False),
    ("casual", M, "what data are we looking at?", "data", None, False),
    # keywords
    ("terse", M, "frequent words", "keywords", None, False),
    ("polite", M, "Which words appear most often in the negative reviews?", "keywords label NEG", None, False),
    ("casual", F, "top 6 words in refuted claims", "keywords topk 6 label REFUTES", None, False),
    ("verbose", E, "Please list the fifteen least frequent words across the examples.", "keywords topk 15 least", None, False),
    ("terse", M, "rarest words", "keywords least", None, False),
    ("casual", M, "what words show up most in the stuff u got wrong?", "filter incorrect and keywords", None, False),
    ("polite", M, "Could you give me the 20 most frequent words in positive reviews?", "keywords topk 20 label POS", None, False),
    ("terse", E, "common words entailment", "keywords label entailment", None, False),
    # attribute
    ("terse", M, "why negR_918.txt", "filter id negR_918.txt and attribute", None, False),
    ("polite", M, "Could you tell me which words made the model decide as it did for review 12?",
     "filter id 12 and attribute", None, False),
    ("casual", F, "why'd u say that about claim 107347?", "filter id 107347 and attribute", None, False),
    ("misspelt", M, "wich words were most importnt for #5", "filter id 5 and attribute", None, False),
    ("verbose", M, "Using LIME, what are the eight words of posR_960.txt that contributed most to the prediction?",
     "filter id posR_960.txt and attribute topk 8 method lime", None, False),
    ("terse", M, "top 3 tokens id 19 occlusion", "filter id 19 and attribute topk 3 method occlusion", None, False),
    ("casual", E, "explain test_88 with SHAP", "filter id test_88 and attribute method kernel-shap", None, False),
    ("polite", M, "Which sentences of the fourth review were most important for the decision?",
     "filter position 4 and attribute unit sentence", None, False),
    ("terse", M, "attention weights for id=140", "filter id 140 and attribute method attention", None, False),
    ("verbose", M, "Why did the classifier predict POS for review posR_925.txt?",
     "filter id posR_925.txt and filter pred POS and attribute", None, False),
    ("casual", M, "saliency map for negR_941.txt, top 10", "filter id negR_941.txt and attribute topk 10 method saliency",
     None, False),
    ("misspelt", F, "explian the predicton for 104236 using integrated gradiants",
     "filter id 104236 and attribute method integrated-gradients", None, False),
    ("terse", M, "deeplift attributions example 33", "filter id 33 and attribute method deeplift", None, False),
    # important
    ("terse", M, "globally important words", "important", None, False),
    ("polite", M, "Which words matter most to the model for positive predictions?", "important label POS", None, False),
    ("casual", F, "what words push the model towards supports?", "important label SUPPORTS", None, False),
    ("misspelt", M, "most importent words overal", "important", None, False),
    ("verbose", M, "Aggregated over many examples with occlusion, which 7 words have the highest importance?",
     "important topk 7 method occlusion", None, False),
    ("casual", M, "which words matter most in the reviews u get wrong?", "filter incorrect and important", None, False),
    ("polite", M, "Could you show the most influential words overall according to integrated gradients?",
     "important method integrated-gradients", None, False),
    ("terse", M, "important words for neg, lime", "important method lime label NEG", None, False),
    # rationale
    ("terse", M, "rationale for negR_903.txt", "filter id negR_903.txt and rationale", None, False),
    ("polite", F, "Could you write a short explanation in plain language of why claim 101234 got its label?",
     "filter id 101234 and rationale source generator", None, False),
    ("casual", M, "explain #64 in ur own words", "filter id 64 and rationale source generator", None, False),
    ("misspelt", E, "expalin test_9", "filter id test_9 and rationale", None, False),
    ("verbose", M, "Please read out the extractive rationale that the model selected for review posR_939.txt.",
     "filter id posR_939.txt and rationale source extractive", None, False),
    ("terse", M, "extractive rationale of the first example", "filter position 1 and rationale source extractive", None, False),
    ("casual", M, "can you explain review 150?", "filter id 150 and rationale", None, False),
    ("polite", E, "Would you generate a free-text justification for pair test_61?",
     "filter id test_61 and rationale source generator", None, False),
    # agreement
    ("terse", M, "agreement id 47", "filter id 47 and agreement", None, False),
    ("polite", M, "Does the model's rationale for negR_955.txt match what the human annotators highlighted?",
     "filter id negR_955.txt and agreement", None, False),
    ("casual", F, "do humans and the model agree on the evidence for claim 108618?", "filter id 108618 and agreement", None, False),
    ("misspelt", M, "token f1 with the humen rationale for #23", "filter id 23 and agreement", None, False),
    ("verbose", M, "How well does the saliency rationale of the second example overlap with the human rationale (token F1 and IOU)?",
     "filter position 2 and agreement method saliency", None, False),
    ("terse", M, "IOU vs human, posR_907.txt, lime", "filter id posR_907.txt and agreement method lime", None, False),
    ("casual", M, "is the attention rationale of doc 71 plausible?", "filter id 71 and agreement method attention", None, False),
    ("polite", F, "Could you compute the overlap between the human evidence and the model's rationale for the 3rd claim?",
     "filter position 3 and agreement", None, False),
    # compare
    ("terse", M, "compare lime and occlusion", "compare methods lime,occlusion", None, False),
    ("polite", M, "Which explanation method works best here, please?", "compare", None, False),
    ("casual", F, "saliency vs IG, which is more faithful?", "compare methods saliency,integrated-gradients", None, False),
    ("misspelt", M, "compair attention and deeplift", "compare methods attention,deeplift", None, False),
    ("verbose", M, "Please put attention rollout, kernel SHAP and input x gradient side by side in terms of plausibility and faithfulness.",
     "compare methods attention-rollout,kernel-shap,input-x-gradient", None, False),
    ("terse", M, "compare methods on positive reviews", "filter gold POS and compare", None, False),
    ("casual", E, "how do the explainers stack up against each other?", "compare", None, False),
    ("polite", M, "Could you compare occlusion with random on the examples you got wrong?",
     "filter incorrect and compare methods occlusion,random", None, False),
    # counterfactual
    ("terse", M, "counterfactual negR_921.txt", "filter id negR_921.txt and counterfactual", None, False),
    ("polite", F, "What minimal change to claim 112430 would make the model change its mind?",
     "filter id 112430 and counterfactual", None, False),
    ("casual", M, "what would it take to flip #39?", "filter id 39 and counterfactual", None, False),
    ("misspelt", M, "how to flipp the predicton of posR_970.txt", "filter id posR_970.txt and counterfactual", None, False),
    ("verbose", E, "How would pair test_150 have to be edited so that the prediction turns into a different label?",
     "filter id test_150 and counterfactual", None, False),
    ("terse", M, "flip example 8 using lime", "filter id 8 and counterfactual method lime", None, False),
    ("casual", M, "find a counterfactual for the 9th review, at most 5 edits",
     "filter position 9 and counterfactual edits 5", None, False),
    ("polite", M, "Could you find an edit that flips the label of review 101?", "filter id 101 and counterfactual", None, False),
    # whatif
    ("terse", M, "negR_915.txt without the word terrible", "filter id negR_915.txt and whatif remove terrible", None, False),
    ("polite", M, "What would you predict for review 27 if the word \"bad\" were replaced by \"good\"?",
     "filter id 27 and whatif replace bad good", None, False),
    ("casual", M, "what if i delete \"boring\" from posR_933.txt?", "filter id posR_933.txt and whatif remove boring", None, False),
    ("misspelt", M, "waht if we swap awful with amazing in #14", "filter id 14 and whatif replace awful amazing", None, False),
    ("verbose", E, "Suppose the hypothesis of test_72 read \"A dog is sleeping on the couch .\"; what would the model say then?",
     'filter id test_72 and whatif text "A dog is sleeping on the couch ."', None, False),
    ("casual", M, "what if the review said \"a tedious and forgettable movie\"?",
     'whatif text "a tedious and forgettable movie"', None, False),
    ("terse", M, "id 58 remove \"worst\", re-predict", "filter id 58 and whatif remove worst", None, False),
    ("polite", F, "Could you re-run claim 109876 with the word \"never\" taken out?",
     "filter id 109876 and whatif remove never", None, False),
    # similar
    ("terse", M, "neighbours of negR_944.txt", "filter id negR_944.txt and similar", None, False),
    ("polite", F, "Could you find claims similar to claim 105511, please?", "filter id 105511 and similar", None, False),
    ("casual", M, "any reviews like #90?", "filter id 90 and similar", None, False),
    ("misspelt", E, "simmilar exemples to test_33", "filter id test_33 and similar", None, False),
    ("verbose", M, "Which five examples are closest to review posR_990.txt in embedding space?",
     "filter id posR_990.txt and similar topk 5", None, False),
    ("terse", M, "2 nearest neighbours of the first example", "filter position 1 and similar topk 2", None, False),
    ("casual", M, "show stuff that looks like review 120", "filter id 120 and similar", None, False),
    # help / self
    ("verbose", E, "Could you give me an overview of the operations this assistant supports?", "help", None, False),
    ("polite", F, "Which classifier am I talking to, and which explanation methods do you have?", "self", None, False),
    ("misspelt", M, "wat model are yuo", "self", None, False),
    ("verbose", E, "Tell me about yourself: the model, the data you hold and the generator you use.", "self", None, False),
    # follow-ups (context = the previous program)
    ("terse", M, "and posR_950.txt?", "filter id posR_950.txt and predict", "filter id negR_912.txt and predict", True),
    ("casual", F, "what about claim 100060?", "filter id 100060 and likelihood", "filter id 113501 and likelihood", True),
    ("polite", M, "And the same for review 35, please.", "filter id 35 and attribute", "filter id 12 and attribute", True),
    ("terse", M, "now with lime", "filter id 12 and attribute method lime", "filter id 12 and attribute", True),
    ("casual", M, "try occlusion instead", "filter id negR_918.txt and attribute method occlusion",
     "filter id negR_918.txt and attribute method attention", True),
    ("polite", M, "Could you show me a few more words?", "filter id 19 and attribute topk 6 method occlusion",
     "filter id 19 and attribute topk 3 method occlusion", True),
    ("casual", M, "and for negative ones?", "keywords label NEG", "keywords label POS", True),
    ("terse", E, "neutral?", "important label neutral", "important label contradiction", True),
    ("casual", M, "same on val", "score metric accuracy split val", "score metric accuracy", True),
    ("misspelt", M, "wat about #66", "filter id 66 and counterfactual", "filter id 39 and counterfactual", True),
    ("verbose", M, "And what would the agreement be if we used integrated gradients instead?",
     "filter id 47 and agreement method integrated-gradients", "filter id 47 and agreement", True),
    ("terse", F, "claim 103370", "filter id 103370 and similar", "filter id 105511 and similar", True),
    # operations that take the example from the previous question
    ("casual", M, "how sure are you?", "filter id posR_951.txt and likelihood", "filter id posR_951.txt and predict", False),
    ("polite", F, "Could you explain that prediction in plain words?", "filter id 106809 and rationale source generator",
     "filter id 106809 and predict", False),
    ("terse", M, "similar ones", "filter id 42 and similar", "filter id 42 and show", False),
    ("polite", E, "Does its rationale agree with the human one?", "filter id test_17 and agreement",
     "filter id test_17 and attribute", False),
    ("casual", M, "and what do you predict for it?", "filter position 2 and predict", "filter position 2 and show", False),
    # more filters: correct, pred, contains, length <= / >=
    ("terse", M, "show examples you got right", "filter correct and show", None, False),
    ("polite", F, "How confident is the model, on average, on the claims it classifies correctly?",
     "filter correct and likelihood", None, False),
    ("casual", M, "most common words in the reviews u got right", "filter correct and keywords", None, False),
    ("terse", M, "reviews predicted positive", "filter pred POS and show", None, False),
    ("polite", E, "How many of the pairs you predicted as neutral are actually wrong?", "filter pred neutral and mistakes",
     None, False),
    ("casual", F, "accuracy on the claims u called refuted", "filter pred REFUTES and score metric accuracy", None, False),
    ("verbose", M, "Which words are globally most important among the reviews that mention \"comedy\"?",
     "filter contains comedy and important", None, False),
    ("misspelt", M, "how many mistaks in reviews with the word \"plot\"", "filter contains plot and mistakes", None, False),
    ("terse", M, "accuracy for docs of at most 500 tokens", "filter length <= 500 and score metric accuracy", None, False),
    ("polite", M, "Please show me 2 reviews that are at least 1200 tokens long.", "filter length >= 1200 and show n 2",
     None, False),
    ("casual", M, "wrong predictions among the negative reviews longer than 700 tokens, show 3",
     "filter gold NEG and filter length > 700 and mistakes sample 3", None, False),
    # out of scope
    ("casual", M, "what's the capital of Australia?", "", None, False),
    ("polite", M, "Could you order me a pizza?", "", None, False),
    ("terse", M, "stock market today", "", None, False),
    ("verbose", M, "Can you recommend a good restaurant near the train station for this evening?", "", None, False),
    ("casual", F, "sing me a song", "", None, False),
    ("misspelt", M, "whats the wether tomorow", "", None, False),
    ("terse", E, "set an alarm for 7", "", None, False),
]


def normalized(question: str) -> str:
    """A question compared without case and punctuation."""
    return " ".join(re.findall(r"[a-z0-9_]+", question.lower()))


def overlaps(rows: list[dict]) -> list[str]:
    """Fresh questions that are also (word for word, without case and punctuation) a question of the packaged
    set (any split), of the earlier ``final`` set, or a literal of the parser's cue lists."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from rationalize.dialogue.parser import CUES, load_questions

    seen = {normalized(r["question"]) for r in load_questions()}
    final = Path(__file__).with_name("dialogue_questions_final.jsonl")
    seen |= {normalized(json.loads(line)["question"]) for line in final.read_text().splitlines() if line.strip()}
    cues = " ".join(CUES.values()).lower()
    return [r["question"] for r in rows if normalized(r["question"]) in seen
            or re.search(rf"(?<![a-z]){re.escape(r['question'].lower().strip('?!. '))}(?![a-z])", cues)]


def validate(rows: list[dict]) -> list[str]:
    """Problems with the gold programs: not in the grammar, a label outside the dataset's labels, a method
    outside the rationalizer registry, a context that does not parse, a duplicated question."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from rationalize.dialogue.grammar import OPERATIONS, parse_program

    problems, seen = [], set()
    for i, r in enumerate(rows, 1):
        where = f"{OUT.name}:{i}"
        key = (r["question"], r["context"])
        if key in seen:
            problems.append(f"{where}: duplicated question {r['question']!r}")
        seen.add(key)
        for field in ("parse", "context"):
            text = r[field]
            if not text:
                continue
            try:
                p = parse_program(text)
            except ValueError as exc:
                problems.append(f"{where}: {field}: {exc}")
                continue
            if p.to_text() != text:
                problems.append(f"{where}: {field} {text!r} is not canonical ({p.to_text()!r})")
            for f in p.filters:
                if f.kind in ("gold", "pred") and f.value not in r["labels"]:
                    problems.append(f"{where}: label {f.value!r} not in {r['labels']}")
            for name, value in p.args.items():
                kind = OPERATIONS[p.operation].args[name].type
                names = value if kind == "methods" else [value] if kind == "method" else []
                problems += [f"{where}: unknown method {m!r}" for m in names if m not in METHODS]
                if kind == "label" and value not in r["labels"]:
                    problems.append(f"{where}: label {value!r} not in {r['labels']}")
    return problems


def rows() -> list[dict]:
    """The questions as records in the layout of src/rationalize/dialogue/questions.jsonl."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from rationalize.dialogue.grammar import parse_program

    out = []
    for i, (style, ds, question, parse, context, followup) in enumerate(Q):
        op = parse_program(parse).operation if parse else "unknown"
        out.append({"question": question, "parse": parse, "intent": "followup" if followup else op,
                    "context": context, "style": style, "template": f"fresh-{i:03d}", "split": "fresh",
                    "dataset": ds, "labels": LABELS[ds]})
    return out


def main() -> None:
    records = rows()
    problems = validate(records) + [f"in the training data or the cues: {q!r}" for q in overlaps(records)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(1)
    OUT.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    print(f"wrote {len(records)} questions to {OUT}")


if __name__ == "__main__":
    main()
