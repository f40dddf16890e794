"""The HNSW index around a bulk load: an empty collection loads without it (one build after the
load beats inserting every vector into the graph), then it is built with planner statistics."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..store import Collection, build_vector_index, drop_vector_index, sql_statement, vector_index_exists
from .report import IngestReport

if TYPE_CHECKING:
    import psycopg


def begin_bulk_load(conn: "psycopg.Connection[Any]", coll: Collection, *, empty: bool) -> bool:
    """Whether to build the HNSW index after this run: when the collection is empty its
    index is dropped first (one build after the load beats inserting every vector into the
    graph), and an index found missing (a bulk load killed before it finished) is rebuilt."""
    if empty:
        drop_vector_index(conn, coll)
        return True
    return not vector_index_exists(conn, coll)


def finish_bulk_load(conn: "psycopg.Connection[Any]", coll: Collection, report: IngestReport, *, failing: bool) -> None:
    """Build the HNSW index (and the planner statistics) after a bulk load. Runs after an
    interruption too, so that what was committed is indexed; when it cannot run, semantic
    search still works (exactly, by a scan) and the next ingest builds the index."""
    if conn.closed or conn.broken:
        return
    started = time.perf_counter()
    try:
        conn.rollback()
        build_vector_index(conn, coll)
        with conn.transaction():
            conn.execute(sql_statement("analyze_collection", schema=coll.schema))
    except KeyboardInterrupt:
        report.interrupted = True
        report.warnings.append({"path": coll.name, "warning": "vector index not built (interrupted); the next ingest builds it"})
        report.db_seconds += time.perf_counter() - started
        return
    except Exception:
        if not failing:
            raise
        return  # the error that stopped the run is the one to report
    elapsed = time.perf_counter() - started
    report.index_seconds += elapsed
    report.db_seconds += elapsed
