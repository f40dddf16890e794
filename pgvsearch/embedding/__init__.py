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
    ray_pool       RayEmbedder: the same batches embedded by Ray actors (ingest --ray)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .choices import BACKENDS, DEFAULT_MODEL, PRECISIONS, check_precision_name
    from .loader import export_onnx, load_embedder
    from .models import resolve_model_source
    from .onnx_runtime import OnnxEmbedder
    from .protocol import Embedder, HasTokenizer, check_vectors
    from .ray_pool import RayEmbedder, import_ray, ray_embedder
    from .torch_backend import TorchEmbedder

__all__, __getattr__ = lazy_exports(__name__, {
    "choices": ("BACKENDS", "DEFAULT_MODEL", "PRECISIONS", "check_precision_name"),
    "protocol": ("check_vectors", "Embedder", "HasTokenizer"),
    "onnx_runtime": ("OnnxEmbedder",),
    "torch_backend": ("TorchEmbedder",),
    "loader": ("export_onnx", "load_embedder"),
    "models": ("resolve_model_source",),
    "ray_pool": ("RayEmbedder", "import_ray", "ray_embedder"),
})
