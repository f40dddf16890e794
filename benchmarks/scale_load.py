"""Loading the synthetic collection of benchmarks/scale.py, or reusing one it kept (--keep,
--home): the load as ``pgvsearch ingest`` does it, the kept state file, --from-vector and
--rebuild, and the sizes of what was stored."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import psycopg
from psycopg import sql

from pgvsearch.ingest import write_batch
from pgvsearch.store import Collection, build_vector_index, drop_vector_index, get_collection
from scale_data import VectorSpace, Vocabulary, data_params, documents
from scale_exact import qualified
from scale_report import log


def load(conn: psycopg.Connection[Any], coll: Collection, rng: np.random.Generator, vocab: Vocabulary,
         space: VectorSpace, n: int) -> dict[str, Any]:
    """Load n documents as `pgvsearch ingest` loads an empty collection: HNSW index dropped,
    built once after the load (pgvsearch.store.build_vector_index); then VACUUM ANALYZE."""
    drop_vector_index(conn, coll)
    started = time.perf_counter()
    generate_seconds = 0.0
    done = 0
    batches = documents(rng, vocab, space, n)
    while True:
        t0 = time.perf_counter()
        batch = next(batches, None)
        generate_seconds += time.perf_counter() - t0
        if batch is None:
            break
        write_batch(conn, coll, batch)
        done += len(batch.documents)
        if done % 10_000 == 0 or done == n:
            log(f"  loaded {done:,}/{n:,} documents ({time.perf_counter() - started:.0f} s)")
    load_seconds = time.perf_counter() - started

    index_seconds, definition = timed_index_build(conn, coll)
    assert definition, "chunks_embedding_idx was not built"
    log(f"  HNSW index built in {index_seconds:.1f} s")

    started = time.perf_counter()
    for table in ("documents", "chunks", "postings", "stats", "document_pairs"):
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(qualified(coll, table)))
    vacuum_seconds = time.perf_counter() - started
    return {
        "load_s": round(load_seconds, 2),
        "generate_s": round(generate_seconds, 2),
        "load_rows_per_s": round(n / load_seconds, 1),
        "hnsw_build_s": round(index_seconds, 2),
        "vacuum_analyze_s": round(vacuum_seconds, 2),
        "index_definition": definition,
        "index_build_settings": "pgvsearch.store.build_vector_index: maintenance_work_mem sized to the chunks "
                                "(<= 2 GiB), the server's max_parallel_maintenance_workers",
    }


def kept_state(home: Path | None, name: str) -> Path | None:
    return None if home is None else home / f"{name}.json"


def reusable(conn: psycopg.Connection[Any], name: str, n: int, state_file: Path | None, seed: int) -> tuple[Collection, dict[str, Any]] | None:
    """The kept collection and its load report, if it is complete and made with this seed and generator."""
    if state_file is None or not state_file.exists():
        return None
    state = json.loads(state_file.read_text(encoding="utf-8"))
    coll = get_collection(conn, name)
    if coll is None or state.get("seed") != seed or state.get("data") != data_params():
        return None
    counts = conn.execute(
        sql.SQL("SELECT (SELECT count(*) FROM {}), (SELECT count(*) FROM {}), to_regclass(%s) IS NOT NULL").format(
            qualified(coll, "documents"), qualified(coll, "chunks")),
        (qualified(coll, "chunks_embedding_idx").as_string(conn),)).fetchone()
    if counts != (n, n, True):
        log(f"  kept collection {name!r} is incomplete ({counts}): loading again")
        return None
    return coll, state["load"]


def convert_kept_vector(conn: psycopg.Connection[Any], args: argparse.Namespace, n: int, name: str) -> Collection | None:
    """--from-vector: the kept ``scale_<N>`` (vector storage) becomes ``name`` with binary storage
    instead of loading the same rows again: renamed (registry row and schema), its HNSW index
    replaced by the bit index build_vector_index builds for binary storage, timed. The rows (and
    their full vectors) are the same, so the load figures are the vector load's."""
    source = f"scale_{n}"
    kept = reusable(conn, source, n, kept_state(args.home, source), args.seed)
    if kept is None:
        return None
    _, load_report = kept
    log(f"[{n:,} chunks] converting the kept collection {source!r} to {name!r} ({args.storage} storage, same rows)")
    with conn.transaction():
        conn.execute("UPDATE pgvsearch.collections SET name = %s, schema_name = %s, storage = %s WHERE name = %s",
                      (name, f"pgvs_{name}", args.storage, source))
        conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(f"pgvs_{source}"), sql.Identifier(f"pgvs_{name}")))
    coll = get_collection(conn, name)
    assert coll is not None and coll.storage == args.storage
    drop_vector_index(conn, coll)
    seconds, definition = timed_index_build(conn, coll)
    log(f"  {args.storage} HNSW index built in {seconds:.1f} s: {definition}")
    write_state(args, name, {**load_report, "hnsw_build_s": round(seconds, 2), "index_definition": definition,
                             "converted_from": source})
    kept_state(args.home, source).unlink(missing_ok=True)  # type: ignore[union-attr]
    return coll


