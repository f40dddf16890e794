"""pgvsearch: semantic, keyword and hybrid document search on PostgreSQL + pgvector.

The library is importable without loading any model or heavy dependency; the names below
are resolved on first use::

    from pgvsearch import resolve_settings, connect, require_collection, load_embedder, hybrid_search
"""

from __future__ import annotations

from .lazy import lazy_exports

__version__ = "0.1.0"

__all__, __getattr__ = lazy_exports(__name__, {
    "config": ("Settings", "resolve_settings"),
    "store": ("connect", "Collection", "require_collection", "init_collection", "drop_collection"),
    "embedding": ("load_embedder",),
    "chunking": ("Chunker", "Chunk"),
    "ingest": ("ingest_paths", "IngestReport"),
    "search": ("Searcher", "SearchOptions", "Hit", "semantic_search", "keyword_search", "hybrid_search"),
    "ask": ("ask_question", "Answer", "LLMConfig"),
    "errors": ("PgvsearchError", "ExitCode"),
})
