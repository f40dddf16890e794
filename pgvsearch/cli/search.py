"""search, keyword, hybrid: one query (or a file of them) -> ranked hits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import UsageError
from .context import QUERY_PRECISION, err, load_embedder, open_collection, reading_connection, settings_for
from .options import (
    CANDIDATES, LIMIT, Candidates, CollectionName, Debug, Device, Dsn, Format, Limit, MaxLag, Meta, Model, Prefix, Queries, Query,
    ReadDsn, ShowSql, search_options,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import psycopg

    from ..search import Hit, SearchOptions
    from ..store import Collection


def search(
    query: Query = None,
    k: Limit = LIMIT,
    candidates: Candidates = CANDIDATES,
    prefix: Prefix = None,
    meta: Meta = None,
    queries: Queries = None,
    fmt: Format = None,
    show_sql: ShowSql = False,
    model: Model = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    read_dsn: ReadDsn = None,
    max_lag: MaxLag = None,
    device: Device = None,
    debug: Debug = False,
) -> None:
    """Semantic search: nearest chunks by cosine distance (HNSW index).

    Example: pgvsearch search "how do I get my money back" -k 5
    """
    run_search("semantic", query, queries, search_options(k, candidates, prefix, meta), fmt, show_sql, model, dsn, collection,
               read_dsn, max_lag, device)


def keyword(
    query: Query = None,
    k: Limit = LIMIT,
    candidates: Candidates = CANDIDATES,
    prefix: Prefix = None,
    meta: Meta = None,
    queries: Queries = None,
    fmt: Format = None,
    show_sql: ShowSql = False,
    k1: Annotated[float, typer.Option("--bm25-k1", help="BM25 term-frequency saturation.")] = 1.2,
    b: Annotated[float, typer.Option("--bm25-b", help="BM25 length normalisation.")] = 0.75,
    dsn: Dsn = None,
    collection: CollectionName = None,
    read_dsn: ReadDsn = None,
    max_lag: MaxLag = None,
    debug: Debug = False,
) -> None:
    """Keyword search: BM25 over the documents' words (no model needed).

    Example: pgvsearch keyword "invoice VAT number"
    """
    options = search_options(k, candidates, prefix, meta, bm25_k1=k1, bm25_b=b)
    run_search("keyword", query, queries, options, fmt, show_sql, None, dsn, collection, read_dsn, max_lag)


def hybrid(
    query: Query = None,
    k: Limit = LIMIT,
    candidates: Candidates = CANDIDATES,
    rrf_k: Annotated[float, typer.Option("--rrf-k", help="RRF constant: score = sum of weight / (rrf_k + rank).")] = 60.0,
    fusion: Annotated[str, typer.Option("--fusion", help="rrf (Reciprocal Rank Fusion) or dbsf (each branch's scores scaled by their mean ± 3 std. dev., then summed).")] = "rrf",
    semantic_weight: Annotated[float, typer.Option("--semantic-weight", help="Weight of the semantic ranking in the fusion.")] = 1.0,
    keyword_weight: Annotated[float, typer.Option("--keyword-weight", help="Weight of the keyword ranking in the fusion.")] = 1.0,
    prefix: Prefix = None,
    meta: Meta = None,
    queries: Queries = None,
    fmt: Format = None,
    show_sql: ShowSql = False,
    model: Model = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    read_dsn: ReadDsn = None,
    max_lag: MaxLag = None,
    device: Device = None,
    debug: Debug = False,
) -> None:
    """Hybrid search: Reciprocal Rank Fusion of semantic and BM25 keyword rankings.

    Example: pgvsearch hybrid "billing issue" --rrf-k 60 -k 5
    """
    options = search_options(k, candidates, prefix, meta, rrf_k=rrf_k, fusion=fusion, semantic_weight=semantic_weight, keyword_weight=keyword_weight)
    run_search("hybrid", query, queries, options, fmt, show_sql, model, dsn, collection, read_dsn, max_lag, device)


def run_search(
    mode: str, query: str | None, queries: str | None, options: "SearchOptions", fmt: str | None,
    show_sql: bool, model: str | None, dsn: str | None, collection: str | None,
    read_dsn: list[str] | None = None, max_lag: float | None = None, device: str | None = None,
) -> None:
    """Run one query (or each of a file's) in ``mode`` and print the hits, or show the SQL instead."""
    from ..render import pick_format, print_hits
    from ..search import Searcher, read_queries

    if (query is None) == (queries is None):
        raise UsageError("give a QUERY or --queries FILE (not both)")
    settings = settings_for(dsn, collection, read_dsn, max_lag, device)
    with reading_connection(settings) as conn:
        coll = open_collection(conn, settings, model)
        searcher = Searcher(conn, coll, lambda: load_embedder(coll.model, settings, precision=QUERY_PRECISION, quick_start=True))
        if show_sql:
            err(searcher.show_sql(mode, options.validate()))
            return
        if queries is not None:
            batch = read_queries(queries)
            hits = searcher.search_many(batch, mode, options)
            for q in batch:
                note_no_terms(conn, coll, mode, q.text, f"query {q.query_id!r}", [h for h in hits if h.query_id == q.query_id])
        else:
            if not query or not query.strip():
                raise UsageError("the query is empty")
            hits = searcher.run(query, mode, options)
            note_no_terms(conn, coll, mode, query, hits=hits)
    try:
        print_hits(hits, pick_format(fmt), mode=mode, fusion=options.fusion)
    except BrokenPipeError:
        pass  # the reader has gone (`| head`): stop quietly, exit 0; FAST_EXIT skips the final flush


def note_no_terms(
    conn: "psycopg.Connection[Any]", coll: "Collection", mode: str, query: str, what: str = "the query",
    hits: "Sequence[Hit] | None" = None,
) -> None:
    """Say on stderr when a keyword or hybrid query has no searchable words (stop words only):
    keyword search then finds nothing, hybrid ranks by meaning only. Results are unaffected.
    Given the query's ``hits``, the words are looked up only when the keyword ranking found
    nothing (no extra round trip for the usual query)."""
    from ..search import no_terms_note, query_terms

    note = no_terms_note(mode, coll.text_config, what)
    if hits is not None and any(h.keyword_rank is not None for h in hits):
        return
    if note and not query_terms(conn, coll, query):
        err(note)
