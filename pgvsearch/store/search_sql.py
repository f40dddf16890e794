"""A search's statement, composed from the branch files in ``sql/`` (so each ranking is written
once): its branches, fused for hybrid, its filters, then ``sql/hits.sql``.

The collection's SQL functions (``search_functions``) are generated from these statements, and
``pgvsearch`` searches by calling those functions: one implementation for the CLI, the library
and applications in any language. ``--show-sql`` prints them as composed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .collections import Collection
from .sql import sql_statement

if TYPE_CHECKING:
    from psycopg import sql as psql

SEARCH_MODES = ("semantic", "keyword", "hybrid")


def search_statement(coll: Collection, mode: str, *, fusion: str = "rrf", filtered: bool = False, exact: bool = False,
                     admitted: bool = False) -> "psql.Composed":
    """The statement of a ``mode`` search with ``%(name)s`` parameters (see ``query_params`` in search).

    ``exact`` ranks the semantic branch without the HNSW index (``sql/semantic_exact.sql``);
    ``filtered`` applies ``sql/document_filter.sql`` (unfiltered searches read ``true`` instead,
    so that the planner sees no filter at all). A filtered semantic branch reads the admitted
    chunks through their documents when exact, and tests each chunk the HNSW index yields
    against its document otherwise (see :func:`document_filters`). With ``admitted`` (exact and
    filtered), the admitted documents' ids are the parameter ``%(admitted)s``, as the search
    functions have them from ``sql/filter_is_narrow.sql``, instead of looked up by each branch.
    """
    from psycopg import sql as psql

    if mode not in SEARCH_MODES:
        raise ValueError(f"unknown search mode {mode!r}")
    chunk_filter, _, _ = document_filters(coll, filtered, exact=exact, admitted=admitted)
    vector_type = psql.SQL(coll.vector_type)
    if exact:
        semantic = sql_statement("semantic_exact", schema=coll.schema, vector_type=vector_type, chunk_filter=chunk_filter)
    else:
        semantic = sql_statement("semantic_ranking", nearest=nearest_chunks(coll, chunk_filter))

    keyword = keyword_ranking(coll, filtered, checked=mode != "semantic" and not exact, admitted=admitted)
    if mode == "semantic":
        ranked = sql_statement("semantic_only", semantic=semantic)
    elif mode == "keyword":
        ranked = sql_statement("keyword_only", keyword=keyword)
    else:
        ranked = sql_statement(f"fuse_{fusion}", semantic=semantic, keyword=keyword)
    return sql_statement("hits", ranked=ranked, schema=coll.schema)


TERM_SLOTS = 12
"""Query terms ranked through one merged branch each (``sql/term_postings.sql``); the terms after
them share one sorted branch (``sql/more_term_postings.sql``). Each branch costs the planner
~0.07 ms per search, so the count covers questions of a dozen words, not pasted paragraphs."""


def keyword_ranking(coll: Collection, filtered: bool, *, checked: bool, admitted: bool = False) -> "psql.Composed":
    """The keyword branch (``sql/keyword_ranking.sql``). Filtered, it reads the postings of the
    documents the filter admits (``admitted``: given as ``%(admitted)s``), or with ``checked`` (a
    keyword or hybrid search whose filter admits many documents) scores every match and tests
    the best in order (``sql/keyword_top_checked.sql``). Its floor (``sql/keyword_floor.sql``,
    or ``sql/keyword_floor_checked.sql`` when checked) keeps low scorers out of the top-N heap."""
    from psycopg import sql as psql

    # A branch past the query's terms is held back by a one-time test only where its postings
    # are tested against a filter's documents (sql/term_postings.sql).
    unfiltered_postings = checked or not filtered

    def term(slot: "psql.Composable") -> "psql.Composed":
        gate = psql.SQL("true") if unfiltered_postings else psql.SQL(
            "EXISTS (SELECT 1 FROM weights AS w WHERE w.slot = {})").format(slot)
        return sql_statement("term_postings", schema=coll.schema, slot=slot, posting_filter=posting_filter,
                             branch_gate=gate)

    if filtered and checked:
        top = sql_statement("keyword_top_checked", schema=coll.schema, document_check=_document_test(coll, "m"))
        posting_filter: "psql.Composable" = psql.SQL("true")
        score_floor: "psql.Composable" = psql.SQL("true")
        # The rarest term with at least `depth` postings (sql/keyword_floor_checked.sql).
        common = psql.SQL("(SELECT min(w.slot) FROM weights AS w WHERE w.df >= (SELECT d.matches FROM depth AS d))")
        floor = sql_statement("keyword_floor_checked", schema=coll.schema, common=term(common))
    else:
        top = sql_statement("keyword_top")
        posting_filter = document_filters(coll, filtered, admitted=admitted)[1]
        score_floor = psql.SQL("sum(m.part) >= (SELECT f.score FROM floor AS f)")
        floor = sql_statement("keyword_floor", rarest=term(psql.Literal(1)))

    branches = [term(psql.Literal(slot)) for slot in range(1, TERM_SLOTS + 1)]
    branches.append(sql_statement("more_term_postings", schema=coll.schema, slots=psql.Literal(TERM_SLOTS),
                                  posting_filter=posting_filter))
    return sql_statement("keyword_ranking", schema=coll.schema, term_postings=psql.SQL("\nUNION ALL\n").join(branches),
                         floor=floor, score_floor=score_floor, top=top)


def _one_document() -> "psql.Composed":
    """sql/document_filter.sql as one test of the document aliased ``d``."""
    from psycopg import sql as psql

    return psql.SQL("(\n{}\n)").format(sql_statement("document_filter", prefix_filter=sql_statement("prefix_filter")))


def _document_test(coll: Collection, alias: str) -> "psql.Composed":
    """The filter tested on one row's document, found by primary key from ``<alias>.document_id``:
    a scalar subquery, so that the planner keeps it where the row is read."""
    from psycopg import sql as psql

    return psql.SQL("(SELECT {} FROM {}.documents AS d WHERE d.id = {}.document_id)").format(
        _one_document(), psql.Identifier(coll.schema), psql.Identifier(alias))


def nearest_chunks(coll: Collection, chunk_filter: "psql.Composable") -> "psql.Composed":
    """The nearest chunks through the HNSW index: by cosine (``sql/nearest_chunks.sql``), or for
    binary storage by Hamming distance re-ranked by cosine (``sql/nearest_chunks_binary.sql``)."""
    from psycopg import sql as psql

    vector_type = psql.SQL(coll.vector_type)
    if coll.storage != "binary":
        return sql_statement("nearest_chunks", schema=coll.schema, vector_type=vector_type, chunk_filter=chunk_filter)
    return sql_statement(
        "nearest_chunks_binary", schema=coll.schema, vector_type=vector_type, chunk_filter=chunk_filter,
        dimension=psql.Literal(coll.dimension), rerank=psql.Literal(coll.rerank),
    )


def document_filters(coll: Collection, filtered: bool, *, exact: bool = True,
                     admitted: bool = False) -> tuple["psql.Composable", "psql.Composable", "psql.Composable"]:
    """The chunk, posting and document filters of a search (``true`` when nothing is filtered).

    The chunk filter takes one of two forms, one per way of reading chunks. ``exact``: the
    admitted documents' ids, found through the filter's indexes, then their chunks through
    ``chunks (document_id)`` -- what an exact scan of a few thousand admitted chunks wants.
    Otherwise a test of each chunk's document, written as a scalar subquery so that the
    planner cannot turn it into a join and must read the chunks in HNSW order, testing each
    as pgvector's iterative scan yields it: what a filter admitting many chunks wants (the
    search functions choose, sql/filter_is_narrow.sql). With ``admitted``, the exact chunk filter
    and the posting filter read the admitted ids from ``%(admitted)s`` (a bigint array), behind a
    subquery: the planner plans for an array of unknown contents instead of estimating each of
    up to 20,000 ids."""
    from psycopg import sql as psql

    if not filtered:
        return psql.SQL("true"), psql.SQL("true"), psql.SQL("true")
    schema = psql.Identifier(coll.schema)
    one_document = _one_document()
    doc_filter = psql.SQL("(\n{}AND {})").format(sql_statement("metadata_pairs_filter", schema=coll.schema), one_document)
    if admitted:
        ids = psql.SQL("SELECT unnest(%(admitted)s::bigint[])")
        # Read once, as an init plan: the keyword branch names it once per query term.
        posting_filter = psql.SQL("p.document_id = ANY((SELECT %(admitted)s::bigint[])::bigint[])")
    else:
        ids = psql.SQL("SELECT d.id FROM {}.documents AS d WHERE {}").format(schema, doc_filter)
        posting_filter = psql.SQL("p.document_id IN ({})").format(ids)
    chunk_filter = psql.SQL("c.document_id = ANY(ARRAY({}))").format(ids) if exact else _document_test(coll, "c")
    return chunk_filter, posting_filter, doc_filter


def narrow_filter_statement(coll: Collection) -> "psql.Composed":
    """Whether a filter admits few enough chunks to rank them all exactly (``sql/filter_is_narrow.sql``)."""
    return sql_statement("filter_is_narrow", schema=coll.schema, doc_filter=document_filters(coll, True)[2],
                         one_pair=sql_statement("metadata_one_pair", schema=coll.schema))


def filter_estimate_statement(coll: Collection) -> "psql.Composed":
    """The statement whose estimated rows tell whether a filter is clearly wide
    (``sql/filter_estimate.sql``, EXPLAINed by ``sql/create_filter_is_wide_function.sql``)."""
    return sql_statement(
        "filter_estimate", schema=coll.schema, prefix_filter=sql_statement("prefix_filter"),
        metadata_pairs_filter=sql_statement("metadata_pairs_filter", schema=coll.schema),
    )


def count_statement(coll: Collection, filtered: bool) -> "psql.Composed":
    """Documents a search may return (``sql/count_documents.sql``): whether a semantic search
    that found fewer than k documents can find more."""
    return sql_statement("count_documents", schema=coll.schema, doc_filter=document_filters(coll, filtered)[2])
