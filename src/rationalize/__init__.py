"""rationalize: make NLP models explain themselves with rationales, and measure how good they are."""

__version__ = "0.1.0"

from rationalize.data import Dataset, Document, Evidence, Example, load_dataset, make_synthetic  # noqa: E402

__all__ = ["Dataset", "Document", "Evidence", "Example", "__version__", "load_dataset", "make_synthetic"]
