#!/usr/bin/env python
"""Filtered semantic and hybrid search at scale: latency, k results and recall@10, per filter.

    .venv/bin/python benchmarks/filters.py [--chunks 1000000] [--home DIR] [--queries 40] [--recall] [--exact-filter-chunks N]

A quick companion to benchmarks/scale.py for the filter paths alone: N one-chunk documents are
generated inside PostgreSQL (INSERT ... SELECT: 1,000,000 in about 9 minutes here, where
scale.py's full load with BM25 postings takes an hour), the HNSW index is built by
``build_vector_index`` as an ingest builds it, and the collection is kept in ``--home`` and
reused by the next run with the same ``--chunks``. There are no postings: the keyword branch
of a hybrid search finds nothing, so hybrid figures show the semantic branch, the filter and
the fusion only.

Documents: source ``synthetic/<a>/<b>/<c>/doc<i>`` (a, b, c the last three digits of i: the
prefixes ``synthetic/3/``, ``synthetic/3/7/``, ``synthetic/3/7/2/`` admit 10 %, 1 % and
0.1 %), metadata ``group`` (10 values), ``tenant`` (100) and ``team`` (1,000) drawn by hash,
independent of the vectors: 384-d, 500 random centroids plus uniform noise. Queries are the
vectors of documents drawn at random; timed from Python over the local socket
(``Searcher.run``, warm: 5 warm-up queries per case). With ``--recall``, each semantic answer
is compared with the exact filtered top 10 (a scan with index scans disabled).
``--exact-filter-chunks`` sets ``pgvsearch.exact_filter_chunks`` for the session (docs/storage.md).

Prints one JSON object on stdout (keys ``<mode> <filter>``: p50_ms, p95_ms, k_rows -- the share
of queries answered with min(10, documents the filter admits) hits -- and recall_at_10);
progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = {
    "none": {},
    "meta 10%": {"metadata": {"group": "g3"}},
    "meta 1%": {"metadata": {"tenant": "t42"}},
    "meta 0.1%": {"metadata": {"team": "m417"}},
    "prefix 10%": {"prefix": "synthetic/3/"},
    "prefix 1%": {"prefix": "synthetic/3/7/"},
    "prefix 0.1%": {"prefix": "synthetic/3/7/2/"},
}
LOAD = """
CREATE TEMP TABLE centroids AS
    SELECT c, array_agg(random() - 0.5 ORDER BY i) AS v FROM generate_series(0, 499) c, generate_series(1, 384) i GROUP BY c;
INSERT INTO {schema}.documents (doc_id, source, title, metadata, content_hash, chunk_count, doc_length)
SELECT 'doc' || lpad(g::text, 7, '0'), 'synthetic/' || (g %% 10) || '/' || ((g / 10) %% 10) || '/' || ((g / 100) %% 10) || '/doc' || g, '',
       jsonb_build_object('group', 'g' || (hashint4(g) & 2147483647) %% 10, 'tenant', 't' || (hashint4(g + 7) & 2147483647) %% 100,
                          'team', 'm' || (hashint4(g + 13) & 2147483647) %% 1000),
       'synthetic', 1, 10
FROM generate_series(0, %(n)s - 1) g;
INSERT INTO {schema}.chunks (document_id, position, context, content, embedding)
SELECT d.id, 0, '', 'synthetic', (SELECT array_agg(centroids.v[i] + (random() - 0.5) * 0.6 ORDER BY i) FROM generate_series(1, 384) i)::vector
FROM {schema}.documents d JOIN centroids ON centroids.c = (hashint4(d.id::int * 3) & 2147483647) %% 500;
"""
TRUTH = """
SELECT d.doc_id FROM {schema}.chunks c JOIN {schema}.documents d ON d.id = c.document_id
WHERE (%(prefix)s::text IS NULL OR starts_with(d.doc_id, %(prefix)s) OR starts_with(d.source, %(prefix)s))
  AND (SELECT bool_and(d.metadata ->> key = value) FROM jsonb_each_text(%(meta)s::jsonb)) IS NOT FALSE
