"""The exact answers benchmarks/scale.py measures recall against, and the raw index searches:
exact (filtered) nearest neighbours by sequential scan, recall@10 and the share of queries
answered with k rows, plain HNSW searches at several ef_search, and the halfvec and
binary-quantized index variants (built, measured, dropped)."""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Any, Sequence

import psycopg
from psycopg import sql

from pgvsearch.store import Collection
from scale_data import DIMENSION, SyntheticQuery
from scale_report import log, mb, summarize

K = 10
BINARY_POOLS = (4 * K, 10 * K)
EXACT_SETTINGS = {"enable_indexscan": "off", "enable_bitmapscan": "off"}


def qualified(coll: Collection, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(coll.schema), sql.Identifier(name))


def filter_clause(kind: str | None) -> str:
    """The same semantics as SearchOptions.prefix and SearchOptions.metadata."""
    if kind is None:
        return ""
    condition = {
        "prefix": "starts_with(d.doc_id, %(prefix)s) OR starts_with(d.source, %(prefix)s)",
        "meta": "d.metadata ->> %(key)s = %(value)s",
    }[kind]
    return f"WHERE c.document_id IN (SELECT d.id FROM {{documents}} AS d WHERE {condition})"


def nearest_statement(coll: Collection, kind: str | None) -> sql.Composed:
    return sql.SQL(
        "SELECT d.doc_id FROM (SELECT c.document_id, c.embedding <=> %(embedding)s::vector AS distance, c.id "
        "FROM {chunks} AS c " + filter_clause(kind) + " "
        "ORDER BY c.embedding <=> %(embedding)s::vector LIMIT %(k)s) AS nn "
        "JOIN {documents} AS d ON d.id = nn.document_id ORDER BY nn.distance, nn.id"
    ).format(chunks=qualified(coll, "chunks"), documents=qualified(coll, "documents"))


def run_nearest(conn: psycopg.Connection[Any], statement: sql.Composable, params: dict[str, Any],
                settings: dict[str, str], explain: bool = False) -> tuple[list[str], float, str]:
    with conn.transaction():
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        plan = ""
        if explain:
            rows = conn.execute(sql.SQL("EXPLAIN ") + statement, params).fetchall()
            plan = "\n".join(r[0] for r in rows)
        started = time.perf_counter()
        ids = [r[0] for r in conn.execute(statement, params).fetchall()]
        return ids, time.perf_counter() - started, plan


def query_params(query: SyntheticQuery, filter_key: tuple[str, str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {"embedding": query.embedding, "k": K}
    if filter_key is not None:
        params.update(query.filters[filter_key].params())
    return params


def exact_neighbours(conn: psycopg.Connection[Any], coll: Collection, queries: Sequence[SyntheticQuery],
                     filter_key: tuple[str, str] | None) -> tuple[list[list[str]], str]:
    """The exact top k (sequential scans: no HNSW, no other index), under the filter if any."""
    statement = nearest_statement(coll, None if filter_key is None else filter_key[0])
    results, plan = [], ""
    for i, q in enumerate(queries):
        ids, _, text = run_nearest(conn, statement, query_params(q, filter_key), EXACT_SETTINGS, explain=(i == 0))
        if i == 0:
            plan = text
            if "chunks_embedding_idx" in plan:
                raise RuntimeError(f"the exact query used the HNSW index:\n{plan}")
        results.append(ids)
    return results, short_plan(plan)


def exact_answers(conn: psycopg.Connection[Any], coll: Collection, queries: Sequence[SyntheticQuery],
                  filter_keys: Sequence[tuple[str, str]], *, cache: Path | None, key: dict[str, Any]) -> tuple[
                      list[list[str]], dict[tuple[str, str], list[list[str]]], str]:
    """The exact top k, unfiltered and under each filter (sequential scans: ~17 minutes at 1M), and
    the plan. With ``cache`` (scale.py --keep: ``<name>.exact.json`` beside the collection) they
    are read from there when ``key`` (load, seed, data, queries) matches, else written there, so
    that measuring a kept collection again takes minutes."""
    if cache is not None and cache.exists():
        kept = json.loads(cache.read_text(encoding="utf-8"))
        if kept.get("key") == key:
            log(f"  exact top-{K}: kept from an earlier run of this load ({cache.name})")
            return kept["truth"], {fk: kept["filtered"][" ".join(fk)] for fk in filter_keys}, kept["plan"]
    log(f"  exact top-{K} for {len(queries)} queries, unfiltered and under {len(filter_keys)} filters (sequential scans)")
    truth, plan = exact_neighbours(conn, coll, queries, None)
    filtered = {fk: exact_neighbours(conn, coll, queries, fk)[0] for fk in filter_keys}
    if cache is not None:
        cache.write_text(json.dumps({"key": key, "truth": truth, "plan": plan,
                                     "filtered": {" ".join(fk): ids for fk, ids in filtered.items()}}) + "\n", encoding="utf-8")
    return truth, filtered, plan


def short_plan(plan: str) -> str:
    """EXPLAIN text without the 384 numbers of each vector literal."""
    return re.sub(r"'\[[^']*\]'::(vector|halfvec)", r"'[...]'::\1", plan)


def recall(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]]) -> float:
    """Mean share of the exact top k found; a query that nothing matches counts as 1 (nothing to miss)."""
    return round(statistics.fmean(len(set(f[:K]) & set(t[:K])) / min(K, len(t)) if t else 1.0 for f, t in zip(found, truth)), 4)


