"""What every command starts from: settings, a connection, the collection, its embedder; stderr notes."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import psycopg

    from ..config import Settings
    from ..embedding import Embedder
    from ..store import Collection

# Queries are always embedded at full precision, whatever the documents were embedded with: one
# short text costs nothing extra, it matches sentence-transformers exactly, and on Cranfield int8
# documents searched with fp32 queries scored at least as well as fp32 documents (README).
QUERY_PRECISION = "fp32"


def err(message: str) -> None:
    """One message on stderr (notes, summaries, errors): stdout is for results."""
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()


def settings_for(
    dsn: str | None, collection: str | None, read_dsn: list[str] | None = None, max_lag: float | None = None,
    device: str | None = None,
) -> "Settings":
    from ..config import resolve_settings

    return resolve_settings(dsn=dsn, collection=collection, read_dsn=read_dsn, max_lag=max_lag, device=device)


@contextmanager
def connection(settings: "Settings") -> Iterator["psycopg.Connection[Any]"]:
    from ..store import connect

    conn = connect(settings)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def reading_connection(settings: "Settings") -> Iterator["psycopg.Connection[Any]"]:
    """A connection for a query: a read replica when one is configured and fit, else the
    primary; where it reads instead, and why, is one note on stderr."""
    from ..store import connect_for_reading

    conn = connect_for_reading(settings, notice=err)
    try:
        yield conn
    finally:
        conn.close()


def load_embedder(model: str, settings: "Settings", quiet: bool = False, precision: str = "fp32", quick_start: bool = False) -> "Embedder":
    """The model from the settings' cache, on the settings' device; its notes (e.g. a first export)
    go to stderr unless ``quiet``."""
    from ..embedding import load_embedder as load

    return load(
        model, cache_dir=settings.model_cache, precision=precision, quick_start=quick_start, device=settings.device,
        notice=None if quiet else (lambda m: err(f"note: {m}")),
    )


def open_collection(conn: "psycopg.Connection[Any]", settings: "Settings", model: str | None) -> "Collection":
    """The settings' collection; a ``--model`` that is not the collection's is refused."""
    from ..store import require_collection

    return require_collection(conn, settings.collection, model=model)
