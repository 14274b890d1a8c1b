"""Datasets: the shared schema, loaders for every supported format, writers and the synthetic benchmark."""

from rationalize.data.eraser import is_eraser_dir, load_eraser, write_eraser
from rationalize.data.registry import LOADERS, load_dataset, load_splits, register_loader
from rationalize.data.schema import Dataset, Document, Evidence, Example, Span
from rationalize.data.synthetic import SynthConfig, make_synthetic

register_loader("eraser", load_eraser, is_eraser_dir, "ERASER folder: {train,val,test}.jsonl + docs/ or docs.jsonl",
                partial=True)

from rationalize.data import loaders as _loaders  # noqa: E402,F401  (registers the other formats)
from rationalize.data.inputs import INPUTS_SPLIT, inputs_dataset  # noqa: E402

__all__ = [
    "Dataset", "Document", "Evidence", "Example", "INPUTS_SPLIT", "Span", "SynthConfig", "LOADERS", "inputs_dataset",
    "load_dataset", "load_eraser", "load_splits", "make_synthetic", "register_loader", "write_eraser", "is_eraser_dir",
]
