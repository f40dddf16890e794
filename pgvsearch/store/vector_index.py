"""The HNSW index of a collection's chunks: whether it exists, dropping it before a bulk load,
building it (sized to fit in memory), and repairing it when a load was killed before its end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .collections import Collection, lock_key
from .sql import sql_statement

if TYPE_CHECKING:
    import psycopg

# What pgvector's HNSW build keeps in memory per vector besides the vector itself (the
# neighbour lists of m = 16: 32 on layer 0, fewer above), with room to spare. A build whose
# graph outgrows maintenance_work_mem goes on much more slowly (pgvector says so in a notice).
_HNSW_BYTES_PER_ROW = 1024
_MAX_BUILD_MEMORY = 2 * 1024**3


def vector_index_ddl(coll: Collection) -> "psycopg.sql.Composed":
    """``CREATE INDEX IF NOT EXISTS`` of the collection's HNSW index (cosine, for its storage type)."""
    from psycopg import sql as psql

    if coll.storage == "binary":
        # The expression must be the one sql/nearest_chunks_binary.sql orders by, for the index to serve it.
        indexed = psql.SQL("(binary_quantize(embedding)::bit({}))").format(psql.Literal(coll.dimension))
        ops = psql.SQL("bit_hamming_ops")
    else:
        indexed = psql.SQL("embedding")
        ops = psql.SQL("halfvec_cosine_ops" if coll.storage == "halfvec" else "vector_cosine_ops")
    return sql_statement("create_vector_index", schema=coll.schema, indexed=indexed, ops=ops)


def vector_index_exists(conn: "psycopg.Connection[Any]", coll: Collection) -> bool:
    from psycopg import sql as psql
    from psycopg.rows import dict_row

    name = psql.Identifier(coll.schema, "chunks_embedding_idx").as_string(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(sql_statement("vector_index_exists"), {"index": name}).fetchone()
    return bool(row and row["present"])


def drop_vector_index(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Drop the HNSW index before a bulk load; :func:`build_vector_index` makes it again."""
    with conn.transaction():
        conn.execute(sql_statement("drop_vector_index", schema=coll.schema))


def repair_vector_index(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Build the HNSW index if it is missing (a first load was killed before its end), unless
    an ingest of the collection is running: that ingest builds it when it ends."""
    if vector_index_exists(conn, coll):
        return
    key = lock_key(coll.name)
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    if not row or not row[0]:
        return
    try:
        build_vector_index(conn, coll)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def build_vector_index(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Build the HNSW index if it is missing, with maintenance_work_mem raised (for this
    transaction only, up to 2 GiB) so that the graph of every chunk fits in memory."""
    import psycopg

    if vector_index_exists(conn, coll):
        return
    try:
        _build(conn, coll, parallel=True)
    except psycopg.Error as exc:
        # A parallel build keeps its graph in shared memory, which a container may have little of
        # (Docker's default /dev/shm is 64 MB): build again in the backend's own memory.
        if getattr(exc, "sqlstate", None) not in ("53100", "53200") or conn.broken:
            raise
        _build(conn, coll, parallel=False)


def _build(conn: "psycopg.Connection[Any]", coll: Collection, *, parallel: bool) -> None:
    import psycopg
    from psycopg.rows import dict_row

    with conn.transaction():
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(sql_statement("vector_index_build_memory", schema=coll.schema)).fetchone()
        assert row is not None
        rows, current = int(row["chunks"]), int(row["maintenance_work_mem_bytes"])
        vector_bytes = {"halfvec": coll.dimension * 2, "binary": coll.dimension // 8 + 1}.get(coll.storage, coll.dimension * 4)
        wanted = min(_MAX_BUILD_MEMORY, rows * (vector_bytes + _HNSW_BYTES_PER_ROW) * 5 // 4)
        if wanted > current:
            conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (f"{wanted // 1024}kB",))
        if not parallel:
            conn.execute("SELECT set_config('max_parallel_maintenance_workers', '0', true)")
        if conn.info.server_version >= 140000:
            # If this client dies (SIGKILL) mid-build, the server stops the build within a second
            # instead of finishing it for nobody while holding the collection's ingest lock.
            # (Not every platform supports the check: then the build goes on without it.)
            try:
                with conn.transaction():
                    conn.execute("SELECT set_config('client_connection_check_interval', '1000', true)")
            except psycopg.Error:
                pass
        conn.execute(vector_index_ddl(coll))
