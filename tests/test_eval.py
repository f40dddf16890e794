"""pgvsearch eval: metric functions against hand-computed values, and an end-to-end run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli


def test_ndcg_hand_computed() -> None:
    from pgvsearch.evaluate import ndcg_at

    judgments = {"a": 3, "b": 1, "c": 2}
    ranked = ["b", "x", "a"]
    # exponential gains: DCG = (2^1-1)/log2(2) + 0 + (2^3-1)/log2(4) = 1 + 3.5 = 4.5
    # ideal a, c, b: 7/1 + 3/log2(3) + 1/2
    ideal = 7 + 3 / math.log2(3) + 0.5
    assert ndcg_at(ranked, judgments, 10, gain="exponential") == pytest.approx(4.5 / ideal)
    # linear gains: DCG = 1 + 3/2 = 2.5; ideal = 3 + 2/log2(3) + 1/2
    assert ndcg_at(ranked, judgments, 10, gain="linear") == pytest.approx(2.5 / (3 + 2 / math.log2(3) + 0.5))
    assert ndcg_at(["a", "c", "b"], judgments) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], judgments) == 0.0
    # The cut-off applies to both the ranking and the ideal list.
    assert ndcg_at(["b", "a"], judgments, k=1, gain="exponential") == pytest.approx(1 / 7)
    assert ndcg_at(["b", "a"], judgments, k=1) == pytest.approx(1 / 3)


def test_recall_mrr_percentile_and_dedupe() -> None:
    from pgvsearch.evaluate import dedupe, mrr_at, percentile, recall_at

    judgments = {"a": 1, "b": 2, "c": 1, "z": 0}
    assert recall_at(["a", "x", "b"], judgments, 100) == pytest.approx(2 / 3)
    assert recall_at(["a", "x", "b"], judgments, 1) == pytest.approx(1 / 3)
    assert mrr_at(["x", "z", "c"], judgments, 10) == pytest.approx(1 / 3)
    assert mrr_at(["x", "y", "c"], judgments, 2) == 0.0
    assert percentile([10, 20, 30, 40], 50) == pytest.approx(25)
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 95) == pytest.approx(19 + 0.05 * 81)
    assert dedupe(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_read_qrels_skips_header_and_keeps_grades(tmp_path: Path) -> None:
    from pgvsearch.errors import UsageError
    from pgvsearch.evaluate import read_qrels

    path = tmp_path / "qrels.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\nq2\td3\t1\n")
    assert read_qrels(path) == {"q1": {"d1": 2.0, "d2": 0.0}, "q2": {"d3": 1.0}}
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\n")
    with pytest.raises(UsageError):
        read_qrels(path)
    # Tab-separated ids may hold spaces (file names do); TREC's four fields and plain spaces work too.
    path.write_text("query-id\tcorpus-id\tscore\nq 3\tmy notes.md\t1\n")
    assert read_qrels(path) == {"q 3": {"my notes.md": 1.0}}
    path.write_text("q1 0 d1 2\nq1 0 d2 1\n")
    assert read_qrels(path) == {"q1": {"d1": 2.0, "d2": 1.0}}
    path.write_text("q1 d1 2\n")
    assert read_qrels(path) == {"q1": {"d1": 2.0}}
    path.write_text("query-id\tcorpus-id\tscore\t\nq1\td1\t1\t\n")  # trailing tabs
    assert read_qrels(path) == {"q1": {"d1": 1.0}}


def test_eval_end_to_end(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    topics = {
        "d1": ("Refund for a duplicate charge", "If your card was charged twice for one order we refund the duplicate charge."),
        "d2": ("Password reset", "Use the forgot password link to reset your password by email."),
        "d3": ("Shipping times", "Standard delivery takes three to five business days."),
        "d4": ("API rate limits", "Requests beyond the limit receive HTTP 429 with a Retry-After header."),
        "d5": ("Two-factor authentication", "Protect your account with an authenticator app and recovery codes."),
    }
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"_id": k, "title": t, "text": x}) + "\n" for k, (t, x) in topics.items()))
    ingest_paths(conn, collection, embedder, [str(corpus)])
    queries = tmp_path / "queries.jsonl"
    queries.write_text("".join(json.dumps(q) + "\n" for q in [
        {"_id": "q1", "text": "I was billed twice"}, {"_id": "q2", "text": "forgot my password"},
        {"_id": "q3", "text": "too many requests error"}, {"_id": "q9", "text": "unjudged query"},
    ]))
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t1\nq3\td4\t1\n")
    result = run_cli("eval", "-c", collection.name, "--queries", str(queries), "--qrels", str(qrels), "--rrf-k", "20,60", "-f", "json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["mode"] for r in rows] == ["semantic", "keyword", "hybrid", "hybrid"]
    assert [r.get("rrf_k") for r in rows[2:]] == [20.0, 60.0]
    for row in rows:
        assert set(row) >= {"mode", "ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms"}
        assert row["queries"] == 3 and row["recall@100"] == 1.0
        assert 0 < row["p50_ms"] <= row["p95_ms"]
    assert rows[0]["ndcg@10"] == 1.0 and rows[2]["ndcg@10"] == 1.0

    per_query = run_cli("eval", "-c", collection.name, "--queries", str(queries), "--qrels", str(qrels), "--modes", "keyword", "--per-query")
    lines = [json.loads(line) for line in per_query.stdout.splitlines()]
    assert {line["query_id"] for line in lines} == {"q1", "q2", "q3"}
    assert all(line["top10"] and "ndcg@10" in line for line in lines)

    tuned = run_cli("eval", "-c", collection.name, "--queries", str(queries), "--qrels", str(qrels),
                    "--modes", "semantic,keyword", "--bm25-k1", "0.9,1.2", "--bm25-b", "0.4", "-f", "json")
    assert tuned.returncode == 0, tuned.stderr
    rows = [json.loads(line) for line in tuned.stdout.splitlines()]
    assert [(r["mode"], r.get("bm25_k1"), r.get("bm25_b")) for r in rows] == [("semantic", None, None), ("keyword", 0.9, 0.4), ("keyword", 1.2, 0.4)]
    bad = run_cli("eval", "-c", collection.name, "--queries", str(queries), "--qrels", str(qrels), "--bm25-b", "1.5")
    assert bad.returncode == 2 and "0 <= b <= 1" in bad.stderr


def test_variants_expand_bm25_only_for_rankings_that_use_it() -> None:
    from pgvsearch.errors import UsageError
    from pgvsearch.evaluate import variants
    from pgvsearch.search import SearchOptions

    plan = variants(["semantic", "keyword", "hybrid"], SearchOptions(k=100), rrf_ks=[20, 60], bm25_k1s=[0.9, 1.2], bm25_bs=[0.4, 0.75])
    assert [v.mode for v in plan].count("semantic") == 1
    assert [v.mode for v in plan].count("keyword") == 4 and [v.mode for v in plan].count("hybrid") == 8
    assert {(v.options.bm25_k1, v.options.bm25_b) for v in plan if v.mode == "keyword"} == {(0.9, 0.4), (0.9, 0.75), (1.2, 0.4), (1.2, 0.75)}
    fused = variants(["hybrid"], SearchOptions(k=100), rrf_ks=[20, 60], fusions=["rrf", "dbsf"])
    assert [(v.options.fusion, v.label.get("rrf_k")) for v in fused] == [("rrf", 20), ("rrf", 60), ("dbsf", None)]
    assert all(v.label["fusion"] == v.options.fusion for v in fused)
    assert "fusion" not in variants(["hybrid"], SearchOptions(k=100))[0].label
    with pytest.raises(UsageError):
        variants(["hybrid"], SearchOptions(k=100), fusions=["borda"])
    default = variants(["keyword"], SearchOptions(k=100))
    assert [(v.options.bm25_k1, v.options.bm25_b, v.label) for v in default] == [(1.2, 0.75, {})]


def test_every_mode_is_warmed_up_before_any_is_timed() -> None:
    """Loading the model and the index pages must not be charged to the first mode measured."""
    from pgvsearch.evaluate import WARM_UP_QUERIES, evaluate, variants
    from pgvsearch.search import Query, SearchOptions

    calls: list[tuple[str, str]] = []

    class RecordingSearcher:
        def run(self, text: str, mode: str, options: Any) -> list[Any]:
            calls.append((mode, text))
            return []

    queries = [Query(text=f"q{i}", query_id=str(i)) for i in range(WARM_UP_QUERIES + 5)]
    qrels = {q.query_id: {"d": 1.0} for q in queries}
    plan = variants(["semantic", "keyword", "hybrid"], SearchOptions(k=100))
    evaluate(RecordingSearcher(), queries, qrels, plan)  # type: ignore[arg-type]
    warm = calls[: 3 * WARM_UP_QUERIES]
    assert {mode for mode, _ in warm} == {"semantic", "keyword", "hybrid"}
    assert all(count == WARM_UP_QUERIES for count in
               (sum(1 for mode, _ in warm if mode == m) for m in ("semantic", "keyword", "hybrid")))
    assert len(calls) == 3 * WARM_UP_QUERIES + 3 * len(queries)  # then each query once per mode, timed
