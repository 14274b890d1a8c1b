"""Options shared by the commands that load a model (``explain``, ``predict``, ``faithfulness``).

They matter only for a plain Hugging Face classifier folder (no ``rationalize.json``): which dataset label
each output is, and what to do with the example's query. See
:meth:`rationalize.models.hf_classifier.HFClassifier.from_hf_folder`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

QUERY_MODES = ("auto", "include", "drop")

LABELS_OPTION: Any = typer.Option(
    None, "--labels", help="Plain Hugging Face folder only: the dataset label of each model output, in output "
    "order, comma-separated (needed when its id2label holds generic LABEL_i names).")
QUERY_OPTION: Any = typer.Option(
    "auto", "--query", help="Plain Hugging Face folder only: auto (drop a query that is the same for every "
    "example, keep one that varies), include, or drop.")


BACKEND_OPTION: Any = typer.Option(
    "torch", "--backend", help="Forward passes that need no gradient: torch, onnx (ONNX Runtime, equal "
    "probabilities, exported once and cached beside the model) or onnx-int8 (a quantized, different model). "
    "Hugging Face classifiers only.")


def load_cli_model(model: Path, dataset: Any, labels: str | None, query: str, backend: str = "torch") -> Any:
    """:func:`rationalize.models.base.load_model` with the options above checked and parsed, and the
    forward backend set (:func:`rationalize.models.onnx_backend.set_backend`)."""
    from rationalize.errors import OptionError
    from rationalize.models.base import load_model

    if query not in QUERY_MODES:
        raise OptionError("--query", f"{query!r} is not one of {', '.join(QUERY_MODES)}")
    names = [x.strip() for x in labels.split(",")] if labels else None
    if names is not None and not all(names):
        raise OptionError("--labels", f"{labels!r} has an empty name")
    from rationalize.models.onnx_backend import BACKENDS, set_backend

    if backend not in BACKENDS:  # before the model is loaded
        raise OptionError("--backend", f"{backend!r} is not one of {', '.join(BACKENDS)}")
    clf = load_model(model, dataset=dataset, model_labels=names, query=query)
    try:
        return set_backend(clf, backend)
    except ValueError as exc:  # a model ONNX does not run
        raise OptionError("--backend", f"{backend}: {model}: {exc}") from None


EXECUTOR_OPTION: Any = typer.Option(
    "local", "--executor", help="Where the model runs: local (this process) or ray (a Ray Data pipeline on a "
    "local Ray, or on the cluster at --address); results are the same, in the same order.")
ADDRESS_OPTION: Any = typer.Option(None, "--address", help="--executor ray: the Ray cluster to join (e.g. auto).")


@contextmanager
def cli_executor(name: str, address: str | None) -> Iterator[Any]:
    """The executor of ``--executor``/``--address`` (None for local; one clear error for a bad value),
    shut down when the command's work is done."""
    from rationalize.engine.executor import make_executor
    from rationalize.errors import OptionError

    try:
        runner = make_executor(name, address)
    except ValueError as exc:
        raise OptionError("--executor", str(exc).removeprefix("executor ")) from None
    try:
        yield runner
    finally:
        if runner is not None:
            runner.shutdown()
