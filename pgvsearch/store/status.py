"""What a collection holds and where: the figures of ``pgvsearch status``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import Settings
from .collections import Collection, list_collections
from .connection import connection_target, describe_target
from .sizing import collection_sizes
from .sql import sql_statement

if TYPE_CHECKING:
    import psycopg


def collection_status(conn: "psycopg.Connection[Any]", coll: Collection) -> dict[str, Any]:
    """Counts, sizes and the last update of a collection, by the column names of ``sql/collection_status.sql``."""
    from psycopg import sql as psql
    from psycopg.rows import dict_row

    def qualified(rel: str) -> str:
        return psql.Identifier(coll.schema, rel).as_string(conn)

    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            sql_statement("collection_status", schema=coll.schema),
            {
                "documents": qualified("documents"),
                "chunks": qualified("chunks"),
                "postings": qualified("postings"),
                "hnsw_index": qualified("chunks_embedding_idx"),
                "gin_index": qualified("chunks_tsv_idx"),
            },
        ).fetchone()
    assert row is not None
    return row


def collection_report(conn: "psycopg.Connection[Any]", settings: Settings, coll: Collection) -> dict[str, Any]:
    """Everything ``pgvsearch status`` shows, in its order: the collection's settings, its
    counts and sizes (None: the HNSW index is missing), where it lives, the other collections."""
    stats = collection_status(conn, coll)
    others = [c.name for c in list_collections(conn)]
    return {
        "collection": coll.name, "model": coll.model, "dimension": coll.dimension, "storage": coll.storage,
        "text_config": coll.text_config, "word_separators": coll.word_separators, "precision": coll.precision,
        "chunk_tokens": coll.chunk_tokens, "chunk_overlap": coll.chunk_overlap,
        "documents": stats["documents"], "chunks": stats["chunks"], "postings": stats["postings"],
        "hnsw_index_bytes": stats["hnsw_index_bytes"], "gin_index_bytes": stats["gin_index_bytes"],
        "postings_bytes": stats["postings_bytes"], "chunks_bytes": stats["chunks_bytes"],
        "last_update": stats["last_update"], "database": describe_target(settings), "connection": settings.dsn_source,
        "data_dir": str(settings.pgdata) if settings.embedded else None, "model_cache": str(settings.model_cache),
        "collections": others, "version": __version__,
        # Where this was read, when read DSNs are configured: a replica (and its lag) or the primary.
        "read_from": connection_target(conn) if settings.read_dsns else None,
        # Sizing: bytes per table and index, and whether the HNSW index fits in shared_buffers.
        **collection_sizes(conn, coll, chunks=stats["chunks"], hnsw_bytes=stats["hnsw_index_bytes"], embedded=settings.embedded),
    }
