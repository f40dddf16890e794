"""Composing a search's SQL from the branch files in ``sql/`` (so each ranking is written once),
its filters and parameters, and how many nearest chunks the semantic branch draws."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..store import Collection, sql_statement, sql_text
from .options import MODES, SearchOptions

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as psql

MAX_POOL_FACTOR = 10
"""The semantic branch draws at most this many nearest chunks per document it wants (see chunk_pool)."""


def vector_literal(vec: Any) -> str:
    return "[" + ",".join(repr(float(x)) for x in vec) + "]"


def compose(coll: Collection, mode: str, options: SearchOptions, *, exact: bool = False) -> "psql.Composed":
    """The statement of a ``mode`` search: its branches, fused for hybrid, then ``sql/hits.sql``.

    ``exact`` ranks the semantic branch without the HNSW index (``sql/semantic_exact.sql``).
    """
    from psycopg import sql as psql

    if mode not in MODES:
        raise UsageError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
    chunk_filter, posting_filter, _ = filters(coll, options)
    semantic = sql_statement(
        "semantic_exact" if exact else "semantic_ranking",
        schema=coll.schema, vector_type=psql.SQL(coll.storage), chunk_filter=chunk_filter,
    )
    keyword = sql_statement("keyword_ranking", schema=coll.schema, posting_filter=posting_filter)
    if mode == "semantic":
        ranked = sql_statement("semantic_only", semantic=semantic)
    elif mode == "keyword":
        ranked = sql_statement("keyword_only", keyword=keyword)
    else:
        ranked = sql_statement(f"fuse_{options.fusion}", semantic=semantic, keyword=keyword)
    return sql_statement("hits", ranked=ranked, schema=coll.schema)


def filters(coll: Collection, options: SearchOptions) -> tuple["psql.Composable", "psql.Composable", "psql.Composable"]:
    """The chunk, posting and document filters for ``options`` (``true`` when nothing is filtered)."""
    from psycopg import sql as psql

    if not options.filtered:
        return psql.SQL("true"), psql.SQL("true"), psql.SQL("true")
    schema = psql.Identifier(coll.schema)
    doc_filter = psql.SQL("(\n" + sql_text("document_filter") + "\n)")
    return (
        psql.SQL("c.document_id = ANY(ARRAY(SELECT d.id FROM {}.documents AS d WHERE {}))").format(schema, doc_filter),
        psql.SQL("p.document_id IN (SELECT d.id FROM {}.documents AS d WHERE {})").format(schema, doc_filter),
        doc_filter,
    )


def filter_params(options: SearchOptions) -> dict[str, Any]:
    """The bind parameters of ``sql/document_filter.sql``."""
    return {"prefix": options.prefix, "meta": json.dumps(dict(options.metadata))}


def count_documents(conn: "psycopg.Connection[Any]", coll: Collection, options: SearchOptions) -> int:
    """Documents that a search with ``options`` may return (counted now: ingests may run meanwhile)."""
    statement = sql_statement("count_documents", schema=coll.schema, doc_filter=filters(coll, options)[2])
    row = conn.execute(statement, filter_params(options)).fetchone()
    return int(row[0]) if row else 0


def query_params(coll: Collection, query: str, embedding: str | None, options: SearchOptions, chunk_candidates: int) -> dict[str, Any]:
    """The bind parameters of a composed search."""
    return {
        "query": query,
        "embedding": embedding,
        "text_config": coll.text_config,
        "word_separators": coll.word_separators,
        "separator_spaces": coll.separator_spaces,
        "k": options.k,
        "candidates": max(options.candidates, options.k),
        "chunk_candidates": chunk_candidates,
        "rrf_k": float(options.rrf_k),
        "semantic_weight": float(options.semantic_weight),
        "keyword_weight": float(options.keyword_weight),
        "k1": float(options.bm25_k1),
        "b": float(options.bm25_b),
        **filter_params(options),
    }


def chunks_per_document(conn: "psycopg.Connection[Any]", coll: Collection) -> float:
    """The collection's average chunks per document (at least 1), from the stats row and the
    planner's estimate, or an exact count when the chunks were never analyzed."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(sql_statement("chunk_counts", schema=coll.schema), {"schema_name": coll.schema}).fetchone()
    docs, chunks = (row["documents"] or 0, row["chunks_estimate"]) if row else (0, None)
    if chunks is None:
        count = conn.execute(sql_statement("count_chunks", schema=coll.schema)).fetchone()
        chunks = count[0] if count else 0
    return max(1.0, float(chunks) / docs) if docs else 1.0


def chunk_pool(documents: int, per_document: float) -> int:
    """How many nearest chunks the semantic branch reads to rank ``documents`` documents.

    Several chunks may belong to one document, so it draws twice the collection's average
    chunks per document for each document wanted (at least 2, at most MAX_POOL_FACTOR).
    A pool that still yields too few documents is searched exactly by Searcher for semantic search.
    """
    factor = min(MAX_POOL_FACTOR, max(2, math.ceil(2 * per_document)))
    return documents * factor
