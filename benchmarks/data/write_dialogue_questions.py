"""Write the dialogue question set (src/rationalize/dialogue/questions.jsonl) from hand-written phrasings.

Every phrasing below was written by hand, in one of five writers' styles (``terse``, ``polite``,
``casual``, ``misspelt``, ``verbose``), with its gold program. Each phrasing is filled in twice with
different slot values (ids in different forms, labels, numbers, methods, words) drawn with a fixed seed.

Split by phrasing: within each intent, every third phrasing (the 3rd, 6th, ...) goes to ``dev`` with all its
fillings, so a dev question is never a re-filled training phrasing. Some id forms (``record``, ``case``,
``data point``) appear only in dev fillings. ``dev`` was called ``test`` until it had been used to design the
parser's cue features; the untouched test set is now benchmarks/data/dialogue_questions_fresh.jsonl
(split ``fresh``, written by write_dialogue_fresh.py), which this file never holds.

Run: ``python benchmarks/data/write_dialogue_questions.py`` (deterministic; rewrites the file).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src" / "rationalize" / "dialogue" / "questions.jsonl"

DATASETS = {
    "movies": {"labels": ["NEG", "POS"], "words": {"NEG": ["negative", "neg", "NEG", "negatve"],
                                                   "POS": ["positive", "pos", "POS", "postive"]}},
    "esnli": {"labels": ["contradiction", "entailment", "neutral"],
              "words": {"contradiction": ["contradiction", "contradictions"], "entailment": ["entailment", "entailed"],
                        "neutral": ["neutral"]}},
    "fever": {"labels": ["REFUTES", "SUPPORTS"], "words": {"REFUTES": ["refutes", "REFUTES", "refuted"],
                                                           "SUPPORTS": ["supports", "SUPPORTS", "supported"]}},
}
# id phrase -> id value; {n} a number, {m} a movies-style id
ID_FORMS_TRAIN = ["id {n}", "ID {n}", "#{n}", "example {n}", "example #{n}", "instance {n}", "item no. {n}",
                  "doc {n}", "id={n}", "number {n}", "{m}", "review {m}", "the example with id {n}"]
ID_FORMS_DEV = ID_FORMS_TRAIN + ["record {n}", "case {n}", "data point {n}", "entry #{n}", "id: {n}"]
METHODS = [("integrated gradients", "integrated-gradients"), ("IG", "integrated-gradients"), ("lime", "lime"),
           ("LIME", "lime"), ("SHAP", "kernel-shap"), ("kernel shap", "kernel-shap"), ("occlusion", "occlusion"),
           ("attention", "attention"), ("saliency", "saliency"), ("input x gradient", "input-x-gradient"),
           ("deeplift", "deeplift"), ("attention rollout", "attention-rollout"), ("gradients", "saliency")]
METHODS_MISSPELT = [("integrated gradiants", "integrated-gradients"), ("occlusoin", "occlusion"),
                    ("salency", "saliency"), ("attenton", "attention")]
WORDS = ["boring", "great", "plot", "acting", "script", "funny", "dull", "brilliant", "music", "ending"]
POSITIONS = [("first", 1), ("second", 2), ("third", 3), ("5th", 5), ("fourth", 4), ("10th", 10)]

# (style, question, gold program). Placeholders: {ex}/{id} example id phrase/value, {n} a count, {lab}/{LAB}
# a label word / dataset label, {meth}/{M} a method phrase / registry name, {m2}/{M2} a second method,
# {w} a word, {pos}/{P} an ordinal / position, {split}
T: dict[str, list[tuple[str, str, str]]] = {
    "show": [
        ("terse", "show {ex}", "filter id {id} and show"),
        ("polite", "Could you please show me the text of {ex}?", "filter id {id} and show"),
        ("casual", "lemme see {ex}", "filter id {id} and show"),
        ("verbose", "I would like to read the full document for {ex}, including its label", "filter id {id} and show"),
        ("terse", "text of {ex}", "filter id {id} and show"),
        ("misspelt", "shwo me the documnet {ex}", "filter id {id} and show"),
        ("polite", "Please display the {pos} example.", "filter position {P} and show"),
        ("casual", "what does {ex} say?", "filter id {id} and show"),
        ("terse", "show {n} {lab} reviews", "filter gold {LAB} and show n {n}"),
        ("verbose", "Can you list some examples whose gold label is {lab}?", "filter gold {LAB} and show"),
        ("casual", "gimme examples that mention the word {w}", "filter contains {w} and show"),
        ("polite", "Would you show me {n} examples containing \"{w}\"?", "filter contains {w} and show n {n}"),
        ("terse", "examples longer than 800 words", "filter length > 800 and show"),
        ("misspelt", "pleese show the {pos} exmaple", "filter position {P} and show"),
        ("casual", "read me {ex}", "filter id {id} and show"),
    ],
    "predict": [
        ("terse", "prediction for {ex}", "filter id {id} and predict"),
        ("polite", "What does the model predict for {ex}, please?", "filter id {id} and predict"),
        ("casual", "what'd you guess for {ex}?", "filter id {id} and predict"),
        ("verbose", "For the example {ex}, which class does the classifier assign to it?", "filter id {id} and predict"),
        ("misspelt", "waht is the predicton for {ex}", "filter id {id} and predict"),
        ("terse", "predict all", "predict"),
        ("polite", "Could you tell me what you predict on all the {lab} reviews?", "filter gold {LAB} and predict"),
        ("casual", "how do you classify the {pos} one?", "filter position {P} and predict"),
        ("verbose", "I am curious what label the model gives to the reviews that contain the word {w}",
         "filter contains {w} and predict"),
        ("terse", "predictions on {lab} examples", "filter gold {LAB} and predict"),
        ("casual", "is {ex} classified right?", "filter id {id} and predict"),
        ("polite", "What are your predictions for examples shorter than 300 tokens?", "filter length < 300 and predict"),
        ("misspelt", "what lable do u give {ex}", "filter id {id} and predict"),
        ("terse", "predict {ex}", "filter id {id} and predict"),
        ("verbose", "Which class would the model output for the {pos} instance in the split?",
         "filter position {P} and predict"),
    ],
    "likelihood": [
        ("terse", "probabilities for {ex}", "filter id {id} and likelihood"),
        ("polite", "How confident is the model about {ex}?", "filter id {id} and likelihood"),
        ("casual", "how sure r u about {ex}", "filter id {id} and likelihood"),
        ("verbose", "What probability does the classifier assign to each class for {ex}?", "filter id {id} and likelihood"),
        ("misspelt", "class probabilites of {ex}", "filter id {id} and likelihood"),
        ("terse", "confidence {ex}", "filter id {id} and likelihood"),
        ("polite", "Could you give me the class likelihoods for the {lab} examples?", "filter gold {LAB} and likelihood"),
        ("casual", "how likely is each label for {ex}?", "filter id {id} and likelihood"),
        ("verbose", "I'd like to know the average predicted probabilities over all examples", "likelihood"),
        ("terse", "likelihood of classes for {ex}", "filter id {id} and likelihood"),
        ("polite", "What is the score the model gives each label on the {pos} example?", "filter position {P} and likelihood"),
        ("casual", "what are the odds for {ex}", "filter id {id} and likelihood"),
    ],
    "mistakes": [
        ("terse", "how many mistakes?", "mistakes"),
        ("polite", "Could you show me {n} examples that you get wrong?", "mistakes sample {n}"),
        ("casual", "what do u get wrong? show me a few", "mistakes sample 5"),
        ("verbose", "How many of the examples does the model misclassify in total?", "mistakes"),
        ("misspelt", "show {n} mistaks", "mistakes sample {n}"),
        ("terse", "list errors", "mistakes sample 5"),
        ("polite", "How many {lab} reviews does the model get wrong, please?", "filter gold {LAB} and mistakes"),
        ("casual", "gimme {n} misclassified ones", "mistakes sample {n}"),
        ("verbose", "Please count the errors the classifier makes on examples longer than 500 tokens",
         "filter length > 500 and mistakes"),
        ("terse", "error count", "mistakes"),
        ("polite", "Would you list {n} of the {lab} examples that are predicted incorrectly?",
         "filter gold {LAB} and mistakes sample {n}"),
        ("casual", "which ones did you mess up?", "mistakes sample 5"),
        ("misspelt", "how mnay erors do you make", "mistakes"),
        ("terse", "sample {n} mistakes", "mistakes sample {n}"),
        ("verbose", "Show me some of the cases where the prediction and the gold label disagree", "mistakes sample 5"),
    ],
    "score": [
        ("terse", "accuracy?", "score metric accuracy"),
        ("polite", "What is the model's accuracy, please?", "score metric accuracy"),
        ("casual", "how good is the model?", "score"),
        ("verbose", "Could you report the macro F1 of the classifier on the {split} split?", "score metric f1 split {split}"),
        ("misspelt", "whats the acuracy", "score metric accuracy"),
        ("terse", "f1 per class", "score metric f1 perclass"),
        ("polite", "Could you give me the precision and recall for each class?", "score perclass"),
        ("casual", "how well do you do on {lab} reviews?", "filter gold {LAB} and score"),
        ("verbose", "I would like to see the recall of the model on the {split} data", "score metric recall split {split}"),
        ("terse", "precision", "score metric precision"),
        ("polite", "How accurate is the model on examples that contain the word {w}?", "filter contains {w} and score metric accuracy"),
        ("casual", "scores pls", "score"),
        ("misspelt", "preformance per lable?", "score perclass"),
        ("terse", "score on {split}", "score split {split}"),
        ("verbose", "What is the F1 score broken down by label on the {split} set?", "score metric f1 split {split} perclass"),
        ("casual", "how accurate r u on long reviews, over 700 words?", "filter length > 700 and score metric accuracy"),
    ],
    "labels": [
        ("terse", "label distribution", "labels"),
        ("polite", "Could you show me how the gold labels are distributed?", "labels source gold"),
        ("casual", "how many of each label?", "labels"),
        ("verbose", "What is the distribution of the labels the model predicts across the split?", "labels source pred"),
        ("misspelt", "lable distrbution", "labels"),
        ("terse", "class balance", "labels"),
        ("polite", "How many examples are there per class, please?", "labels"),
        ("casual", "how often do you predict each class", "labels source pred"),
        ("verbose", "I'd like to know the balance of the true labels among the examples containing {w}",
         "filter contains {w} and labels source gold"),
        ("terse", "predicted label counts", "labels source pred"),
        ("polite", "Could you count the labels for the examples you got wrong?", "filter incorrect and labels"),
        ("casual", "whats the split between classes", "labels"),
    ],
    "data": [
        ("terse", "dataset info", "data"),
        ("polite", "Could you tell me about the dataset, please?", "data"),
        ("casual", "what data is this?", "data"),
        ("verbose", "How many examples are in each split, and where does the data come from?", "data"),
        ("misspelt", "whcih dataset is loaded", "data"),
        ("terse", "split sizes", "data"),
        ("polite", "What is the average document length in this dataset?", "data"),
        ("casual", "how big is the data", "data"),
        ("verbose", "Describe the corpus: its name, its source and its size", "data"),
        ("terse", "data stats", "data"),
        ("polite", "Which splits does the dataset have?", "data"),
        ("casual", "where's the data from?", "data"),
    ],
    "keywords": [
        ("terse", "most frequent words", "keywords"),
        ("polite", "Could you list the {n} most common words in the data?", "keywords topk {n}"),
        ("casual", "what words show up the most?", "keywords"),
        ("verbose", "Which words occur most often in the {lab} reviews?", "keywords label {LAB}"),
        ("misspelt", "most comon wrods", "keywords"),
        ("terse", "least frequent words", "keywords least"),
        ("polite", "What are the {n} rarest words, please?", "keywords topk {n} least"),
        ("casual", "top {n} words in {lab} examples", "keywords topk {n} label {LAB}"),
        ("verbose", "Give me a frequency list of the words used in the misclassified examples", "filter incorrect and keywords"),
        ("terse", "frequent words {lab}", "keywords label {LAB}"),
        ("polite", "Which words are the most frequent in examples longer than 600 words?", "filter length > 600 and keywords"),
        ("casual", "common words pls", "keywords"),
    ],
    "attribute": [
        ("terse", "why {ex}?", "filter id {id} and attribute"),
        ("polite", "Why did you predict that for {ex}?", "filter id {id} and attribute"),
        ("casual", "why'd u say that about {ex}", "filter id {id} and attribute"),
        ("verbose", "Which words of {ex} were most important for the model's prediction?", "filter id {id} and attribute"),
        ("misspelt", "most importnat words for {ex}", "filter id {id} and attribute"),
        ("terse", "top {n} words {ex} {meth}", "filter id {id} and attribute topk {n} method {M}"),
        ("polite", "Could you explain the prediction for {ex} using {meth}?", "filter id {id} and attribute method {M}"),
        ("casual", "what made u decide on {ex}? use {meth}", "filter id {id} and attribute method {M}"),
        ("verbose", "Please show me the {n} most influential tokens of {ex} according to {meth}",
         "filter id {id} and attribute topk {n} method {M}"),
        ("terse", "attribution {ex}", "filter id {id} and attribute"),
        ("polite", "Which sentences of {ex} matter most for the decision?", "filter id {id} and attribute unit sentence"),
        ("casual", "why did you predict {lab} for {ex}?", "filter id {id} and filter pred {LAB} and attribute"),
        ("misspelt", "explian {ex} with {meth}", "filter id {id} and attribute method {M}"),
        ("terse", "important sentences {ex}", "filter id {id} and attribute unit sentence"),
        ("verbose", "For the {pos} example, which words pushed the classifier towards its decision?",
         "filter position {P} and attribute"),
        ("casual", "top {n} words for {ex} pls", "filter id {id} and attribute topk {n}"),
    ],
    "important": [
        ("terse", "most important words overall", "important"),
        ("polite", "What are the most important words for {lab} reviews?", "important label {LAB}"),
        ("casual", "which words matter most to the model in general?", "important"),
        ("verbose", "Across the whole dataset, which {n} words have the largest attributions according to {meth}?",
         "important topk {n} method {M}"),
        ("misspelt", "globaly importnt words", "important"),
        ("terse", "top {n} important words {lab}", "important topk {n} label {LAB}"),
        ("polite", "Could you tell me which words drive {lab} predictions the most?", "important label {LAB}"),
        ("casual", "what words push u towards {lab}", "important label {LAB}"),
        ("verbose", "Aggregating the {meth} attributions over all examples, what are the key words?", "important method {M}"),
        ("terse", "global importance {meth}", "important method {M}"),
        ("polite", "Which words are most influential on the examples you get wrong?", "filter incorrect and important"),
        ("casual", "key words for {lab} overall", "important label {LAB}"),
        ("misspelt", "wich words are most importent for {lab}", "important label {LAB}"),
        ("terse", "important words in mistakes", "filter incorrect and important"),
        ("verbose", "In general, what are the {n} words the model relies on most?", "important topk {n}"),
    ],
    "rationale": [
        ("terse", "rationale {ex}", "filter id {id} and rationale"),
        ("polite", "Could you explain in your own words why {ex} got its label?", "filter id {id} and rationale source generator"),
        ("casual", "explain {ex} to me", "filter id {id} and rationale"),
        ("verbose", "Please write a free-text explanation of the prediction for {ex}", "filter id {id} and rationale source generator"),
        ("misspelt", "explenation for {ex}", "filter id {id} and rationale"),
        ("terse", "extractive rationale {ex}", "filter id {id} and rationale source extractive"),
        ("polite", "What evidence does the model highlight for {ex}?", "filter id {id} and rationale source extractive"),
        ("casual", "give me the reasoning for {ex}", "filter id {id} and rationale"),
        ("verbose", "Could you generate a natural language justification for the {pos} example?",
         "filter position {P} and rationale source generator"),
        ("terse", "justify {ex}", "filter id {id} and rationale"),
        ("polite", "Could you read out the rationale the model extracted for {ex}?", "filter id {id} and rationale source extractive"),
        ("casual", "whats the reason behind {ex}", "filter id {id} and rationale"),
    ],
    "agreement": [
        ("terse", "agreement {ex}", "filter id {id} and agreement"),
        ("polite", "Does the model's rationale for {ex} agree with the human one?", "filter id {id} and agreement"),
        ("casual", "do u and the annotators agree on {ex}?", "filter id {id} and agreement"),
        ("verbose", "How much does the {meth} rationale of {ex} overlap with the human evidence, in token F1 and IOU?",
         "filter id {id} and agreement method {M}"),
        ("misspelt", "human vs model rationel {ex}", "filter id {id} and agreement"),
        ("terse", "token f1 {ex} {meth}", "filter id {id} and agreement method {M}"),
        ("polite", "Could you compare the human rationale and the model's rationale for {ex}?", "filter id {id} and agreement"),
        ("casual", "is {meth} close to the human highlights on {ex}", "filter id {id} and agreement method {M}"),
        ("verbose", "For the {pos} example, what is the IOU between the predicted and the annotated rationale?",
         "filter position {P} and agreement"),
        ("terse", "iou {ex}", "filter id {id} and agreement"),
        ("polite", "How plausible is the rationale for {ex} compared with the annotators' one?", "filter id {id} and agreement"),
        ("casual", "overlap with humans for {ex}?", "filter id {id} and agreement"),
    ],
    "compare": [
        ("terse", "compare methods", "compare"),
        ("polite", "Could you compare {meth} and {m2}, please?", "compare methods {M},{M2}"),
        ("casual", "which explainer is best?", "compare"),
        ("verbose", "How do {meth} and {m2} differ in plausibility and faithfulness?", "compare methods {M},{M2}"),
        ("misspelt", "compair {meth} vs {m2}", "compare methods {M},{M2}"),
        ("terse", "{meth} vs {m2}", "compare methods {M},{M2}"),
        ("polite", "Which attribution method is the most faithful on the {lab} reviews?", "filter gold {LAB} and compare"),
        ("casual", "put the methods side by side", "compare"),
        ("verbose", "Please benchmark the explanation methods against each other on the examples you get wrong",
         "filter incorrect and compare"),
        ("terse", "method comparison", "compare"),
        ("polite", "Is {meth} better than {m2} at explaining the model?", "compare methods {M},{M2}"),
        ("casual", "{meth} or {m2}, which one's more faithful?", "compare methods {M},{M2}"),
    ],
    "counterfactual": [
        ("terse", "counterfactual {ex}", "filter id {id} and counterfactual"),
        ("polite", "How would {ex} have to change to flip the prediction?", "filter id {id} and counterfactual"),
        ("casual", "what'd flip ur answer on {ex}?", "filter id {id} and counterfactual"),
        ("verbose", "What is the smallest edit to {ex} that would make the model change its prediction?",
         "filter id {id} and counterfactual"),
        ("misspelt", "counterfactaul for {ex}", "filter id {id} and counterfactual"),
        ("terse", "flip {ex}", "filter id {id} and counterfactual"),
        ("polite", "Could you find a minimal change to the {pos} example that flips the label?",
         "filter position {P} and counterfactual"),
        ("casual", "how do i make u change ur mind on {ex}", "filter id {id} and counterfactual"),
        ("verbose", "Using {meth} to pick the words, which deletions from {ex} would reverse the decision?",
         "filter id {id} and counterfactual method {M}"),
        ("terse", "flip prediction {ex}", "filter id {id} and counterfactual"),
        ("polite", "What would need to be different in {ex} for the other label to be predicted?",
         "filter id {id} and counterfactual"),
        ("casual", "counterfactual pls, {ex}", "filter id {id} and counterfactual"),
    ],
    "whatif": [
        ("terse", "{ex} without {w}", "filter id {id} and whatif remove {w}"),
        ("polite", "What would you predict for {ex} if I removed the word '{w}'?", "filter id {id} and whatif remove {w}"),
        ("casual", "what if {ex} didn't have {w} in it", "filter id {id} and whatif remove {w}"),
        ("verbose", "Suppose the text were \"the film was {w} and the cast was wonderful\": what would the model say?",
         'whatif text "the film was {w} and the cast was wonderful"'),
        ("misspelt", "wat if i delete {w} from {ex}", "filter id {id} and whatif remove {w}"),
        ("terse", "whatif {ex} replace {w} with awful", "filter id {id} and whatif replace {w} awful"),
        ("polite", "Could you re-predict {ex} with the word {w} replaced by superb?", "filter id {id} and whatif replace {w} superb"),
        ("casual", "what if the review said \"{w} movie , loved it\"", 'whatif text "{w} movie , loved it"'),
        ("verbose", "If I changed {w} to terrible in {ex}, would the prediction change?",
         "filter id {id} and whatif replace {w} terrible"),
        ("terse", "predict \"{w} and dull plot\"", 'whatif text "{w} and dull plot"'),
        ("polite", "What happens to {ex} if the word {w} is taken out?", "filter id {id} and whatif remove {w}"),
        ("casual", "try {ex} but swap {w} for great", "filter id {id} and whatif replace {w} great"),
    ],
    "similar": [
        ("terse", "similar to {ex}", "filter id {id} and similar"),
        ("polite", "Could you find examples similar to {ex}?", "filter id {id} and similar"),
        ("casual", "what else is like {ex}?", "filter id {id} and similar"),
        ("verbose", "Which {n} examples in the split are closest in meaning to {ex}?", "filter id {id} and similar topk {n}"),
        ("misspelt", "simlar exmaples to {ex}", "filter id {id} and similar"),
        ("terse", "{n} nearest neighbours {ex}", "filter id {id} and similar topk {n}"),
        ("polite", "Are there other reviews that resemble the {pos} one?", "filter position {P} and similar"),
        ("casual", "show me {n} like {ex}", "filter id {id} and similar topk {n}"),
        ("verbose", "Using sentence embeddings, what are the nearest examples to {ex}?", "filter id {id} and similar"),
        ("terse", "neighbours of {ex}", "filter id {id} and similar"),
        ("polite", "Which examples are most similar to {ex}, please?", "filter id {id} and similar"),
        ("casual", "anything close to {ex}?", "filter id {id} and similar"),
    ],
    "help": [
        ("terse", "help", "help"),
        ("polite", "What kinds of questions can I ask you?", "help"),
        ("casual", "what can u do", "help"),
        ("verbose", "Could you give me an overview of the operations this system supports?", "help"),
        ("misspelt", "hlep me", "help"),
        ("terse", "commands?", "help"),
        ("polite", "How do I use this chat, please?", "help"),
        ("casual", "uh, how does this work?", "help"),
        ("verbose", "I am new here: what are the things I can find out about the model?", "help"),
    ],
    "self": [
        ("terse", "which model?", "self"),
        ("polite", "Could you tell me which model you are?", "self"),
        ("casual", "who r u", "self"),
        ("verbose", "What classifier and which configuration are loaded in this conversation?", "self"),
        ("misspelt", "wich modle are you", "self"),
        ("terse", "model info", "self"),
        ("polite", "What kind of architecture does the model have?", "self"),
        ("casual", "what are you exactly?", "self"),
        ("verbose", "Describe yourself: the model, its labels and the explanation methods you hold", "self"),
    ],
    "unknown": [
        ("casual", "what's the weather in Paris?", ""),
        ("polite", "Could you book me a table for two tonight?", ""),
        ("terse", "play music", ""),
        ("verbose", "Who won the football world cup in 2010?", ""),
        ("casual", "tell me a joke", ""),
        ("polite", "Please translate hello into German.", ""),
        ("terse", "bitcoin price", ""),
        ("casual", "what time is it", ""),
        ("verbose", "How many calories are in a banana?", ""),
    ],
}

# Follow-ups: (style, context program, question, gold program after context).
F: list[tuple[str, str, str, str]] = [
    ("terse", "filter id {id} and predict", "and for {ex2}?", "filter id {id2} and predict"),
    ("casual", "filter id {id} and attribute", "why?", "filter id {id} and attribute"),
    ("polite", "filter id {id} and attribute method integrated-gradients", "What about {meth}?",
     "filter id {id} and attribute method {M}"),
    ("casual", "mistakes sample 3", "show me more", "mistakes sample 6"),
    ("terse", "filter id {id} and likelihood", "same for {ex2}", "filter id {id2} and likelihood"),
    ("verbose", "important label NEG", "And what about the positive ones?", "important label POS"),
    ("casual", "filter id {id} and show", "why did you predict that?", "filter id {id} and attribute"),
    ("polite", "filter id {id} and show", "What do you predict for it?", "filter id {id} and predict"),
    ("terse", "keywords", "more", "keywords topk 20"),
    ("casual", "filter id {id} and attribute", "how about {meth}", "filter id {id} and attribute method {M}"),
    ("polite", "filter id {id} and show", "Could you find similar examples?", "filter id {id} and similar"),
    ("casual", "filter id {id} and predict", "what would flip it?", "filter id {id} and counterfactual"),
    ("terse", "filter id {id} and agreement", "and {ex2}", "filter id {id2} and agreement"),
    ("verbose", "filter id {id} and predict", "Now explain it in your own words, please",
     "filter id {id} and rationale source generator"),
    ("casual", "filter gold NEG and show", "what about positive?", "filter gold POS and show"),
    ("polite", "filter id {id} and attribute", "Could you show me more words?", "filter id {id} and attribute topk 10"),
    ("terse", "filter id {id} and attribute method lime", "{meth} instead", "filter id {id} and attribute method {M}"),
    ("casual", "filter id {id} and counterfactual", "ok and for {ex2}?", "filter id {id2} and counterfactual"),
]


def main() -> None:
    rng = random.Random(0)
    rows = []

    def fill(text: str, values: dict[str, str]) -> str:
        for k, v in values.items():
            text = text.replace("{" + k + "}", v)
        return text

    def values(split: str, style: str) -> dict[str, str]:
        ds = rng.choice(["movies"] * 6 + ["esnli", "fever"])
        labs = DATASETS[ds]["labels"]
        lab = rng.choice(labs)
        labword = rng.choice(DATASETS[ds]["words"][lab])
        if style != "misspelt":
            labword = labword.replace("negatve", "negative").replace("postive", "positive")
        forms = ID_FORMS_DEV if split == "dev" else ID_FORMS_TRAIN
        out = {"_ds": ds, "lab": labword, "LAB": lab}
        for suffix in ("", "2"):
            n = str(rng.randint(1, 199))
            m = f"{rng.choice(['negR', 'posR'])}_{rng.randint(800, 999):03d}.txt"
            form = rng.choice(forms)
            out["ex" + suffix] = form.replace("{n}", n).replace("{m}", m)
            out["id" + suffix] = m if "{m}" in form else n
        pool = METHODS + (METHODS_MISSPELT if style == "misspelt" else [])
        (mp, mn), (mp2, mn2) = rng.sample(pool, 2)
        while mn2 == mn:
            mp2, mn2 = rng.choice(METHODS)
        out.update(meth=mp, M=mn, m2=mp2, M2=mn2, w=rng.choice(WORDS), n=str(rng.choice([2, 3, 4, 6, 7, 8, 12, 15])),
                   split=rng.choice(["train", "val", "test"]))
        pos, p = rng.choice(POSITIONS)
        out.update(pos=pos, P=str(p))
        return out

    for intent, templates in T.items():
        for t, (style, q, parse) in enumerate(templates):
            split = "dev" if t % 3 == 2 else "train"
            fills = 1 if intent == "unknown" or "{" not in q else 2
            seen = set()
            for _ in range(fills):
                v = values(split, style)
                question = fill(q, v)
                if question in seen:
                    continue
                seen.add(question)
                rows.append({"question": question, "parse": fill(parse, v), "intent": intent, "context": None,
                             "style": style, "template": f"{intent}-{t:02d}", "split": split, "dataset": v["_ds"],
                             "labels": DATASETS[v["_ds"]]["labels"]})
    for t, (style, ctx, q, parse) in enumerate(F):
        split = "dev" if t % 3 == 2 else "train"
        for _ in range(2):
            v = values(split, style)
            v["_ds"] = "movies"
            rows.append({"question": fill(q, v), "parse": fill(parse, v), "intent": "followup",
                         "context": fill(ctx, v), "style": style, "template": f"followup-{t:02d}", "split": split,
                         "dataset": "movies", "labels": DATASETS["movies"]["labels"]})
    # the intent of a follow-up row is what the classifier must recognise: a pure follow-up, or the operation
    for r in rows:
        if r["intent"] == "followup" and r["context"]:
            ctx_op, gold_op = r["context"].split(" and ")[-1].split()[0], r["parse"].split(" and ")[-1].split()[0]
            asks_why = r["question"].lower().startswith("why")  # "why?" asks for an attribution, whatever came before
            r["intent"] = gold_op if asks_why or ctx_op != gold_op else "followup"
    OUT.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    n_dev = sum(r["split"] == "dev" for r in rows)
    print(json.dumps({"questions": len(rows), "train": len(rows) - n_dev, "dev": n_dev, "path": str(OUT)}))


if __name__ == "__main__":
    main()
