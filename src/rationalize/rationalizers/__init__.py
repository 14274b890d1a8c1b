"""Rationalizers: post-hoc explainers, select-then-predict models, greedy and free-text rationales."""
