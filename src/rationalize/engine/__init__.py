"""Execution machinery: the shared training loop, batching, executors and the faithfulness engine."""
