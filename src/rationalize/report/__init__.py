"""Static HTML reports (``rationalize report``): one self-contained file with the score tables, the
summary plots and a sample of highlighted examples, built from the viewer's state and templates."""

from rationalize.report.build import build_report, sample_examples, write_report

__all__ = ["build_report", "sample_examples", "write_report"]
