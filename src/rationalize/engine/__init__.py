"""Execution machinery: the shared training loop, batching, executors and the faithfulness engine."""

from rationalize.engine.executor import Executor, LocalExecutor, RayDataExecutor, RayExecutor, make_executor
from rationalize.engine.faithfulness import FaithfulnessEngine

__all__ = ["Executor", "FaithfulnessEngine", "LocalExecutor", "RayDataExecutor", "RayExecutor", "make_executor"]
