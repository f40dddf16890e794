"""search / keyword / hybrid on sample_data, through the library and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli

REFUNDS = "billing/refunds-and-duplicate-charges.md"


def _hits(result: Any) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
@pytest.mark.parametrize("query", ["I was charged twice for the same order", "duplicate charge on my card"])
def test_duplicate_charge_ranks_refund_article_first(conn: Any, sample_collection: Any, embedder: Any, mode: str, query: str) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    hits = Searcher(conn, sample_collection, embedder).run(query, mode, SearchOptions(k=5))
    assert hits[0].doc_id == REFUNDS


def test_hybrid_cli_json_has_ranks_and_rrf_scores(sample_collection: Any) -> None:
    hits = _hits(run_cli("hybrid", "billing issue", "-c", "sample", "-k", "7", "--format", "json"))
    assert [h["rank"] for h in hits] == list(range(1, 8))
    for h in hits:
        assert {"rank", "doc_id", "score", "title", "text", "semantic_rank", "keyword_rank"} <= set(h)
        expected = sum(1 / (60 + r) for r in (h["semantic_rank"], h["keyword_rank"]) if r is not None)
        assert h["score"] == pytest.approx(expected)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h["doc_id"] for h in hits}) == len(hits), "one hit per document"


def test_rrf_constant_and_weights_change_the_fusion(conn: Any, sample_collection: Any, embedder: Any) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, sample_collection, embedder)
    hits = searcher.run("reset my password", "hybrid", SearchOptions(k=5, rrf_k=10, semantic_weight=2.0, keyword_weight=0.5))
    for h in hits:
        expected = (2.0 / (10 + h.semantic_rank) if h.semantic_rank else 0) + (0.5 / (10 + h.keyword_rank) if h.keyword_rank else 0)
        assert h.score == pytest.approx(expected)
    only_keyword = searcher.run("reset my password", "hybrid", SearchOptions(k=5, semantic_weight=0.0))
    keyword = searcher.run("reset my password", "keyword", SearchOptions(k=5))
    assert [h.doc_id for h in only_keyword] == [h.doc_id for h in keyword]


def test_score_fusion_scales_each_branch_by_its_mean_and_spread(conn: Any, sample_collection: Any, embedder: Any) -> None:
    """--fusion dbsf: each branch's scores mapped to [0, 1] by its candidates' mean ± 3 std. dev., clamped, weighted, summed."""
    import statistics

    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, sample_collection, embedder)
    query, opts = "reset my password", SearchOptions(k=8, candidates=12, fusion="dbsf", semantic_weight=1.5, keyword_weight=0.5)
    semantic = searcher.run(query, "semantic", SearchOptions(k=12, candidates=12))
    keyword = searcher.run(query, "keyword", SearchOptions(k=12, candidates=12))

    def scaled(scores: dict[str, float]) -> dict[str, float]:
        mu, sd = statistics.fmean(scores.values()), statistics.pstdev(scores.values())
        return {d: min(1.0, max(0.0, (s - (mu - 3 * sd)) / (6 * sd))) if sd else 1.0 for d, s in scores.items()}

    sem = scaled({h.doc_id: h.similarity for h in semantic})  # type: ignore[misc]
    kw = scaled({h.doc_id: h.bm25 for h in keyword})  # type: ignore[misc]
    expected = {d: 1.5 * sem.get(d, 0.0) + 0.5 * kw.get(d, 0.0) for d in set(sem) | set(kw)}
    hits = searcher.run(query, "hybrid", opts)
    assert len(hits) == 8
    for h in hits:
        assert h.score == pytest.approx(expected[h.doc_id], abs=1e-9)
    assert [h.score for h in hits] == pytest.approx(sorted(expected.values(), reverse=True)[:8], abs=1e-9)
    assert run_cli("hybrid", query, "-c", "sample", "--fusion", "bogus").returncode == 2


def test_semantic_search_orders_by_cosine_similarity(conn: Any, sample_collection: Any, embedder: Any) -> None:
    import numpy as np
    from pgvsearch.search import SearchOptions, Searcher

    hits = Searcher(conn, sample_collection, embedder).run("I lost my phone and need my 2FA recovery codes", "semantic", SearchOptions(k=5))
    assert len(hits) == 5
    assert hits[0].doc_id == "account/lost-phone-2fa-recovery.html"
    sims = [h.similarity for h in hits]
    assert sims == sorted(sims, reverse=True)
    # The reported similarity is the cosine of the stored chunk vector and the query vector.
    row = conn.execute(
        f'SELECT c.embedding::text FROM "{sample_collection.schema}".chunks c JOIN "{sample_collection.schema}".documents d '
        "ON d.id = c.document_id WHERE d.doc_id = %s AND c.position = %s", (hits[0].doc_id, hits[0].chunk)
    ).fetchone()
    stored = np.array(json.loads(row[0]))
    query = embedder.embed(["I lost my phone and need my 2FA recovery codes"])[0]
    assert float(stored @ query / np.linalg.norm(stored)) == pytest.approx(hits[0].similarity, abs=1e-4)


def test_keyword_search_handles_natural_language_questions(conn: Any, sample_collection: Any) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    question = "What should I do when my package arrived damaged and the box was crushed by the courier yesterday?"
    hits = Searcher(conn, sample_collection).run(question, "keyword", SearchOptions(k=3))
    assert hits, "a long question must not require every word to match"
    assert hits[0].doc_id == "shipping/lost-or-damaged-packages.md"
    assert all(h.bm25 and h.bm25 > 0 for h in hits)
    # Text that to_tsquery() would reject is just text here.
    assert Searcher(conn, sample_collection).run("billing & issue | (refund) !!! :*", "keyword", SearchOptions(k=3))


def _okapi_bm25(conn: Any, coll: Any, query: str, k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    """Okapi BM25 of every matching document, computed here from the postings, the lexicon and
    the stats row (sql/keyword_ranking.sql's formula, written again independently)."""
    import math

    schema = coll.schema
    terms = dict(conn.execute(
        "SELECT lexeme, coalesce(array_length(positions, 1), 1) FROM unnest(to_tsvector(%s::regconfig, translate(%s, %s, %s)))",
        (coll.text_config, query, coll.word_separators, coll.separator_spaces)).fetchall())
    n, total = conn.execute(f'SELECT n_docs, total_length FROM "{schema}".stats').fetchone()
    avgdl = max(total / max(n, 1), 1)
    scores: dict[str, float] = {}
    for term, qtf in terms.items():
        rows = conn.execute(f'SELECT d.doc_id, p.tf, p.doc_length FROM "{schema}".postings AS p '
                            f'JOIN "{schema}".documents AS d ON d.id = p.document_id WHERE p.term = %s', (term,)).fetchall()
        if not rows:
            continue
        idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
        for doc_id, tf, dl in rows:
            scores[doc_id] = scores.get(doc_id, 0.0) + qtf * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
    return scores


@pytest.mark.parametrize("query", [
    "refund duplicate charge",
    "billing billing refund",  # a repeated word counts twice
    # More distinct words than sql/term_postings.sql has branches: the rest share one sorted branch.
    "password reset account locked two factor recovery codes shipping package damaged courier refund invoice "
    "subscription cancel export data api token rate limit webhook",
])
def test_keyword_scores_are_okapi_bm25_whatever_the_number_of_words(conn: Any, sample_collection: Any, query: str) -> None:
    from psycopg import sql

    from pgvsearch.search import SearchOptions, Searcher
    from pgvsearch.search.compose import query_params
    from pgvsearch.store.search_sql import TERM_SLOTS, keyword_ranking, search_statement

    expected = _okapi_bm25(conn, sample_collection, query)
    if "webhook" in query:
        assert len({t for t in conn.execute(sql.SQL("SELECT lexeme FROM unnest(to_tsvector('english', %s))"), (query,))}) > TERM_SLOTS
    # Two candidates: the rarest term has at least two postings, so documents scoring under
    # its second-best part are dropped while summed (sql/keyword_ranking.sql's floor).
    for candidates in (2, 100):
        k = min(10, candidates)
        hits = Searcher(conn, sample_collection).run(query, "keyword", SearchOptions(k=k, candidates=candidates))
        best = sorted(expected.items(), key=lambda kv: -kv[1])[:k]
        assert [h.bm25 for h in hits] == pytest.approx([score for _, score in best], rel=1e-9), candidates
        assert all(h.bm25 == pytest.approx(expected[h.doc_id], rel=1e-9) for h in hits)
    # The terms' postings are merged in document order, never hashed.
    plan = "\n".join(r[0] for r in conn.execute(
        sql.SQL("EXPLAIN ") + search_statement(sample_collection, "keyword"),
        query_params(sample_collection, query, None, SearchOptions(k=10), 0)))
    assert "Merge Append" in plan and "HashAggregate" not in plan, plan
    # A branch past the query's terms reads nothing (its term is NULL: the index is never
    # searched), and no gate stands between the postings and the merge (sql/term_postings.sql).
    plan = "\n".join(r[0] for r in conn.execute(
        sql.SQL("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ") + search_statement(sample_collection, "keyword"),
        query_params(sample_collection, query, None, SearchOptions(k=10), 0)))
    distinct_terms = len({r[0] for r in conn.execute("SELECT lexeme FROM unnest(to_tsvector('english', %s))", (query,))})
    if distinct_terms < TERM_SLOTS:
        assert plan.count("Index Searches: 0") >= TERM_SLOTS - distinct_terms, plan
    assert "One-Time Filter" not in plan, plan
    # Under a filter tested after ranking (sql/keyword_top_checked.sql; "" admits every document),
    # with its own floor (sql/keyword_floor_checked.sql): the same scores.
    checked = keyword_ranking(sample_collection, True, checked=True)
    for candidates in (1, 2, 100):
        params = query_params(sample_collection, query, None, SearchOptions(k=1, candidates=candidates, prefix=""), 0)
        rows = conn.execute(checked, params).fetchall()
        best = sorted(expected.values(), reverse=True)[:candidates]
        assert [r[1] for r in rows] == pytest.approx(best, rel=1e-9), candidates


def test_checked_keyword_floor_drops_matches_and_keeps_the_okapi_top(
        conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    """Under a filter tested after ranking, matches under the depth-th best part of the rarest
    term with that many postings never reach the bounded heap (sql/keyword_floor_checked.sql):
    they are dropped as summed, and the best are still exactly Okapi BM25's."""
    from psycopg import sql

    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions
    from pgvsearch.search.compose import query_params
    from pgvsearch.store.search_sql import keyword_ranking

    for i in range(100):  # "harbor" in every document, a varying number of times; "lantern" in four
        words = ["harbor"] * (1 + i % 5) + ["filler"] * (i % 13) + (["lantern"] if i % 25 == 0 else [])
        (tmp_path / f"doc{i:02d}.txt").write_text(" ".join(words) + ".\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    expected = _okapi_bm25(conn, collection, "harbor lantern")
    checked = keyword_ranking(collection, True, checked=True)
    for candidates in (1, 6):  # depth: 10 and 60 best matches ("" admits every document); 6: harbor alone too
        params = query_params(collection, "harbor lantern", None, SearchOptions(k=1, candidates=candidates, prefix=""), 0)
        rows = conn.execute(checked, params).fetchall()
        assert [r[1] for r in rows] == pytest.approx(sorted(expected.values(), reverse=True)[:candidates], rel=1e-9, abs=1e-9)  # parts: 2^-32
        plan = "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) ") + checked, params))
        lines = plan.splitlines()
        at = next(i for i, line in enumerate(lines) if "GroupAggregate" in line)
        removed = [line for line in lines[at + 1:at + 4] if "Rows Removed by Filter" in line]  # its own Filter
        assert removed and 0 < int(removed[0].split(": ")[1]) < 100, plan


