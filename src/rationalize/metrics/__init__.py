"""ERASER-exact evaluation of rationales: task, plausibility and faithfulness metrics.

``evaluate`` reproduces the official ERASER scorer's score file key by key; the metric modules hold
pure functions over plain containers; ``validate_results`` checks a results file against its dataset.
"""

from rationalize.metrics.evaluate import evaluate, format_scores, per_example_metrics
from rationalize.metrics.freetext import las, las_bootstrap, simulate_las  # free-text rationales (issue 8)
from rationalize.metrics.validate import validate_results

__all__ = ["evaluate", "format_scores", "las", "las_bootstrap", "per_example_metrics", "simulate_las", "validate_results"]
