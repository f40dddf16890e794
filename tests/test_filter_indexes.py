"""The narrow filter's indexes (sql/create_filter_indexes.sql): the pattern indexes that carry
each document's id and chunk count, and the pairs table its triggers keep exact. How searches
read them is tested in tests/test_filtered_search.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import make_collection


def test_a_collection_from_before_the_filter_indexes_gets_them_on_its_first_search(
    conn: Any, settings: Any, embedder: Any, collection_name: str, tmp_path: Path
) -> None:
    """The pairs table and the pattern indexes with ids (sql/create_filter_indexes.sql) are made
    and filled from the documents before the first search by this version, then kept exact by
    the triggers as documents are inserted, updated and deleted."""
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher
    from pgvsearch.store import connect, get_collection

    coll = make_collection(conn, embedder, collection_name)
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(f"Kestrels hover over meadow {name}.\n")
    ingest_paths(conn, coll, embedder, [str(tmp_path)])
    s = f'"{coll.schema}"'
    # Analyzed after the bulk load with the other tables (reltuples -1: never).
    assert conn.execute(f"SELECT reltuples FROM pg_class WHERE oid = '{s}.document_pairs'::regclass").fetchone()[0] >= 0
    conn.execute(f"UPDATE {s}.documents SET metadata = '{{\"team\": \"red\", \"n\": 1}}' WHERE doc_id = 'a.txt'")
    conn.execute(f"UPDATE {s}.documents SET metadata = '{{\"team\": \"blue\"}}' WHERE doc_id = 'b.txt'")
    # What an earlier version made: no pairs, plain pattern indexes, functions of its own.
    conn.execute(f"DROP TABLE {s}.document_pairs")
    for event in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER documents_pairs_{event} ON {s}.documents")
    conn.execute(f"DROP FUNCTION {s}.maintain_pairs_per_statement()")
    conn.execute(f"DROP INDEX {s}.documents_source_ids_idx, {s}.documents_doc_id_ids_idx")
    conn.execute(f"CREATE INDEX documents_source_idx ON {s}.documents (source text_pattern_ops)")
    conn.execute(f"COMMENT ON FUNCTION {s}.hybrid_search IS 'from an older pgvsearch'")

    pairs = f"SELECT p.pair, d.doc_id, p.chunk_count FROM {s}.document_pairs p JOIN {s}.documents d ON d.id = p.document_id ORDER BY 1, 2"
    derived = (f"SELECT e.pair, d.doc_id, d.chunk_count FROM {s}.documents d, unnest({s}.metadata_pairs(d.metadata)) e (pair) "
               "ORDER BY 1, 2")
    with connect(settings) as fresh:  # a new process: nothing checked yet
        searcher = Searcher(fresh, get_collection(fresh, collection_name), embedder)
        hits = searcher.run("kestrels", "hybrid", SearchOptions(k=3, metadata={"team": "red"}))
        assert [h.doc_id for h in hits] == ["a.txt"]
        filled = conn.execute(pairs).fetchall()
        assert filled == conn.execute(derived).fetchall()
        assert {("n\x1f1", "a.txt", 1), ("team\x1fblue", "b.txt", 1), ("team\x1fred", "a.txt", 1)} <= set(filled)
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (coll.schema,))}
        assert {"documents_source_ids_idx", "documents_doc_id_ids_idx", "document_pairs_pkey"} <= indexes
        assert "documents_source_idx" not in indexes

        conn.execute(f"UPDATE {s}.documents SET metadata = metadata || '{{\"team\": \"red\"}}' WHERE doc_id IN ('b.txt', 'c.txt')")
        conn.execute(f"UPDATE {s}.documents SET title = 'unchanged pairs' WHERE doc_id = 'c.txt'")
        conn.execute(f"DELETE FROM {s}.documents WHERE doc_id = 'a.txt'")
        kept = conn.execute(pairs).fetchall()
        assert kept == conn.execute(derived).fetchall()
        assert [r for r in kept if r[0].startswith("team")] == [("team\x1fred", "b.txt", 1), ("team\x1fred", "c.txt", 1)]
        assert not [r for r in kept if r[1] == "a.txt"]
        hits = searcher.run("kestrels", "hybrid", SearchOptions(k=3, metadata={"team": "red"}))
        assert sorted(h.doc_id for h in hits) == ["b.txt", "c.txt"]
        assert searcher.run("kestrels", "semantic", SearchOptions(k=3, prefix="b.")) and \
            [h.doc_id for h in searcher.run("kestrels", "keyword", SearchOptions(k=3, prefix="c."))] == ["c.txt"]
