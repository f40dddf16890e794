"""Tracked table sources beyond the everyday edit: a tracked run chunks and embeds a row as an
untracked one does, TRUNCATE is a change, a tracked source can be redefined in place, and
`drop` leaves no trigger writing to a queue nobody reads."""

from __future__ import annotations

import json
from typing import Any

from conftest import make_collection, run_cli, unique_name
from test_tables import TABLE, _docs, _ingest, _queue_size, _table, schema  # noqa: F401 (schema is a fixture)

LONG_BODY = "\n\n".join(
    f"## Section {i}\n\n- Refund rule {i}: a purchase can be returned within {i + 10} days when the receipt is kept.\n"
    f"- Shipping rule {i}: parcels over {i} kg travel by freight and take longer than the usual two days."
    for i in range(12)
)


def _chunks(conn: Any, coll: Any) -> dict[str, list[str]]:
    rows = conn.execute(
        f"SELECT d.doc_id, c.context || ' | ' || c.content FROM {coll.schema}.chunks c "
        f"JOIN {coll.schema}.documents d ON d.id = c.document_id ORDER BY d.doc_id, c.position"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for doc_id, text in rows:
        found.setdefault(doc_id, []).append(text)
    return found


def _triggers(conn: Any, coll: Any) -> int:
    return conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE %s", [f"pgvsearch_{coll.name}%"]).fetchone()[0]


def test_a_tracked_run_chunks_and_embeds_rows_as_an_untracked_run_does(conn: Any, settings: Any, embedder: Any, schema: str) -> None:
    from pgvsearch.store import connect
    from pgvsearch.tables import define_source, track_table

    conn.execute(f"INSERT INTO {_table(conn, schema).as_string(conn)} (id, \"Title\", body) VALUES (5, 'Policies', %s)", [LONG_BODY])
    source = define_source(table=f"{schema}.{TABLE}", id_columns="id", text_columns=["Title", "body"], title_column="Title")
    whole = make_collection(conn, embedder, unique_name("whole"))
    tracked = make_collection(conn, embedder, unique_name("tracked"))
    _ingest(conn, settings, whole, embedder, source)
    with connect(settings) as source_conn:
        track_table(conn, source_conn, tracked, source)
    report = _ingest(conn, settings, tracked, embedder, source, batch_chunks=8)
    assert report.added == 5
    expected = _chunks(conn, whole)
    assert len(expected[f"{schema}.{TABLE}:5"]) > 3  # the long row is split by its Markdown structure
    assert _chunks(conn, tracked) == expected
    same = conn.execute(
        f"SELECT count(*), bool_and((w.embedding <=> t.embedding) < 0.01) FROM {whole.schema}.chunks w "
        f"JOIN {whole.schema}.documents wd ON wd.id = w.document_id "
        f"JOIN {tracked.schema}.documents td ON td.doc_id = wd.doc_id "
        f"JOIN {tracked.schema}.chunks t ON t.document_id = td.id AND t.position = w.position"
    ).fetchone()
    assert same == (sum(map(len, expected.values())), True)


def test_truncate_is_a_change_and_rows_inserted_after_it_stay(collection: Any, schema: str, conn: Any) -> None:
    table = ["--table", f"{schema}.{TABLE}", "-c", collection.name]
    assert run_cli("track", *table, "--id", "id", "--text", "Title,body").returncode == 0
    assert json.loads(run_cli("ingest", *table, "--format", "json", "-q").stdout)["added"] == 4
    t = _table(conn, schema).as_string(conn)
    with conn.transaction():
        conn.execute(f"TRUNCATE {t}")
        conn.execute(f"INSERT INTO {t} (id, \"Title\", body) VALUES (3, 'Shipping times', 'Orders ship within two business days; express takes one day.')")
    assert _queue_size(conn, collection) == 2  # the TRUNCATE and the new row
    after = run_cli("ingest", *table, "--format", "json", "-q")
    assert after.returncode == 0, after.stderr
    report = json.loads(after.stdout)
    assert (report["deleted"], report["unchanged"], report["embedded_chunks"]) == (3, 1, 0)
    assert set(_docs(conn, collection)) == {f"{schema}.{TABLE}:3"} and _queue_size(conn, collection) == 0


def test_a_tracked_source_is_redefined_in_place(collection: Any, schema: str, conn: Any) -> None:
    table = ["--table", f"{schema}.{TABLE}", "-c", collection.name]
    assert run_cli("track", *table, "--id", "id", "--text", "Title,body").returncode == 0
    assert json.loads(run_cli("ingest", *table, "--format", "json", "-q").stdout)["added"] == 4
    refused = run_cli("ingest", *table, "--text", "body", "-q")
    assert refused.returncode == 4 and "--redefine" in refused.stderr
    redefined = run_cli("ingest", *table, "--text", "body", "--redefine", "--format", "json", "-q")
    assert redefined.returncode == 0, redefined.stderr
    assert json.loads(redefined.stdout)["updated"] == 4
    t = _table(conn, schema).as_string(conn)
    queued = _queue_size(conn, collection)
    conn.execute(f"UPDATE {t} SET \"Title\" = 'Money back' WHERE id = 1")  # no longer a text column: not a change
    assert _queue_size(conn, collection) == queued
    conn.execute(f"UPDATE {t} SET body = 'Refunds are paid within a week.' WHERE id = 1")
    assert _queue_size(conn, collection) == queued + 1
    report = json.loads(run_cli("ingest", *table, "--format", "json", "-q").stdout)
    assert report["updated"] == 1 and _queue_size(conn, collection) == 0


def test_drop_removes_the_triggers_and_queues_of_its_tracked_tables(conn: Any, embedder: Any, schema: str) -> None:
    coll = make_collection(conn, embedder, unique_name("dropped"))
    table = ["--table", f"{schema}.{TABLE}", "-c", coll.name]
    assert run_cli("track", *table, "--id", "id", "--text", "body").returncode == 0
    queue = conn.execute("SELECT queue FROM pgvsearch.table_sources WHERE collection = %s", [coll.name]).fetchone()[0]
    assert _triggers(conn, coll) == 2
    dropped = run_cli("drop", coll.name, "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert _triggers(conn, coll) == 0
    assert conn.execute("SELECT to_regclass(format('pgvsearch.%%I', %s::text))", [queue]).fetchone()[0] is None
    conn.execute(f"UPDATE {_table(conn, schema).as_string(conn)} SET body = body || '.'")  # no trigger left to fail
