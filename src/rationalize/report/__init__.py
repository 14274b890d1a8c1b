"""Static HTML reports (``rationalize report``): one self-contained file with the score tables, the
summary plots (with, from benchmark summaries, the performance-vs-plausibility Pareto plot of
:mod:`rationalize.report.tradeoff`) and a sample of highlighted examples, built from the viewer's state and
templates."""

from rationalize.report.build import build_report, sample_examples, write_report
from rationalize.report.tradeoff import pareto_front, read_tradeoff, tradeoff_figure, tradeoff_points

__all__ = ["build_report", "pareto_front", "read_tradeoff", "sample_examples", "tradeoff_figure", "tradeoff_points",
           "write_report"]
