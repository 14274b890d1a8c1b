"""Execution machinery: the shared training loop, batching, executors and the faithfulness engine."""

from rationalize.engine.executor import Executor, LocalExecutor, RayExecutor
from rationalize.engine.faithfulness import FaithfulnessEngine

__all__ = ["Executor", "FaithfulnessEngine", "LocalExecutor", "RayExecutor"]
