"""Loaders for non-ERASER formats; each module registers itself with :func:`register_loader`.

Registration order is detection order (after ``eraser``): the specific layouts first, generic JSONL/CSV
last; ``hf`` is only reached through the ``hf:NAME`` prefix.
"""

from rationalize.data.loaders import zaidan, hatexplain, esnli, cose, generic, hf  # noqa: F401  (order matters)
from rationalize.data.loaders.cose import load_cose
from rationalize.data.loaders.esnli import load_esnli
from rationalize.data.loaders.generic import GenericFormat, load_generic
from rationalize.data.loaders.hatexplain import load_hatexplain
from rationalize.data.loaders.hf import load_hf
from rationalize.data.loaders.zaidan import load_zaidan

__all__ = ["GenericFormat", "load_cose", "load_esnli", "load_generic", "load_hatexplain", "load_hf", "load_zaidan"]
