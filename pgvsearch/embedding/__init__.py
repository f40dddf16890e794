"""Embedding: chunks -> vectors with a lazily loaded model (ONNX runtime, or sentence-transformers).

Names resolve on first use so that importing the room loads neither numpy nor a model runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .choices import BACKENDS, DEFAULT_MODEL, PRECISIONS
    from .core import Embedder, check_vectors, export_onnx, load_embedder, resolve_model_source

_EXPORTS = {
    "BACKENDS": "choices",
    "DEFAULT_MODEL": "choices",
    "PRECISIONS": "choices",
    "check_vectors": "core",
    "Embedder": "core",
    "OnnxEmbedder": "core",
    "TorchEmbedder": "core",
    "export_onnx": "core",
    "load_embedder": "core",
    "resolve_model_source": "core",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pgvsearch.embedding' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
