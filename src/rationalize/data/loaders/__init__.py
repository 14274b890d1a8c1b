"""Loaders for non-ERASER formats; each module registers itself with :func:`register_loader`."""