def k_rows_share(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]]) -> float:
    """Share of queries that returned k rows, or every match when fewer than k documents match."""
    return round(statistics.fmean(len(f) >= min(K, len(t)) for f, t in zip(found, truth)), 4)


def raw_knn(conn: psycopg.Connection[Any], coll: Collection, queries: Sequence[SyntheticQuery],
            truth: Sequence[Sequence[str]], ef_values: Sequence[int]) -> tuple[dict[str, Any], str]:
    statement = nearest_statement(coll, None)
    by_ef: dict[str, Any] = {}
    ann_plan = ""
    for ef in sorted(set(ef_values)):
        found, seconds, uses_index = [], [], False
        for i, q in enumerate(queries):
            ids, elapsed, plan = run_nearest(conn, statement, query_params(q, None),
                                             {"hnsw.ef_search": str(ef), "hnsw.iterative_scan": "off"}, explain=(i == 0))
            if plan:
                # On a small table the planner may prefer an exact sequential scan at a large ef_search.
                uses_index = "chunks_embedding_idx" in plan
                ann_plan = ann_plan or (plan if uses_index else "")
            found.append(ids)
            seconds.append(elapsed)
        by_ef[str(ef)] = {"recall_at_10": recall(found, truth), "uses_hnsw_index": uses_index, **summarize(seconds)}
    return by_ef, short_plan(ann_plan)


# --- storage variants ------------------------------------------------------------------


