"""Sizing a machine for a collection: bytes per table and index, whether the HNSW index fits in
the server's memory (and the setting to change when not), and what the server's pgvector lacks.

The advice is only ever printed: a user's server is never reconfigured (the embedded one is
configured once, at its first start: :mod:`.server_settings`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .collections import ITERATIVE_SCAN_PGVECTOR, Collection, parse_version
from .sql import sql_statement

if TYPE_CHECKING:
    import psycopg

FIXED_PGVECTOR = (0, 8, 4)
"""0.8.3 and 0.8.4 fixed HNSW index corruption during VACUUM and the repair of its graph."""
UPGRADE_TO = "0.8.5"


def pgvector_advice(version: tuple[int, ...]) -> str | None:
    """One line for a server whose pgvector lacks fixes or features pgvsearch uses, else None."""
    shown = ".".join(map(str, version))
    if version < ITERATIVE_SCAN_PGVECTOR:
        return (
            f"pgvector {shown} has no iterative index scans (0.8.0): a filtered semantic search that admits many "
            f"chunks may rank fewer candidates, and exact scans stand in for it; upgrade pgvector to {UPGRADE_TO} "
            "(then ALTER EXTENSION vector UPDATE)"
        )
    if version < FIXED_PGVECTOR:
        return (
            f"pgvector {shown} lacks the HNSW fixes of 0.8.3 and 0.8.4 (index corruption during VACUUM, graph "
            f"repair); upgrade pgvector to {UPGRADE_TO} (then ALTER EXTENSION vector UPDATE)"
        )
    return None


def collection_sizes(
    conn: "psycopg.Connection[Any]", coll: Collection, *, chunks: int, hnsw_bytes: int | None, embedded: bool
) -> dict[str, Any]:
    """Bytes per table and index, bytes per chunk, the memory settings and the advice of
    ``status`` (``chunks`` and ``hnsw_bytes`` as ``collection_status`` found them)."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql_statement("collection_sizes"), {"schema_name": coll.schema}).fetchall()
    tables = {r["table_name"]: r for r in rows}
    n_chunks = chunks
    first = rows[0] if rows else {}
    shared_buffers = first.get("shared_buffers_bytes")
    total = sum(r["heap_bytes"] + r["index_bytes"] for r in rows)
    sizes: dict[str, Any] = {}
    for name in ("documents", "chunks", "postings"):
        if name in tables:
            sizes[f"{name}_heap_bytes"] = tables[name]["heap_bytes"]
            sizes[f"{name}_indexes_bytes"] = tables[name]["index_bytes"]
    sizes["total_bytes"] = total
    sizes["bytes_per_chunk"] = round(total / n_chunks) if n_chunks else None
    sizes["shared_buffers_bytes"] = shared_buffers
    sizes["hnsw_fits_shared_buffers"] = None if hnsw_bytes is None or shared_buffers is None else hnsw_bytes <= shared_buffers
    sizes["memory_advice"] = memory_advice(hnsw_bytes, shared_buffers, first.get("effective_cache_size_bytes"), embedded=embedded)
    version = parse_version(first["pgvector"]) if first.get("pgvector") else None
    sizes["pgvector"] = first.get("pgvector")
    sizes["pgvector_advice"] = pgvector_advice(version) if version else None
    return sizes


def memory_advice(hnsw_bytes: int | None, shared_buffers: int | None, cache: int | None, *, embedded: bool) -> str | None:
    """What to change when the HNSW index does not fit in shared_buffers (None when it fits)."""
    if hnsw_bytes is None or shared_buffers is None or hnsw_bytes <= shared_buffers:
        return None
    want = _round_up(int(hnsw_bytes * 1.25))
    restart = "then `pgvsearch server stop` (it starts again on next use)" if embedded else "then restart PostgreSQL"
    line = (
        f"the HNSW index ({_mib(hnsw_bytes)}) does not fit in shared_buffers ({_mib(shared_buffers)}): semantic "
        f"searches read it from disk or the OS cache; set shared_buffers to at least {_mib(want)} "
        f"(ALTER SYSTEM SET shared_buffers = '{want // 1048576}MB'; {restart})"
    )
    if cache is not None and hnsw_bytes > cache:
        line += f"; effective_cache_size ({_mib(cache)}) is smaller too: the machine may need more memory"
    return line


def _round_up(n: int, step: int = 64 * 1048576) -> int:
    return -(-n // step) * step


def _mib(n: int) -> str:
    return f"{n / 1048576:,.0f} MiB" if n < 10 * 1073741824 else f"{n / 1073741824:,.1f} GiB"
