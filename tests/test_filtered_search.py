"""Filtered semantic and hybrid search on 5,000 chunks: both ways of reading a filter's chunks
(an exact scan of the chunks a narrow filter admits, the HNSW index tested chunk by chunk for a
wide one) give the exact filtered answer, k results whenever k exist, for --prefix and --meta
filters at 10 %, 1 % and 0.1 % (docs/performance.md; benchmarks/scale.py measures them at scale).
Each test runs on a `vector` collection and on a `binary` one (a bit HNSW index re-ranked by the
full vectors, docs/storage.md).

The documents are written by ``write_batch``, as an ingest writes them, with synthetic clustered
vectors (no model runs); sources are ``f/<a>/<b>/<c>/doc<i>`` with a, b, c in 0-9, and each
document's metadata has keys with 10, 100 and 1,000 values.
"""

from __future__ import annotations

import re

import json
from typing import Any, Iterator

import pytest

from conftest import unique_name

N = 5000
DIM = 384
FILTERS = {
    "prefix 10%": {"prefix": "f/3/"},
    "prefix 1%": {"prefix": "f/3/7/"},
    "prefix 0.1%": {"prefix": "f/3/7/2/"},
    "meta 10%": {"metadata": {"group": "g3"}},
    "meta 1%": {"metadata": {"tenant": "t42"}},
    "meta 0.1%": {"metadata": {"team": "m417"}},
}


