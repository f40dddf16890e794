"""pgvsearch: semantic, keyword and hybrid document search on PostgreSQL + pgvector.

The library is importable without loading any model or heavy dependency; the names below
are resolved on first use::

    from pgvsearch import resolve_settings, connect, require_collection, load_embedder, hybrid_search
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Settings": "config",
    "resolve_settings": "config",
    "connect": "store",
    "Collection": "store",
    "require_collection": "store",
    "init_collection": "store",
    "drop_collection": "store",
    "load_embedder": "embedding",
    "Chunker": "chunking",
    "Chunk": "chunking",
    "ingest_paths": "ingest",
    "IngestReport": "ingest",
    "Searcher": "search",
    "SearchOptions": "search",
    "Hit": "search",
    "semantic_search": "search",
    "keyword_search": "search",
    "hybrid_search": "search",
    "ask_question": "ask",
    "Answer": "ask",
    "LLMConfig": "ask",
    "PgvsearchError": "errors",
    "ExitCode": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pgvsearch' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
