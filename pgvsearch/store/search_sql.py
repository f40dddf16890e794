"""A search's statement, composed from the branch files in ``sql/`` (so each ranking is written
once): its branches, fused for hybrid, its filters, then ``sql/hits.sql``.

The collection's SQL functions (``search_functions``) are generated from these statements, and
``pgvsearch`` searches by calling those functions: one implementation for the CLI, the library
and applications in any language. ``--show-sql`` prints them as composed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .collections import Collection
from .sql import sql_statement, sql_text

if TYPE_CHECKING:
    from psycopg import sql as psql

SEARCH_MODES = ("semantic", "keyword", "hybrid")


def search_statement(coll: Collection, mode: str, *, fusion: str = "rrf", filtered: bool = False, exact: bool = False) -> "psql.Composed":
    """The statement of a ``mode`` search with ``%(name)s`` parameters (see ``query_params`` in search).

    ``exact`` ranks the semantic branch without the HNSW index (``sql/semantic_exact.sql``);
    ``filtered`` applies ``sql/document_filter.sql`` (unfiltered searches read ``true`` instead,
    so that the planner sees no filter at all).
    """
    from psycopg import sql as psql

    if mode not in SEARCH_MODES:
        raise ValueError(f"unknown search mode {mode!r}")
    chunk_filter, posting_filter, _ = document_filters(coll, filtered)
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
        ranked = sql_statement(f"fuse_{fusion}", semantic=semantic, keyword=keyword)
    return sql_statement("hits", ranked=ranked, schema=coll.schema)


def document_filters(coll: Collection, filtered: bool) -> tuple["psql.Composable", "psql.Composable", "psql.Composable"]:
    """The chunk, posting and document filters of a search (``true`` when nothing is filtered)."""
    from psycopg import sql as psql

    if not filtered:
        return psql.SQL("true"), psql.SQL("true"), psql.SQL("true")
    schema = psql.Identifier(coll.schema)
    doc_filter = psql.SQL("(\n" + sql_text("document_filter") + "\n)")
    return (
        psql.SQL("c.document_id = ANY(ARRAY(SELECT d.id FROM {}.documents AS d WHERE {}))").format(schema, doc_filter),
        psql.SQL("p.document_id IN (SELECT d.id FROM {}.documents AS d WHERE {})").format(schema, doc_filter),
        doc_filter,
    )


def count_statement(coll: Collection, filtered: bool) -> "psql.Composed":
    """Documents a search may return (``sql/count_documents.sql``): whether a semantic search
    that found fewer than k documents can find more."""
    return sql_statement("count_documents", schema=coll.schema, doc_filter=document_filters(coll, filtered)[2])
