"""A search's SQL: the call of the collection's search function (``sql/call_<mode>_search.sql``)
and its arguments, and the statement that function runs, composed from the branch files in
``sql/`` by the store (so each ranking is written once, and the function and ``--show-sql``
show the same SQL)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..store import Collection, search_statement, sql_statement
from .options import MODES, SearchOptions

if TYPE_CHECKING:
    from psycopg import sql as psql

MAX_INT4 = 2**31 - 1
"""The search functions take k and candidates as integer: larger values mean "all" anyway."""


def vector_literal(vec: Any) -> str:
    return "[" + ",".join(repr(float(x)) for x in vec) + "]"


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise UsageError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def compose(coll: Collection, mode: str, options: SearchOptions, *, exact: bool = False) -> "psql.Composed":
    """The statement a ``mode`` search runs inside the collection's search function, with
    ``%(name)s`` parameters (:func:`query_params`): its branches, fused for hybrid, then
    ``sql/hits.sql``. ``exact`` ranks the semantic branch without the HNSW index."""
    return search_statement(coll, check_mode(mode), fusion=options.fusion, filtered=options.filtered, exact=exact)


def call(coll: Collection, mode: str) -> "psql.Composed":
    """The call of the collection's ``<mode>_search`` function (:func:`call_params`)."""
    from psycopg import sql as psql

    return sql_statement(f"call_{check_mode(mode)}_search", schema=coll.schema, vector_type=psql.SQL(coll.vector_type))


def filter_params(options: SearchOptions) -> dict[str, Any]:
    """The bind parameters of ``sql/document_filter.sql``."""
    return {"prefix": options.prefix, "meta": json.dumps(dict(options.metadata))}


def call_params(query: str, embedding: str | None, options: SearchOptions) -> dict[str, Any]:
    """The arguments of a search function's call (``sql/call_<mode>_search.sql``)."""
    return {
        "query": query,
        "embedding": embedding,
        "k": min(options.k, MAX_INT4),
        "candidates": min(options.candidates, MAX_INT4),
        "rrf_k": float(options.rrf_k),
        "fusion": options.fusion,
        "semantic_weight": float(options.semantic_weight),
        "keyword_weight": float(options.keyword_weight),
        "k1": float(options.bm25_k1),
        "b": float(options.bm25_b),
        **filter_params(options),
    }


def query_params(coll: Collection, query: str, embedding: str | None, options: SearchOptions, chunk_candidates: int) -> dict[str, Any]:
    """The bind parameters of a composed statement (:func:`compose`), as the search function binds them."""
    return {
        **call_params(query, embedding, options),
        "text_config": coll.text_config,
        "word_separators": coll.word_separators,
        "separator_spaces": coll.separator_spaces,
        "candidates": max(options.candidates, options.k),
        "chunk_candidates": chunk_candidates,
    }
