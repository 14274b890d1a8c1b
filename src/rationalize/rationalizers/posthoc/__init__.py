"""Post-hoc rationales for any classifier: one small class per method behind one ``attribute``
interface (Captum does the attribution; we do the text plumbing), a registry by name, and a dataset
runner that writes ERASER results.

>>> explainer = get_explainer("integrated-gradients", model, n_steps=32)   # doctest: +SKIP
>>> scores = explainer.attribute([ClassifierInput(tokens)])                  # doctest: +SKIP
"""

from rationalize.rationalizers.posthoc.base import Explainer, PerturbationExplainer
from rationalize.rationalizers.posthoc.explain import default_k, explain_dataset, explain_methods, to_result
from rationalize.rationalizers.posthoc.gradient import GradientExplainer, ReferenceExplainer
from rationalize.rationalizers.posthoc.registry import EXPLAINERS, METHODS, available_methods, get_explainer, register

__all__ = ["EXPLAINERS", "METHODS", "Explainer", "GradientExplainer", "PerturbationExplainer", "ReferenceExplainer",
           "available_methods", "default_k", "explain_dataset", "explain_methods", "get_explainer", "register", "to_result"]
