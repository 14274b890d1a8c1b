"""ONNX Runtime as the forward backend of a Hugging Face classifier, for work that needs no gradient.

Faithfulness (comprehensiveness, sufficiency, AOPC), occlusion, LIME, KernelSHAP and ``predict`` only run
forward passes, and on a CPU ONNX Runtime runs a transformer's forward pass faster than eager PyTorch
(fused attention and GELU kernels, no Python between layers). :func:`use_onnx` exports the classifier's
network once (TorchScript-based ``torch.onnx.export``, dynamic batch and length, then
:func:`fuse_transformer_ops` for BERT-like models), caches the file under a
name made from a fingerprint of the weights, and makes :meth:`HFClassifier.window_logits
<rationalize.models.hf_classifier.HFClassifier.window_logits>` run the session whenever no gradient is
needed. Everything that back-propagates (gradient explainers, training) keeps the PyTorch network, so one
object serves both.

``quantize=True`` adds int8 dynamic quantization of the weights (``onnxruntime.quantization``). A quantized
model is a different model: :func:`agreement` reports how far its predictions are from the fp32 network's,
and the command line labels it ``--backend onnx-int8`` rather than making it a silent speed option.

The cache: ``<model folder>/onnx/`` for a model loaded from a folder one may write to (beside the weights
it was made from), else ``$RATIONALIZE_CACHE`` (default ``~/.cache/rationalize``) ``/onnx/``. A file whose fingerprint matches
is reused; any change to the weights, the opset or the quantization makes a new one.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rationalize.errors import RationalizeError

#: the backends the command line offers
BACKENDS = ("torch", "onnx", "onnx-int8")
OPSET = 17
#: bump when the export changes, so that cached files of the old export are not reused
EXPORT_VERSION = 2


class OnnxUnavailableError(RationalizeError):
    """``onnxruntime`` (or ``onnx``, for quantization) is not installed."""


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise OnnxUnavailableError(f"the ONNX backend needs the {module.split('.')[0]!r} package: "
                                   "pip install 'rationalize[onnx]'") from None


def fingerprint(module: torch.nn.Module, *extra: Any) -> str:
    """A short hash of ``module``'s weights (names, shapes, values) and of ``extra`` settings."""
    h = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        h.update(name.encode())
        h.update(str((tuple(t.shape), str(t.dtype))).encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    h.update(repr(extra).encode())
    return h.hexdigest()[:16]


def cache_dir(model: Any) -> Path:
    """Where the exported files of ``model`` live (see the module docstring)."""
    folder = getattr(model, "folder_", None)
    if folder is not None and os.access(folder, os.W_OK):
        return Path(folder) / "onnx"
    return Path(os.environ.get("RATIONALIZE_CACHE", Path.home() / ".cache" / "rationalize")) / "onnx"


class _Logits(torch.nn.Module):
    """The network with positional inputs in ``names`` order and the logits as its only output (what the
    exporter traces)."""

    def __init__(self, hf: torch.nn.Module, names: Sequence[str]):
        super().__init__()
        self.hf = hf
        self.names = list(names)

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.hf(**dict(zip(self.names, tensors))).logits


def export(model: Any, path: Path, input_names: Sequence[str]) -> Path:
    """Write ``model.hf`` (an ``AutoModelForSequenceClassification``) to ``path`` as ONNX, with a dynamic
    batch and sequence length for every input. Written to a temporary name first, so a killed export
    never leaves a half file that looks cached."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    example = tuple(torch.full((2, 16), model.pad_id + 1 if n == "input_ids" else (1 if n == "attention_mask" else 0),
                               dtype=torch.long) for n in input_names)
    hf = model.hf
    was_training = hf.training
    impl = getattr(hf.config, "_attn_implementation", None)
    hf.eval()
    try:
        if impl not in (None, "eager"):  # eager attention exports as the pattern ONNX Runtime fuses (below)
            hf.set_attn_implementation("eager")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on Python-level branches of the HF code
            torch.onnx.export(
                _Logits(hf, input_names), example, str(tmp), input_names=list(input_names), output_names=["logits"],
                dynamic_axes={**{n: {0: "batch", 1: "length"} for n in input_names}, "logits": {0: "batch"}},
                opset_version=OPSET, dynamo=False)
    finally:
        if impl not in (None, "eager"):
            hf.set_attn_implementation(impl)
        hf.train(was_training)
    fuse_transformer_ops(tmp, hf.config)
    tmp.replace(path)
    return path


#: Hugging Face model types whose graphs ONNX Runtime's transformer optimizer fuses as BERT
BERT_LIKE = ("bert", "roberta", "xlm-roberta", "electra", "camembert", "deberta", "mpnet")


def fuse_transformer_ops(path: Path, config: Any) -> bool:
    """Rewrite ``path`` in place with ONNX Runtime's transformer optimizer: one fused ``Attention`` node per
    layer (instead of a dozen MatMul/Softmax/Reshape nodes), ``SkipLayerNormalization``, ``BiasGelu``,
    ``EmbedLayerNormalization``. On MiniLM that makes 512-piece windows about 1.35x faster than the plain
    graph, with outputs equal to 5e-8. Needs the ``onnx`` package; a model type it does not know, or a
    graph it cannot fuse, keeps the plain graph (returns False)."""
    if getattr(config, "model_type", None) not in BERT_LIKE:
        return False
    try:
        from onnxruntime.transformers import optimizer
    except ImportError:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = optimizer.optimize_model(str(path), model_type="bert", num_heads=int(config.num_attention_heads),
                                           hidden_size=int(config.hidden_size))
        if not opt.get_fused_operator_statistics().get("Attention"):
            return False
        opt.save_model_to_file(str(path))
    except Exception:  # noqa: BLE001 -- an optimizer failure leaves a correct, slower graph
        return False
    return True


def quantize(fp32: Path, path: Path) -> Path:
    """int8 dynamic quantization of the weights of ``fp32`` into ``path`` (activations stay float)."""
    q = _require("onnxruntime.quantization")
    tmp = path.with_suffix(".tmp")
    onnx = _require("onnx")
    # the fused graph's contrib ops (Attention, SkipLayerNormalization) defeat shape inference: name the type
    q.quantize_dynamic(str(fp32), str(tmp), weight_type=q.QuantType.QInt8,
                       extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    tmp.replace(path)
    return path


class OnnxForward:
    """An ONNX Runtime session over a classifier's network: ``self(batch) -> logits`` for the collated
    batches of :meth:`HFClassifier.collate <rationalize.models.hf_classifier.HFClassifier.collate>`."""

    def __init__(self, path: Path, input_names: Sequence[str], threads: int | None = None, quantized: bool = False):
        ort = _require("onnxruntime")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or torch.get_num_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = path
        self.input_names = list(input_names)
        self.quantized = quantized
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __getstate__(self) -> dict[str, Any]:  # a session does not pickle: Ray workers open their own
        return {"path": self.path, "input_names": self.input_names, "quantized": self.quantized,
                "threads": self.session.get_session_options().intra_op_num_threads}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["input_names"], state["threads"], state["quantized"])  # type: ignore[misc]

    @property
    def name(self) -> str:
        """``onnx`` or ``onnx-int8``."""
        return "onnx-int8" if self.quantized else "onnx"

    def __call__(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        feeds = {n: batch[n].detach().cpu().numpy().astype(np.int64, copy=False) for n in self.input_names}
        return torch.from_numpy(self.session.run(["logits"], feeds)[0])


def use_onnx(model: Any, *, quantize_weights: bool = False, threads: int | None = None,
             directory: str | Path | None = None) -> Any:
    """Make ``model`` (an :class:`~rationalize.models.hf_classifier.HFClassifier`) run its gradient-free
    forward passes with ONNX Runtime; exports on first use and reuses the cached file afterwards (see the
    module docstring). Returns ``model``; :func:`use_torch` undoes it."""
    if not hasattr(model, "hf"):
        raise ValueError(f"the ONNX backend runs Hugging Face classifiers; a {type(model).__name__} runs on torch")
    _require("onnxruntime")
    if quantize_weights:
        _require("onnx")
    names = ["input_ids", "attention_mask", *(["token_type_ids"] if model.uses_segments else [])]
    folder = Path(directory) if directory is not None else cache_dir(model)
    key = fingerprint(model.hf, OPSET, EXPORT_VERSION, names, torch.__version__)
    fp32 = folder / f"model-{key}.onnx"
    if not fp32.exists():
        export(model, fp32, names)
    path = fp32
    if quantize_weights:
        path = folder / f"model-{key}-int8.onnx"
        if not path.exists():
            quantize(fp32, path)
    model.backend = OnnxForward(path, names, threads=threads, quantized=quantize_weights)
    return model


def use_torch(model: Any) -> Any:
    """Back to PyTorch for every forward pass."""
    model.backend = None
    return model


def set_backend(model: Any, backend: str, threads: int | None = None) -> Any:
    """``torch``, ``onnx`` or ``onnx-int8`` for ``model`` (the ``--backend`` option); ``torch`` leaves any
    model as it is, the ONNX ones need a Hugging Face classifier."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "torch":
        return use_torch(model) if hasattr(model, "backend") else model
    return use_onnx(model, quantize_weights=backend == "onnx-int8", threads=threads)


def agreement(model: Any, inputs: Sequence[Any], batch_size: int | None = None) -> dict[str, float]:
    """How the model's current backend compares with its PyTorch network on ``inputs``: the share of equal
    predictions and the largest absolute probability difference (what to report for ``onnx-int8``)."""
    backend = getattr(model, "backend", None)
    fast = model.predict_proba(inputs, batch_size)
    model.backend = None
    try:
        ref = model.predict_proba(inputs, batch_size)
    finally:
        model.backend = backend
    return {"prediction_agreement": float(np.mean(fast.argmax(1) == ref.argmax(1))),
            "max_abs_probability_difference": float(np.abs(fast - ref).max()) if len(ref) else 0.0,
            "examples": float(len(ref))}


__all__ = [
    "BACKENDS",
    "BERT_LIKE",
    "OnnxForward",
    "OnnxUnavailableError",
    "agreement",
    "cache_dir",
    "export",
    "fingerprint",
    "fuse_transformer_ops",
    "quantize",
    "set_backend",
    "use_onnx",
    "use_torch",
]