ORDER BY c.embedding <=> %(v)s::vector LIMIT 10
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def loaded(conn, n: int):  # type: ignore[no-untyped-def]
    """The collection ``filters_<n>``, loaded and indexed now unless a previous run did."""
    from psycopg import sql

    from pgvsearch.store import build_vector_index, drop_collection, drop_vector_index, get_collection, init_collection

    name = f"filters_{n}"
    coll = get_collection(conn, name)
    if coll is not None:
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}.chunks").format(sql.Identifier(coll.schema))).fetchone()[0]
        if count == n and conn.execute("SELECT to_regclass(%s)", (f"{coll.schema}.chunks_embedding_idx",)).fetchone()[0]:
            log(f"reusing {name} ({n:,} chunks)")
            return coll, None
        drop_collection(conn, name)
    coll = init_collection(conn, name, model="synthetic", dimension=384, max_seq_length=256).collection
    drop_vector_index(conn, coll)
    started = time.perf_counter()
    for statement in LOAD.split(";\n"):
        if statement.strip():
            query = sql.SQL(statement).format(schema=sql.Identifier(coll.schema))
            conn.execute(query, {"n": n})
    load_s = time.perf_counter() - started
    log(f"loaded {n:,} chunks in {load_s:.0f} s")
    started = time.perf_counter()
    build_vector_index(conn, coll)
    index_s = time.perf_counter() - started
    log(f"HNSW index built in {index_s:.0f} s")
    for table in ("documents", "chunks"):
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(coll.schema, table)))
    return coll, {"load_s": round(load_s, 1), "hnsw_build_s": round(index_s, 1)}


def measure(conn, coll, queries: int, recall: bool) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    from psycopg import sql

    from pgvsearch.search import SearchOptions, Searcher
    from pgvsearch.store import count_statement

    searcher = Searcher(conn, coll)
    chunks = sql.Identifier(coll.schema, "chunks")
    vectors = [r[0] for r in conn.execute(
        sql.SQL("SELECT embedding::text FROM {} TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT %s").format(chunks), (queries,)
    )]
    truth_sql = sql.SQL(TRUTH).format(schema=sql.Identifier(coll.schema))
    results: dict[str, dict[str, float]] = {}
    for mode in ("semantic", "hybrid"):
        for label, kw in CASES.items():
            options = SearchOptions(**kw)
            filter_params = {"prefix": kw.get("prefix"), "meta": json.dumps(kw.get("metadata", {}))}
            admitted = conn.execute(count_statement(coll, bool(kw)), filter_params).fetchone()[0]
            for v in vectors[:5]:
                searcher.run("synthetic", mode, options, embedding=v)
            latencies, full, recalls = [], 0, []
            for v in vectors:
                started = time.perf_counter()
                hits = searcher.run("synthetic", mode, options, embedding=v)
                latencies.append((time.perf_counter() - started) * 1000)
                full += len(hits) == min(10, admitted)
                if recall and mode == "semantic":
                    with conn.transaction():
                        conn.execute("SET LOCAL enable_indexscan = off")
                        conn.execute("SET LOCAL enable_bitmapscan = off")
                        truth = [r[0] for r in conn.execute(truth_sql, {**filter_params, "v": v})]
                    recalls.append(len({h.doc_id for h in hits} & set(truth)) / max(1, len(truth)))
            latencies.sort()
            row = {"p50_ms": round(statistics.median(latencies), 1),
                   "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1), "k_rows": full / len(vectors)}
            if recalls:
                row["recall_at_10"] = round(statistics.fmean(recalls), 3)
            results[f"{mode} {label}"] = row
            log(f"  {mode} {label}: {row}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, help="PGVSEARCH home of the private server (kept; reused)")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--recall", action="store_true", help="recall@10 of semantic answers against the exact filtered top 10")
    parser.add_argument("--exact-filter-chunks", type=int, help="pgvsearch.exact_filter_chunks for the session")
    args = parser.parse_args()

    import psycopg

    from pgvsearch.store import start_server, stop_server

    home = (args.home or Path(tempfile.mkdtemp(prefix="pgvsearch-filters-"))).resolve()
    server = start_server(home / "pgdata")
    options = f"-c pgvsearch.exact_filter_chunks={args.exact_filter_chunks}" if args.exact_filter_chunks is not None else ""
    try:
        with psycopg.connect(server.conninfo(), autocommit=True, options=options) as conn:
            conn.execute("SET client_min_messages = warning")
            coll, load = loaded(conn, args.chunks)
            results = measure(conn, coll, args.queries, args.recall)
    finally:
        if args.home is None:  # a temporary server: stopped and deleted
            stop_server(home / "pgdata")
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps({"chunks": args.chunks, "load": load, "cpus": os.cpu_count(),
                      "exact_filter_chunks": args.exact_filter_chunks, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