@pytest.fixture(scope="module", params=["vector", "binary"])
def filtered_collection(settings: Any, request: Any) -> Iterator[Any]:
    import numpy as np
    from pgvector.psycopg import register_vector

    from pgvsearch.chunking import Chunk
    from pgvsearch.ingest import EmbeddedBatch, PreparedDocument, write_batch
    from pgvsearch.sources import SourceDocument
    from pgvsearch.store import connect, drop_collection, init_collection, sql_statement

    rng = np.random.default_rng(5)
    centroids = rng.normal(size=(50, DIM))
    name = unique_name("filt")
    with connect(settings) as conn:
        coll = init_collection(conn, name, model="synthetic", dimension=DIM, max_seq_length=256, storage=request.param).collection
        assert coll.storage == request.param
        register_vector(conn)
        vectors = centroids[rng.integers(50, size=N)] + rng.normal(scale=0.6, size=(N, DIM))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        words = ["apple", "river", "engine", "copper", "violet", "harbor", "signal", "meadow"]
        for start in range(0, N, 500):
            docs = []
            for i in range(start, start + 500):
                a, b, c = i % 10, (i // 10) % 10, (i // 100) % 10
                text = " ".join(words[(i * 7 + j * 3) % len(words)] for j in range(12))
                doc = SourceDocument(
                    f"doc{i:05d}", f"f/{a}/{b}/{c}/doc{i:05d}", "", text, "txt",
                    {"group": f"g{(i * 37) % 10}", "tenant": f"t{(i * 53) % 100}", "team": f"m{(i * 7919) % 1000}"},
                )
                docs.append(PreparedDocument(doc, [Chunk(position=0, content=text, context="")], f"h{i}", replaces=False))
            write_batch(conn, coll, EmbeddedBatch(docs, [vectors[i : i + 1].astype(np.float32) for i in range(start, start + 500)]))
        conn.execute(sql_statement("analyze_collection", schema=coll.schema))
        queries = [vectors[int(i)] + rng.normal(scale=0.02, size=DIM) for i in rng.integers(N, size=6)]
        yield coll, queries
        drop_collection(conn, name)


def _exact(conn: Any, coll: Any, embedding: str, options: Any, k: int) -> list[str]:
    """The exact filtered answer, by the filter's own semantics, without any index."""
    schema = coll.schema
    with conn.transaction():
        conn.execute("SET LOCAL enable_indexscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        rows = conn.execute(
            f'SELECT d.doc_id FROM "{schema}".chunks c JOIN "{schema}".documents d ON d.id = c.document_id '
            "WHERE (%(prefix)s::text IS NULL OR starts_with(d.doc_id, %(prefix)s) OR starts_with(d.source, %(prefix)s)) "
            "AND (SELECT bool_and(d.metadata ->> key = value) FROM jsonb_each_text(%(meta)s::jsonb)) IS NOT FALSE "
            "ORDER BY c.embedding <=> %(embedding)s::vector, c.id LIMIT %(k)s",
            {"prefix": options.prefix, "meta": json.dumps(options.metadata), "embedding": embedding, "k": k},
        ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("way", ["exact scan", "hnsw"])
@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_filtered_search_finds_the_exact_filtered_answer(settings: Any, filtered_collection: Any, mode: str, way: str) -> None:
    from pgvsearch.search import SearchOptions, Searcher, vector_literal
    from pgvsearch.store import connect

    coll, queries = filtered_collection
    with connect(settings) as conn:
        # The way a filter's chunks are read follows how many it admits: 20,000 or fewer are
        # all ranked; 0 sends every filtered search through the index.
        conn.execute("SET pgvsearch.exact_filter_chunks = %s" % (20000 if way == "exact scan" else 0))
        searcher = Searcher(conn, coll)
        for label, kw in FILTERS.items():
            options = SearchOptions(k=10, **kw)
            found_total, expected_total = 0, 0
            for q in queries:
                embedding = vector_literal(q)
                truth = _exact(conn, coll, embedding, options, 10)
                hits = searcher.run("apple river", mode, options, embedding=embedding)
                assert len(hits) == len(truth), (label, way)  # k whenever k exist (0.1 %: 5 documents)
                if mode == "semantic":
                    found_total += len({h.doc_id for h in hits} & set(truth))
                    expected_total += len(truth)
                for h in hits:
                    assert h.doc_id.startswith("doc")
                    if options.prefix:
                        assert h.source.startswith(options.prefix)
                    for key, value in options.metadata.items():
                        assert h.metadata[key] == value
            if mode == "semantic":
                assert found_total / expected_total >= 0.95, (label, way, found_total, expected_total)


def test_the_filter_indexes_are_used(settings: Any, filtered_collection: Any) -> None:
    """A narrow filter finds its documents through indexes, not a scan of every document: a
    --prefix alone and a --meta alone without nulls read their ids and chunk counts from
    indexes only (sql/create_filter_indexes.sql), any other filter reads the documents through
    the prefix and metadata-pairs indexes and tests them. Each admits exactly the documents the
    filter's own semantics admit."""
    from psycopg import sql

    from pgvsearch.store import connect, narrow_filter_statement

    coll, _ = filtered_collection
    with connect(settings) as conn:
        conn.execute("SET enable_seqscan = off")  # 5,000 rows: make the planner show what it can use
        pairs = "document_pairs_pkey"  # (an index-only scan once vacuumed)
        cases = (
            (("f/3/7/2/", "{}"), "Index Only Scan using documents_source_ids_idx"),
            (("doc0012", "{}"), "Index Only Scan using documents_doc_id_ids_idx"),
            (("", "{}"), " on documents d"),  # every document, by whatever scan the planner likes
            ((None, '{"team": "m417"}'), pairs),
            ((None, '{"group": "g9", "tenant": "t71"}'), "documents_metadata_pairs_idx"),  # two keys: the GIN index
            ((None, '{"group": "g3", "owner": null}'), "documents_metadata_pairs_idx"),
            (("f/1/", '{"tenant": "t73"}'), "Bitmap Heap Scan on documents"),
        )
        for (prefix, meta), index in cases:
            params = {"prefix": prefix, "meta": meta}
            plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN ") + narrow_filter_statement(coll), params))
            assert index in plan and (index == pairs) == (pairs in plan), plan
            narrow, admitted = conn.execute(narrow_filter_statement(coll), params).fetchone()
            expected = conn.execute(
                sql.SQL("SELECT d.id FROM {}.documents AS d "
                        "WHERE (%(prefix)s::text IS NULL OR starts_with(d.source, %(prefix)s) OR starts_with(d.doc_id, %(prefix)s)) "
                        "AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(%(meta)s::jsonb) AS f "
                        "WHERE (d.metadata ->> f.key) IS DISTINCT FROM f.value)").format(sql.Identifier(coll.schema)), params)
            assert narrow is True and admitted == sorted(r[0] for r in expected) != [], (prefix, meta)
        # "key<US>value" is ambiguous when a key or a value holds U+001F: such a filter is tested
        # on the documents, never matched by its pair ({"a": "b<US>c"} must not admit {"a<US>b": "c"}).
        s = sql.Identifier(coll.schema)
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("UPDATE {}.documents SET metadata = metadata || jsonb_build_object('a' || chr(31) || 'b', 'c') "
                                 "WHERE doc_id = 'doc00007'").format(s))
            for meta in ({"a": "b\x1fc"}, {"a\x1fb": "c"}):
                params = {"prefix": None, "meta": json.dumps(meta)}
                plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN ") + narrow_filter_statement(coll), params))
                assert pairs not in plan, plan
                admitted = conn.execute(narrow_filter_statement(coll), params).fetchone()[1]
                ids = conn.execute(sql.SQL("SELECT id FROM {}.documents WHERE doc_id = 'doc00007'").format(s)).fetchall()
                assert admitted == ([] if "a" in meta else [ids[0][0]]), meta
        conn.execute("SET pgvsearch.exact_filter_chunks = 100")
        assert conn.execute(narrow_filter_statement(coll), {"prefix": "f/3/", "meta": "{}"}).fetchone() == (False, None)
        assert conn.execute(narrow_filter_statement(coll), {"prefix": None, "meta": '{"group": "g3"}'}).fetchone() == (False, None)


def test_a_filter_the_planner_sees_as_far_wider_than_the_cap_is_not_counted(settings: Any, filtered_collection: Any) -> None:
    """filter_is_wide: the planner's estimate of the admitted chunks against the line
    (pgvsearch.wide_filter_chunks here; by default 4x the cap and a twentieth of the collection,
    which 5,000 chunks never reach). Clearly wide: the narrow check reads no document and the
    search takes the index, still finding the exact filtered answer; not clearly wide: counted."""
    from psycopg import sql

    from pgvsearch.search import SearchOptions, Searcher, vector_literal
    from pgvsearch.store import connect, narrow_filter_statement

    coll, queries = filtered_collection
    wide = sql.SQL("SELECT {}.filter_is_wide(%s, %s, 20000)").format(sql.Identifier(coll.schema))
    cases = {("f/3/", "{}"): True, (None, '{"group": "g3"}'): True, ("f/3/7/", "{}"): False, (None, '{"team": "m417"}'): False,
             ("f/3/", '{"tenant": "t42"}'): False, (None, '{"group": "g3", "owner": null}'): False}
    with connect(settings) as conn:
        for (prefix, meta) in cases:
            assert conn.execute(wide, (prefix, meta)).fetchone()[0] is False  # 5,000 chunks: below the default line
        # filter_share, which filter_is_wide and sql/keyword_top_checked.sql read: the estimated
        # share of documents admitted, near the real one (10 %, 1 %), and no estimate for a null.
        share = sql.SQL("SELECT {}.filter_share(%s, %s)").format(sql.Identifier(coll.schema))
        for (prefix, meta), real in {("f/3/", "{}"): 0.1, (None, '{"group": "g3"}'): 0.1, ("f/3/7/", "{}"): 0.01}.items():
            estimate = conn.execute(share, (prefix, meta)).fetchone()[0]
            assert real / 3 <= estimate <= real * 3, (prefix, meta, estimate)
        assert conn.execute(share, (None, '{"group": "g3", "owner": null}')).fetchone()[0] is None
        conn.execute("SET pgvsearch.wide_filter_chunks = 300")  # 500 documents admitted by 10 %, 50 by 1 %
        for (prefix, meta), expected in cases.items():
            assert conn.execute(wide, (prefix, meta)).fetchone()[0] is expected, (prefix, meta)
            params = {"prefix": prefix, "meta": meta}
            narrow, admitted = conn.execute(narrow_filter_statement(coll), params).fetchone()
            assert narrow is not expected and (admitted is None) is expected
            plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) ") + narrow_filter_statement(coll), params))
            # The documents read, or their pairs (not the lookups of a second pair, q, made per document).
            scan = [line for line in plan.splitlines() if re.search(r"Scan.* on (documents|document_pairs p)\b", line)]
            # Wide: none read. Not wide: read (a --meta of one key plans the documents' path too, not run).
            executed = [line for line in scan if "never executed" not in line]
            assert scan and (not executed if expected else executed), plan
        searcher = Searcher(conn, coll)
        for kw in ({"prefix": "f/3/"}, {"metadata": {"group": "g3"}}):
            options = SearchOptions(k=10, **kw)
            for q in queries:
                embedding = vector_literal(q)
                truth = _exact(conn, coll, embedding, options, 10)
                hits = searcher.run("apple river", "semantic", options, embedding=embedding)
                assert len(hits) == 10 and len({h.doc_id for h in hits} & set(truth)) >= 9, kw


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_unfiltered_search_finds_the_exact_answer_through_the_index(settings: Any, filtered_collection: Any, mode: str) -> None:
    """Unfiltered, through the HNSW index (for binary storage: its bits, then the full vectors):
    recall@10 against the exact answer, k results, and the index in the plan."""
    from psycopg import sql

    from pgvsearch.search import SearchOptions, Searcher, vector_literal
    from pgvsearch.store import connect

    coll, queries = filtered_collection
    with connect(settings) as conn:
        searcher = Searcher(conn, coll)
        found, wanted = 0, 0
        for q in queries:
            embedding = vector_literal(q)
            truth = _exact(conn, coll, embedding, SearchOptions(k=10), 10)
            hits = searcher.run("apple river", mode, SearchOptions(k=10), embedding=embedding)
            assert len(hits) == 10
            if mode == "semantic":
                found += len({h.doc_id for h in hits} & set(truth))
                wanted += len(truth)
        if mode == "semantic":
            assert found / wanted >= 0.95, (coll.storage, found, wanted)
        with conn.transaction():
            conn.execute("SET LOCAL enable_seqscan = off")  # 5,000 rows: show that the index can serve it
            options = SearchOptions(k=10)
            params = searcher._params("apple river", vector_literal(queries[0]), options, "semantic")
            plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN ") + searcher.compose("semantic", options), params))
        assert "chunks_embedding_idx" in plan, plan


