"""Invariants a collection must satisfy after anything: a crash, a signal, a refused input.

``check_consistency(conn, coll)`` asserts them all in SQL against the real database and
returns a few counts; ``snapshot(conn, coll)`` describes the stored documents so that two
collections fed the same folder can be compared (an interrupted-then-resumed ingest must
end exactly where a clean one does).
"""

from __future__ import annotations

import time
from typing import Any

from psycopg import sql

EXPECTED_INDEXES = {
    "documents_pkey", "documents_doc_id_key", "documents_source_ids_idx", "documents_doc_id_ids_idx", "chunks_pkey",
    "chunks_document_id_position_key", "chunks_embedding_idx", "chunks_tsv_idx", "postings_pkey",
    "postings_document_idx", "stats_pkey", "document_pairs_pkey",
}


def _rows(conn: Any, query: str, schema: str, params: Any = None) -> list[Any]:
    return conn.execute(sql.SQL(query).format(s=sql.Identifier(schema)), params).fetchall()


def _lock_holders(conn: Any, key: int | None) -> list[Any]:
    """Advisory locks held by other sessions in this database (one key, or any)."""
    query = (
        "SELECT l.pid, l.classid::int8, l.objid::int8, l.objsubid, a.application_name FROM pg_locks l "
        "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.pid <> pg_backend_pid()"
    )
    rows = conn.execute(query).fetchall()
    if key is None:
        return rows
    return [r for r in rows if r[3] == 1 and (r[1] << 32 | r[2]) == key]


def wait_for_no_advisory_lock(conn: Any, key: int | None = None, timeout: float = 15.0) -> None:
    """A killed client's backend needs a moment to notice and exit (releasing its locks)."""
    deadline = time.monotonic() + timeout
    holders = _lock_holders(conn, key)
    while holders and time.monotonic() < deadline:
        time.sleep(0.1)
        holders = _lock_holders(conn, key)
    assert not holders, f"advisory lock(s) left behind: {holders}"


