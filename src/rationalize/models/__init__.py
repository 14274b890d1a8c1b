"""Models: the classifier protocol, offline model aliases, word vectors and small encoders."""

from rationalize.models.base import MASK, ClassifierInput, TextClassifier, load_model, save_config
from rationalize.models.hub import ALIASES, hf_load, resolve

__all__ = ["ALIASES", "MASK", "ClassifierInput", "TextClassifier", "hf_load", "load_model", "resolve", "save_config"]