def test_wide_filter_keyword_branch_tests_the_best_matches_only(settings: Any, filtered_collection: Any) -> None:
    """A hybrid search under a filter admitting many documents ranks its keyword branch by scoring
    every match and testing the best in order (sql/keyword_top_checked.sql) instead of reading the
    admitted documents first: the same documents, scores and ranks as the branch that does
    (documents whose scores differ by rounding only, summed in another order, may swap)."""
    from psycopg import sql

    from pgvsearch.search import SearchOptions
    from pgvsearch.search.compose import query_params
    from pgvsearch.store import connect
    from pgvsearch.store.search_sql import TERM_SLOTS, keyword_ranking, narrow_filter_statement

    coll, _ = filtered_collection
    checked = keyword_ranking(coll, True, checked=True)
    admitted_first = keyword_ranking(coll, True, checked=False)
    given_ids = keyword_ranking(coll, True, checked=False, admitted=True)  # ids from sql/filter_is_narrow.sql
    with connect(settings) as conn:
        for label, kw in FILTERS.items():
            for query in ("apple river", "violet signal copper", "meadow"):
                for candidates in (1, 10, 100):
                    options = SearchOptions(k=min(candidates, 10), candidates=candidates, **kw)
                    params = query_params(coll, query, None, options, 2 * candidates)
                    rows = conn.execute(checked, params).fetchall()
                    _assert_same_ranking(rows, conn.execute(admitted_first, params).fetchall(), (label, query, candidates))
                    ids = conn.execute(narrow_filter_statement(coll), params).fetchone()[1]  # 5,000 chunks: narrow
                    assert ids is not None and len(ids) == len(set(ids))
                    given = conn.execute(given_ids, {**params, "admitted": ids}).fetchall()
                    _assert_same_ranking(given, rows, (label, query, candidates, "ids given"))
                    # Every document has every word of the list: candidates rows, or all that pass (0.1 %: 5).
                    admitted = conn.execute(
                        sql.SQL("SELECT d.id FROM {}.documents AS d WHERE (%(prefix)s::text IS NULL OR starts_with(d.source, %(prefix)s)) "
                                "AND d.metadata @> %(meta)s::jsonb").format(sql.Identifier(coll.schema)), params).fetchall()
                    assert len(rows) == min(candidates, len(admitted)), (label, query, candidates)
                    assert {r[0] for r in rows} <= {a[0] for a in admitted}, (label, query)
                    assert [r[2] for r in rows] == list(range(1, len(rows) + 1))
        # Given the ids, a branch past the query's one term is never started: it would prepare
        # the ids for a scan of no term (sql/term_postings.sql's gate).
        params = query_params(coll, "meadow", None, SearchOptions(prefix="f/3/"), 200)
        params["admitted"] = conn.execute(narrow_filter_statement(coll), params).fetchone()[1]
        plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ") + given_ids, params))
        scans = [line for line in plan.splitlines() if re.search(r"Scan .*on postings", line)]
        assert sum("never executed" in line for line in scans) >= TERM_SLOTS - 1, plan
        plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN ") + checked, query_params(
            coll, "apple", None, SearchOptions(prefix="f/3/"), 200)))
        assert "documents_pkey" in plan, plan  # each tested document through its primary key