def check_consistency(conn: Any, coll: Any, *, locks: bool = True, vector_index: bool = True) -> dict[str, int]:
    """Assert every storage invariant of ``coll``; returns {"documents": n, "chunks": n}.

    With ``locks`` (the default) it also waits briefly for, then asserts, the absence of any
    advisory lock held by another session; pass ``locks=False`` to check a collection while
    an ingest is still running (only committed documents are visible, and they must be whole).
    ``vector_index=False`` accepts a missing HNSW index: a first load into an empty collection
    builds it at the end, so it is absent while that load runs and after it was killed (the
    next ingest builds it).
    """
    s = coll.schema
    problems: dict[str, Any] = {}

    def expect_none(label: str, query: str, params: Any = None) -> None:
        rows = _rows(conn, query, s, params)
        if rows:
            problems[label] = rows[:5]

    registered = conn.execute(
        "SELECT schema_name, dimension, storage FROM pgvsearch.collections WHERE name = %s", (coll.name,)
    ).fetchall()
    assert registered == [(s, coll.dimension, coll.storage)], f"registry row for {coll.name!r}: {registered}"

    expect_none("orphan chunks", "SELECT c.id FROM {s}.chunks c WHERE NOT EXISTS (SELECT 1 FROM {s}.documents d WHERE d.id = c.document_id)")
    expect_none("orphan postings", "SELECT p.term, p.document_id FROM {s}.postings p WHERE NOT EXISTS (SELECT 1 FROM {s}.documents d WHERE d.id = p.document_id)")
    expect_none("duplicate doc_ids", "SELECT doc_id, count(*) FROM {s}.documents GROUP BY doc_id HAVING count(*) > 1")
    expect_none("duplicate chunk positions", "SELECT document_id, position FROM {s}.chunks GROUP BY 1, 2 HAVING count(*) > 1")
    # A document is whole or absent: chunk_count says how many chunks it has, positions 0..n-1.
    expect_none(
        "partial documents",
        "SELECT d.doc_id, d.chunk_count, c.n, c.lo, c.hi FROM {s}.documents d "
        "LEFT JOIN (SELECT document_id, count(*) AS n, min(position) AS lo, max(position) AS hi "
        "           FROM {s}.chunks GROUP BY document_id) c ON c.document_id = d.id "
        "WHERE d.chunk_count < 1 OR c.n IS DISTINCT FROM d.chunk_count::int8 OR c.lo <> 0 OR c.hi <> c.n - 1",
    )
    expect_none("empty chunks", "SELECT id FROM {s}.chunks WHERE btrim(content, E' \\t\\r\\n') = ''")
    vector = "embedding" if coll.storage == "vector" else "embedding::vector"
    expect_none(
        "bad vectors",
        "SELECT id, vector_dims(" + vector + ") FROM {s}.chunks "
        "WHERE vector_dims(" + vector + ") <> %(dim)s "
        "   OR EXISTS (SELECT 1 FROM unnest((" + vector + ")::real[]) AS x "
        "              WHERE x = 'NaN'::real OR x = 'Infinity'::real OR x = '-Infinity'::real) "
        "   OR vector_norm(" + vector + ") = 0",
        {"dim": coll.dimension},
    )
    # BM25 bookkeeping: doc_length is the sum of its postings, stats the sum over documents.
    expect_none(
        "document lengths",
        "SELECT d.doc_id, d.doc_length, p.total, p.lo, p.hi FROM {s}.documents d "
        "LEFT JOIN (SELECT document_id, sum(tf) AS total, min(doc_length) AS lo, max(doc_length) AS hi "
        "           FROM {s}.postings GROUP BY document_id) p ON p.document_id = d.id "
        "WHERE coalesce(p.total, 0) <> d.doc_length OR p.lo <> p.hi OR p.lo <> d.doc_length",
    )
    expect_none(
        "stats",
        "SELECT st.n_docs, st.total_length, st.n_chunks, t.n, t.total, t.chunks FROM {s}.stats st, "
        "(SELECT count(*) AS n, coalesce(sum(doc_length), 0) AS total, "
        "        (SELECT count(*) FROM {s}.chunks) AS chunks FROM {s}.documents) t "
        "WHERE (st.n_docs, st.total_length, st.n_chunks) IS DISTINCT FROM (t.n, t.total::int8, t.chunks)",
    )
    # The narrow filter's pairs (sql/create_filter_indexes.sql): exactly each document's
    # metadata pairs, with its chunk count.
    expect_none(
        "document pairs",
        "(SELECT p.pair, p.document_id, p.chunk_count FROM {s}.document_pairs p "
        " EXCEPT ALL SELECT e.pair, d.id, d.chunk_count FROM {s}.documents d, unnest({s}.metadata_pairs(d.metadata)) e (pair)) "
        "UNION ALL "
        "(SELECT e.pair, d.id, d.chunk_count FROM {s}.documents d, unnest({s}.metadata_pairs(d.metadata)) e (pair) "
        " EXCEPT ALL SELECT p.pair, p.document_id, p.chunk_count FROM {s}.document_pairs p)",
    )
    stats_rows = _rows(conn, "SELECT count(*) FROM {s}.stats", s)[0][0]
    if stats_rows != 1:
        problems["stats rows"] = stats_rows
    indexes = conn.execute(
        "SELECT c.relname, i.indisvalid AND i.indisready AND i.indislive FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
        (s,),
    ).fetchall()
    invalid = [name for name, ok in indexes if not ok]
    missing = EXPECTED_INDEXES - {name for name, _ in indexes} - (set() if vector_index else {"chunks_embedding_idx"})
    if invalid or missing:
        problems["indexes"] = {"invalid": invalid, "missing": sorted(missing)}
    assert not problems, f"collection {coll.name!r} is inconsistent: {problems}"
    if locks:
        wait_for_no_advisory_lock(conn)
    documents, chunks = _rows(conn, "SELECT (SELECT count(*) FROM {s}.documents), (SELECT count(*) FROM {s}.chunks)", s)[0]
    return {"documents": documents, "chunks": chunks}


def snapshot(conn: Any, coll: Any) -> dict[str, tuple[str, int, str]]:
    """doc_id -> (content hash, chunk count, digest of the chunk texts in order)."""
    rows = _rows(
        conn,
        "SELECT d.doc_id, d.content_hash, d.chunk_count, "
        "       md5(string_agg(c.context || E'\\x1f' || c.content, E'\\x1e' ORDER BY c.position)) "
        "FROM {s}.documents d JOIN {s}.chunks c ON c.document_id = d.id GROUP BY d.id",
        coll.schema,
    )
    return {doc_id: (digest, n, text) for doc_id, digest, n, text in rows}


def document_count(conn: Any, coll: Any) -> int:
    return int(_rows(conn, "SELECT count(*) FROM {s}.documents", coll.schema)[0][0])
