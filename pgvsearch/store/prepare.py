"""``pgvsearch init`` as one library call: check, load the model at the wanted precision, init."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..config import Settings
from ..embedding import PRECISIONS
from ..errors import ConfigError, UsageError
from .collections import get_collection
from .schema import DEFAULT_PRECISION, InitResult, check_precision, init_collection

if TYPE_CHECKING:
    import psycopg

    from ..embedding import Embedder


def prepare_collection(
    conn: "psycopg.Connection[Any]",
    settings: Settings,
    name: str,
    *,
    model: str,
    precision: str | None = None,
    storage: str | None = None,
    text_config: str | None = None,
    chunk_tokens: int | None = None,
    chunk_overlap: int | None = None,
    notice: Callable[[str], None] | None = None,
) -> "tuple[InitResult, Embedder]":
    """Create collection ``name`` (idempotent) and load its model for its document precision.

    The precision is checked against an existing collection before the model is loaded (an ONNX
    export may be slow). Without ``precision`` a new collection gets DEFAULT_PRECISION documents,
    falling back to fp32 (said through ``notice``) when the model has no int8 ONNX export; an
    existing one keeps its own. The other settings are as for :func:`init_collection`.
    """
    from ..embedding import load_embedder

    if precision is not None and precision not in PRECISIONS:
        raise UsageError(f"--precision must be {' or '.join(PRECISIONS)}")
    existing = get_collection(conn, name)
    if existing is not None:
        check_precision(existing, precision)  # before a possibly slow model export
    wanted = precision or (existing.precision if existing else DEFAULT_PRECISION)
    try:
        embedder = load_embedder(model, cache_dir=settings.model_cache, precision=wanted, notice=notice)
    except ConfigError as exc:
        if precision is not None or existing is not None or wanted == "fp32":
            raise
        # A new collection without --precision: a model with no int8 ONNX export gets fp32 documents.
        if notice is not None:
            notice(f"{' '.join(str(exc).split())}; using fp32 embeddings")
        wanted = "fp32"
        embedder = load_embedder(model, cache_dir=settings.model_cache, precision=wanted, notice=notice)
    result = init_collection(
        conn, name, model=model, dimension=embedder.dimension, max_seq_length=embedder.max_seq_length,
        storage=storage, text_config=text_config, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap, precision=wanted,
    )
    return result, embedder