def timed_index_build(conn: psycopg.Connection[Any], coll: Collection) -> tuple[float, str | None]:
    """build_vector_index, as ingest builds the index: its seconds and the index's definition."""
    started = time.perf_counter()
    build_vector_index(conn, coll)
    seconds = time.perf_counter() - started
    row = conn.execute("SELECT pg_get_indexdef(to_regclass(%s))", (qualified(coll, "chunks_embedding_idx").as_string(conn),)).fetchone()
    return seconds, row[0] if row else None


def write_state(args: argparse.Namespace, name: str, load_report: dict[str, Any]) -> None:
    kept_state(args.home, name).write_text(  # type: ignore[union-attr]
        json.dumps({"seed": args.seed, "data": data_params(), "load": load_report}, indent=2) + "\n", encoding="utf-8")


def rebuild_kept(conn: psycopg.Connection[Any], coll: Collection, args: argparse.Namespace, name: str,
                 load_report: dict[str, Any]) -> dict[str, Any]:
    """--rebuild: bring a kept collection to what this version writes, as a user upgrading would:
    its HNSW index dropped, its chunks rewritten (VACUUM FULL, so that the rows take this
    version's column storage), the index built again by build_vector_index (with this version's
    parameters, timed: it becomes the load's hnsw_build_s), then ANALYZE. The state file records it."""
    drop_vector_index(conn, coll)
    started = time.perf_counter()
    conn.execute(sql.SQL("VACUUM (FULL, ANALYZE) {}").format(qualified(coll, "chunks")))
    rewrite_seconds = time.perf_counter() - started
    log(f"  chunks rewritten in {rewrite_seconds:.1f} s")
    seconds, definition = timed_index_build(conn, coll)
    log(f"  HNSW index built again in {seconds:.1f} s: {definition}")
    load_report = {**load_report, "hnsw_build_s": round(seconds, 2), "index_definition": definition,
                   "rebuilt": {"chunks_rewrite_s": round(rewrite_seconds, 2), "hnsw_build_s": round(seconds, 2),
                               "first_hnsw_build_s": load_report.get("hnsw_build_s")}}
    write_state(args, name, load_report)
    return load_report


def vectors_reader(conn: psycopg.Connection[Any], coll: Collection) -> Callable[[list[str]], np.ndarray]:
    statement = sql.SQL(
        "SELECT d.doc_id, c.embedding::vector FROM {} AS c JOIN {} AS d ON d.id = c.document_id WHERE d.doc_id = ANY(%s)"
    ).format(qualified(coll, "chunks"), qualified(coll, "documents"))

    def vectors_of(doc_ids: list[str]) -> np.ndarray:
        found = {doc_id: np.asarray(vec.to_numpy(), dtype=np.float32) for doc_id, vec in conn.execute(statement, (doc_ids,)).fetchall()}
        return np.stack([found[d] for d in doc_ids])

    return vectors_of


def storage_bytes(conn: psycopg.Connection[Any], coll: Collection) -> dict[str, int]:
    def size(function: str, name: str) -> int:
        row = conn.execute(sql.SQL("SELECT coalesce({}(to_regclass(%s)), 0)").format(sql.Identifier(function)),
                           (qualified(coll, name).as_string(conn),)).fetchone()
        return int(row[0]) if row else 0

    chunks_total = size("pg_total_relation_size", "chunks")
    sizes = {
        "chunks_table": size("pg_table_size", "chunks"),
        "hnsw": size("pg_relation_size", "chunks_embedding_idx"),
        "gin": size("pg_relation_size", "chunks_tsv_idx"),
        "documents": size("pg_total_relation_size", "documents"),
        "postings": size("pg_total_relation_size", "postings"),
        "lexicon": size("pg_total_relation_size", "lexicon"),
        "document_pairs": size("pg_total_relation_size", "document_pairs"),
    }
    sizes["chunks_other_indexes"] = chunks_total - sizes["chunks_table"] - sizes["hnsw"] - sizes["gin"]
    sizes["total"] = (chunks_total + sizes["documents"] + sizes["postings"] + sizes["lexicon"] + sizes["document_pairs"]
                      + size("pg_total_relation_size", "stats"))
    return sizes
