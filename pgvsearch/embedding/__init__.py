"""Embedding: chunks -> vectors with a lazily loaded model (ONNX runtime, or sentence-transformers).

Names resolve on first use so that importing the room loads neither numpy nor a model runtime.

The room, in the order a model travels through it::

    choices        model/backend/precision names and their check (light)
    protocol       the Embedder protocol (+ the optional HasTokenizer fast path), check_vectors
    models         model name -> what to load, cache identity, source fingerprint
    cache          the cache folder: manifest, validity, lock, atomic publish
    model_spec     can a sentence-transformers model be exported, and with what
    onnx_export    torch -> ONNX (trace, check against torch)
    export         the fp32 export step: verify, fuse, externalize weights
    quantize, int8 the int8 recipe, and the int8 step
    pooling, tokens, onnx_runtime   OnnxEmbedder (the fast path)
    torch_backend  TorchEmbedder (the fallback)
    loader         load_embedder, export_onnx
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .choices import BACKENDS, DEFAULT_MODEL, PRECISIONS, check_precision_name
    from .loader import export_onnx, load_embedder
    from .models import resolve_model_source
    from .onnx_runtime import OnnxEmbedder
    from .protocol import Embedder, HasTokenizer, check_vectors
    from .torch_backend import TorchEmbedder

_EXPORTS = {
    "BACKENDS": "choices",
    "DEFAULT_MODEL": "choices",
    "PRECISIONS": "choices",
    "check_precision_name": "choices",
    "check_vectors": "protocol",
    "Embedder": "protocol",
    "HasTokenizer": "protocol",
    "OnnxEmbedder": "onnx_runtime",
    "TorchEmbedder": "torch_backend",
    "export_onnx": "loader",
    "load_embedder": "loader",
    "resolve_model_source": "models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pgvsearch.embedding' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