def _assert_same_ranking(rows: list[Any], expected: list[Any], context: Any) -> None:
    """Same ranks and scores (to 1e-12), and the same documents at each score: only documents
    tied at one score may come in another order, or differ where the list is cut."""
    assert len(rows) == len(expected), context
    assert [r[2] for r in rows] == [e[2] for e in expected], context
    assert [r[1] for r in rows] == pytest.approx([e[1] for e in expected], rel=1e-12), context

    def by_score(ranked: list[Any]) -> dict[float, set[int]]:
        groups: dict[float, set[int]] = {}
        for document_id, score, _ in ranked:
            groups.setdefault(round(score, 12), set()).add(document_id)
        return groups

    got, want = by_score(rows), by_score(expected)
    assert got.keys() == want.keys(), context
    lowest = min(want)
    for score, documents in want.items():
        if score != lowest:
            assert got[score] == documents, (context, score)


def test_keyword_branch_reads_each_terms_df_once(settings: Any, filtered_collection: Any) -> None:
    """df is read from the lexicon once per query term whatever the filter, never once per
    matching posting (at 1,000,000 chunks an inlined df count ran 103 times in a 0.1 % --prefix
    hybrid search), and no search counts postings for it."""
    from psycopg import sql

    from pgvsearch.search import SearchOptions
    from pgvsearch.search.compose import query_params
    from pgvsearch.store import connect
    from pgvsearch.store.search_sql import keyword_ranking

    def reads(node: dict[str, Any], parent: str = "") -> list[tuple[str, str, int]]:
        found = [(parent, node["Relation Name"], node["Actual Loops"])] if "Relation Name" in node else []
        for child in node.get("Plans", []):
            found += reads(child, node["Node Type"])
        return found

    coll, _ = filtered_collection
    with connect(settings) as conn:
        conn.execute("SET enable_hashjoin = off")  # push the planner towards joining the filter first
        for kw in FILTERS.values():
            params = query_params(coll, "apple river violet", None, SearchOptions(**kw), 200)
            plan = conn.execute(sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + keyword_ranking(coll, True, checked=False), params).fetchone()[0]
            scans = reads(plan[0]["Plan"])
            lexicon = [loops for _, relation, loops in scans if relation == "lexicon"]
            assert lexicon and all(loops <= 3 for loops in lexicon), (kw, scans)
            assert not any(parent == "Aggregate" and relation == "postings" for parent, relation, _ in scans), (kw, scans)
