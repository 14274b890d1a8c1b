"""Ask the model about itself: a dialogue over the dataset, the model and its rationales (InterroLang-style).

``Conversation(dataset, model).ask("why did you predict positive for id 54?")`` parses the question into a
program of a small grammar (:mod:`~rationalize.dialogue.grammar`, shown with every answer and editable),
completes it from the previous question (:mod:`~rationalize.dialogue.context`) and runs it
(:mod:`~rationalize.dialogue.operations`) on the real model, its explanations and the data. The parser
(:mod:`~rationalize.dialogue.parser`) fills slots deterministically and classifies the intent with MiniLM
sentence embeddings trained on our own question set. See docs/dialogue.md.
"""

from rationalize.dialogue.conversation import Conversation, Reply
from rationalize.dialogue.grammar import OPERATIONS, GrammarError, Program, parse_program
from rationalize.dialogue.operations import Answer, DialogueError, Workspace
from rationalize.dialogue.parser import Parser

__all__ = ["OPERATIONS", "Answer", "Conversation", "DialogueError", "GrammarError", "Parser", "Program", "Reply",
           "Workspace", "parse_program"]