def storage_variants(conn: psycopg.Connection[Any], coll: Collection, queries: Sequence[SyntheticQuery],
                     truth: Sequence[Sequence[str]], ef: int, n: int, hnsw_bytes: int,
                     vector_knn: dict[str, Any]) -> dict[str, Any]:
    """halfvec and binary-quantized expression HNSW indexes on the loaded chunks, measured as
    pgvector's README queries them, then dropped. ``vector`` is the collection's own index."""
    chunks, docs = qualified(coll, "chunks"), qualified(coll, "documents")
    dim = sql.Literal(DIMENSION)
    indexes = {
        "halfvec": ("scale_halfvec_idx", sql.SQL("((embedding::halfvec({d})) halfvec_cosine_ops)").format(d=dim)),
        "binary": ("scale_binary_idx", sql.SQL("((binary_quantize(embedding)::bit({d})) bit_hamming_ops)").format(d=dim)),
    }
    halfvec_query = sql.SQL(
        "SELECT d.doc_id FROM (SELECT c.document_id, c.id, c.embedding::halfvec({d}) <=> %(embedding)s::halfvec({d}) AS distance "
        "FROM {chunks} AS c ORDER BY c.embedding::halfvec({d}) <=> %(embedding)s::halfvec({d}) LIMIT %(k)s) AS nn "
        "JOIN {docs} AS d ON d.id = nn.document_id ORDER BY nn.distance, nn.id"
    ).format(d=dim, chunks=chunks, docs=docs)
    binary_query = sql.SQL(
        "SELECT d.doc_id FROM (SELECT c.document_id, c.id, c.embedding <=> %(embedding)s::vector AS distance "
        "FROM (SELECT id, document_id, embedding FROM {chunks} "
        "ORDER BY binary_quantize(embedding)::bit({d}) <~> binary_quantize(%(embedding)s::vector) LIMIT %(pool)s) AS c "
        "ORDER BY distance, c.id LIMIT %(k)s) AS nn JOIN {docs} AS d ON d.id = nn.document_id ORDER BY nn.distance, nn.id"
    ).format(d=dim, chunks=chunks, docs=docs)

    # The variants are built with the collection's own index parameters (m, ef_construction),
    # read from its definition, so that only the representation differs.
    row = conn.execute("SELECT pg_get_indexdef(to_regclass(%s))", (qualified(coll, "chunks_embedding_idx").as_string(conn),)).fetchone()
    found = re.search(r"WITH \((.*)\)\s*$", row[0] if row and row[0] else "")
    index_options = sql.SQL(" WITH ({})".format(found.group(1))) if found else sql.SQL("")
    result: dict[str, Any] = {"vector": {
        "index_mb": mb(hnsw_bytes), "index_bytes_per_chunk": round(hnsw_bytes / n, 1), "build_s": None,
        "p50_ms": vector_knn["p50_ms"], "p95_ms": vector_knn["p95_ms"], "recall_at_10": vector_knn["recall_at_10"],
        "uses_index": vector_knn["uses_hnsw_index"], "ef_search": ef}}
    try:
        built: dict[str, tuple[float, int]] = {}
        for variant, (name, definition) in indexes.items():
            log(f"  building the {variant} expression index")
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(qualified(coll, name)))  # left by an interrupted run
                conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
                conn.execute(sql.SQL("CREATE INDEX {} ON {} USING hnsw {}{}").format(sql.Identifier(name), chunks, definition, index_options))
            seconds = time.perf_counter() - started
            row = conn.execute("SELECT pg_relation_size(to_regclass(%s))", (qualified(coll, name).as_string(conn),)).fetchone()
            built[variant] = (seconds, int(row[0]) if row else 0)
        runs = [("halfvec", "halfvec", halfvec_query, K)] + [
            (f"binary_rerank_{pool}", "binary", binary_query, pool) for pool in BINARY_POOLS]
        for label, variant, statement, pool in runs:
            index_name = indexes[variant][0]
            settings = {"hnsw.ef_search": str(max(ef, pool)), "hnsw.iterative_scan": "off"}
            found, seconds_list, uses_index = [], [], False
            for i, q in enumerate(queries):
                ids, elapsed, plan = run_nearest(conn, statement, {"embedding": q.embedding, "k": K, "pool": pool},
                                                 settings, explain=(i == 0))
                if plan:
                    uses_index = index_name in plan
                found.append(ids)
                seconds_list.append(elapsed)
            build_s, size = built[variant]
            timing = summarize(seconds_list)
            result[label] = {"index_mb": mb(size), "index_bytes_per_chunk": round(size / n, 1), "build_s": round(build_s, 2),
                             "p50_ms": timing["p50_ms"], "p95_ms": timing["p95_ms"], "recall_at_10": recall(found, truth),
                             "uses_index": uses_index, "ef_search": max(ef, pool)}
            log(f"  {label}: recall@10 {result[label]['recall_at_10']}, p50 {timing['p50_ms']} ms")
    finally:
        for name, _ in indexes.values():
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(qualified(coll, name)))
    return result