def test_documents_with_the_same_words_tie_exactly_and_break_on_their_order(
        conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    """Each part of a score is summed exactly, whatever order the merge yields the terms in."""
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    text = "Copper violet meadow signal. River apple lantern copper.\n"
    for name in ("c.txt", "a.txt", "b.txt", "d.txt"):
        (tmp_path / name).write_text(text)
    (tmp_path / "other.txt").write_text("Meadow only.\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    ids = dict(conn.execute(f'SELECT doc_id, id FROM "{collection.schema}".documents').fetchall())
    hits = Searcher(conn, collection).run("copper violet meadow signal river apple lantern", "keyword", SearchOptions(k=5))
    tied = hits[:4]
    assert len({h.bm25 for h in tied}) == 1, [(h.doc_id, h.bm25) for h in tied]
    assert [h.doc_id for h in tied] == sorted((h.doc_id for h in tied), key=ids.__getitem__)
    assert hits[4].doc_id == "other.txt" and hits[4].bm25 < tied[0].bm25


def test_keyword_search_splits_hyphenated_and_slashed_words(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    """'-' and '/' separate words, in documents and queries alike (as Lucene's tokenizer does)."""
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    assert collection.word_separators == "-/"
    (tmp_path / "slash.txt").write_text("Wind tunnel runs at subsonic/supersonic speeds.\n")
    (tmp_path / "hyphen.txt").write_text("The boundary-layer thickness grows downstream.\n")
    (tmp_path / "other.txt").write_text("Nothing about either topic is written here.\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    searcher = Searcher(conn, collection)

    def top(query: str) -> list[str]:
        return [h.doc_id for h in searcher.run(query, "keyword", SearchOptions(k=3))]

    # PostgreSQL's parser alone reads "subsonic/supersonic" as one file-path token: no word matched.
    assert top("supersonic") == ["slash.txt"]
    assert top("subsonic flow") == ["slash.txt"]
    assert top("boundary layer") == ["hyphen.txt"]
    # The hyphenated query scores exactly as its words do: no extra compound term on either side.
    hyphen = searcher.run("boundary-layer", "keyword", SearchOptions(k=1))[0]
    words = searcher.run("boundary layer", "keyword", SearchOptions(k=1))[0]
    assert hyphen.bm25 == pytest.approx(words.bm25)
    schema = collection.schema
    terms = {r[0] for r in conn.execute(f'SELECT term FROM "{schema}".postings').fetchall()}
    assert {"subson", "superson", "boundari", "layer"} <= terms
    assert not any("-" in t or "/" in t for t in terms)


def test_collections_without_word_separators_keep_postgres_parsing(conn: Any, embedder: Any, collection_name: str, tmp_path: Path) -> None:
    """A collection created before word separators existed ('' in the registry) is read and searched as before."""
    from pgvsearch.store import get_collection
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher
    from conftest import make_collection

    make_collection(conn, embedder, collection_name)
    conn.execute("UPDATE pgvsearch.collections SET word_separators = '' WHERE name = %s", (collection_name,))
    conn.commit()
    legacy = get_collection(conn, collection_name)
    assert legacy is not None and legacy.word_separators == ""
    assert legacy.chunking_fingerprint().count("|") == 6  # unchanged, so stored content hashes still match
    (tmp_path / "slash.txt").write_text("Wind tunnel runs at subsonic/supersonic speeds.\n")
    ingest_paths(conn, legacy, embedder, [str(tmp_path)])
    searcher = Searcher(conn, legacy)
    assert searcher.run("supersonic", "keyword", SearchOptions(k=3)) == []
    assert [h.doc_id for h in searcher.run("subsonic/supersonic", "keyword", SearchOptions(k=3))] == ["slash.txt"]


def test_a_registry_from_before_the_newer_columns_still_reads(conn: Any, embedder: Any, collection_name: str) -> None:
    """Commands other than init read a registry that init has not upgraded yet, with the old behaviour."""
    from pgvsearch.store import get_collection, list_collections
    from conftest import make_collection

    make_collection(conn, embedder, collection_name)
    conn.commit()
    with conn.transaction(force_rollback=True):  # DDL is transactional: the registry is restored
        conn.execute("ALTER TABLE pgvsearch.collections DROP COLUMN word_separators, DROP COLUMN precision")
        old = get_collection(conn, collection_name)
        assert old is not None and (old.precision, old.word_separators) == ("fp32", "")
        assert collection_name in [c.name for c in list_collections(conn)]
    assert get_collection(conn, collection_name).word_separators == "-/"  # type: ignore[union-attr]


def test_keyword_cli_needs_no_model_and_matches_library(sample_collection: Any) -> None:
    hits = _hits(run_cli("keyword", "429 too many requests retry-after", "-c", "sample", "-k", "3"))
    assert hits[0]["doc_id"] == "api/rate-limits.md"
    assert hits[0]["keyword_rank"] == 1 and hits[0]["semantic_rank"] is None


def test_prefix_filter_still_returns_k_rows(conn: Any, sample_collection: Any, embedder: Any) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, sample_collection, embedder)
    for mode in ("semantic", "keyword", "hybrid"):
        hits = searcher.run("how do I update the card I pay with", mode, SearchOptions(k=6, candidates=6, prefix="billing/"))
        assert len(hits) == 6, mode
        assert all(h.doc_id.startswith("billing/") for h in hits), mode


def test_semantic_search_returns_k_documents_when_one_long_document_crowds_the_nearest_chunks(
    conn: Any, embedder: Any, collection: Any, tmp_path: Path
) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    sentences = [f"Zebra herd {i} grazed near the river while the foals stayed close to their mothers." for i in range(700)]
    (tmp_path / "zebras-book.txt").write_text(" ".join(sentences) + "\n")
    (tmp_path / "zebra-note.txt").write_text("A short note: zebras have black and white stripes.\n")
    (tmp_path / "tax.txt").write_text("Quarterly tax filings are due at the end of the month.\n")
    (tmp_path / "router.txt").write_text("Restart the router if the wifi connection drops.\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    chunks = conn.execute(f'SELECT count(*) FROM "{collection.schema}".chunks').fetchone()[0]
    assert chunks > 80  # one document holds nearly every chunk

    searcher = Searcher(conn, collection, embedder)
    hits = searcher.run("zebra herds grazing", "semantic", SearchOptions(k=4, candidates=4))
    assert sorted(h.doc_id for h in hits) == ["router.txt", "tax.txt", "zebra-note.txt", "zebras-book.txt"]
    assert hits[0].doc_id == "zebras-book.txt"
    assert [h.rank for h in hits] == [1, 2, 3, 4]
    # A filter that admits fewer than k documents gives them all (and stops widening there).
    filtered = searcher.run("zebra herds grazing", "semantic", SearchOptions(k=4, candidates=4, prefix="zebra"))
    assert sorted(h.doc_id for h in filtered) == ["zebra-note.txt", "zebras-book.txt"]


def test_metadata_filter_on_jsonl_records(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    corpus = tmp_path / "corpus.jsonl"
    records = [
        {"_id": f"d{i}", "title": f"Note {i}", "text": f"Refund policy number {i} for duplicate charges.", "team": "billing" if i % 2 else "support"}
        for i in range(12)
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    ingest_paths(conn, collection, embedder, [str(corpus)])
    hits = Searcher(conn, collection, embedder).run("refund", "hybrid", SearchOptions(k=5, metadata={"team": "billing"}))
    assert len(hits) == 5
    assert all(h.metadata["team"] == "billing" for h in hits)


def test_batch_queries_add_query_id(sample_collection: Any, tmp_path: Path) -> None:
    beir = tmp_path / "queries.jsonl"
    beir.write_text(json.dumps({"_id": "q1", "text": "charged twice"}) + "\n" + json.dumps({"_id": "q2", "text": "webhook signature"}) + "\n")
    hits = _hits(run_cli("hybrid", "--queries", str(beir), "-c", "sample", "-k", "3", "-f", "json"))
    assert [h["query_id"] for h in hits] == ["q1"] * 3 + ["q2"] * 3
    assert hits[0]["doc_id"] == REFUNDS
    assert hits[3]["doc_id"] == "api/webhooks.html"

    plain = tmp_path / "queries.txt"
    plain.write_text("reset password\n\nchange shipping address\n")
    hits = _hits(run_cli("search", "--queries", str(plain), "-c", "sample", "-k", "2", "-f", "json"))
    assert {h["query_id"] for h in hits} == {"1", "3"}


def test_csv_and_table_output(sample_collection: Any) -> None:
    result = run_cli("hybrid", "invoice", "-c", "sample", "-k", "3", "-f", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3 and rows[0]["rank"] == "1" and rows[0]["doc_id"]
    table = run_cli("hybrid", "invoice", "-c", "sample", "-k", "3", "-f", "table")
    assert table.returncode == 0 and "RRF score" in table.stdout and "sem #" in table.stdout


def test_show_sql_prints_the_composed_query(sample_collection: Any) -> None:
    result = run_cli("hybrid", "x", "-c", "sample", "--show-sql")
    assert result.returncode == 0, result.stderr
    assert "<=>" in result.stderr and "FULL OUTER JOIN" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("hostile", ["x'; DROP TABLE pgvsearch.collections; --", "'); DELETE FROM documents; --", "\\\\ % _ ' \""])
def test_hostile_queries_and_filters_are_parameters(conn: Any, sample_collection: Any, embedder: Any, hostile: str) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, sample_collection, embedder)
    before = conn.execute(f'SELECT count(*) FROM "{sample_collection.schema}".documents').fetchone()[0]
    searcher.run(hostile, "hybrid", SearchOptions(k=3))
    assert searcher.run("refund", "hybrid", SearchOptions(k=3, prefix=hostile)) == []
    assert searcher.run("refund", "hybrid", SearchOptions(k=3, metadata={hostile: hostile})) == []
    after = conn.execute(f'SELECT count(*) FROM "{sample_collection.schema}".documents').fetchone()[0]
    assert before == after
    assert conn.execute("SELECT count(*) FROM pgvsearch.collections").fetchone()[0] >= 1
    bad = run_cli("hybrid", "refund", "--collection", hostile)
    assert bad.returncode == 2 and "invalid collection name" in bad.stderr and "Traceback" not in bad.stderr
