"""Table sources: `ingest --table/--query`, remembered definitions, `track`/`untrack`, tracked
workers (SKIP LOCKED, a killed worker, two workers, the newer text wins), `--follow`, and the
bad-input cases of issue 15, against the embedded server and the real model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Iterator

import pytest

from conftest import ROOT, make_collection, run_cli, unique_name

TABLE = "Weird Table"


@pytest.fixture()
def schema(conn: Any) -> Iterator[str]:
    """A schema of its own (mixed case, a space) with "Weird Table" and a hostile-named table."""
    from psycopg import sql

    name = f"Src {unique_name('Mixed')}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    conn.execute(sql.SQL(
        'CREATE TABLE {} (id int PRIMARY KEY, "Title" text, body text, category text, views int DEFAULT 0)'
    ).format(sql.Identifier(name, TABLE)))
    rows = [
        (1, "Refunds", "Customers can ask for a refund within 30 days of purchase.", "billing"),
        (2, "Password reset", "Reset a forgotten password from the login page with the emailed link.", "account"),
        (3, "Shipping times", "Orders ship within two business days; express takes one day.", "orders"),
        (4, "Invoices", "Download invoices as PDF from the billing section of your account.", "billing"),
    ]
    conn.execute(sql.SQL('INSERT INTO {} (id, "Title", body, category) SELECT * FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[])').format(
        sql.Identifier(name, TABLE)), [list(c) for c in zip(*rows)])
    conn.execute(sql.SQL("CREATE SEQUENCE {}").format(sql.Identifier(name, "s")))  # a --query calling nextval() writes
    conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, body text)").format(sql.Identifier(name, "articles; DROP TABLE x")))
    conn.execute(sql.SQL("INSERT INTO {} VALUES (7, 'Hostile names are quoted, never formatted into SQL.')").format(
        sql.Identifier(name, "articles; DROP TABLE x")))
    yield name
    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def _table(conn: Any, schema: str, table: str = TABLE) -> Any:
    from psycopg import sql

    return sql.Identifier(schema, table)


def _docs(conn: Any, coll: Any) -> dict[str, Any]:
    rows = conn.execute(f"SELECT doc_id, title, metadata, updated_at FROM {coll.schema}.documents").fetchall()
    return {r[0]: {"title": r[1], "metadata": r[2], "updated_at": r[3]} for r in rows}


def _ingest(conn: Any, settings: Any, coll: Any, embedder: Any, source: Any, **kwargs: Any) -> Any:
    from pgvsearch.store import connect
    from pgvsearch.tables import ingest_table

    with connect(settings) as source_conn:
        return ingest_table(conn, coll, embedder, source, source_conn=source_conn, **kwargs)


def test_rows_become_documents_with_readable_ids_and_resync_is_incremental(conn: Any, settings: Any, embedder: Any, collection: Any, schema: str) -> None:
    from pgvsearch.search import SearchOptions, semantic_search
    from pgvsearch.tables import define_source

    source = define_source(table=f"{schema}.{TABLE}", id_columns="id", text_columns=["Title", "body"], title_column="Title", meta_columns="category")
    first = _ingest(conn, settings, collection, embedder, source)
    assert (first.added, first.skipped) == (4, [])
    docs = _docs(conn, collection)
    assert set(docs) == {f"{schema}.{TABLE}:{i}" for i in (1, 2, 3, 4)}
    assert docs[f"{schema}.{TABLE}:1"]["metadata"] == {"table": f"{schema}.{TABLE}", "key": {"id": 1}, "category": "billing"}
    assert docs[f"{schema}.{TABLE}:1"]["title"] == "Refunds"

    hits = semantic_search(conn, collection, embedder, "how do I get my money back", SearchOptions(k=2, metadata={"category": "billing"}))
    assert hits[0].doc_id == f"{schema}.{TABLE}:1" and hits[0].metadata["key"] == {"id": 1}

    again = _ingest(conn, settings, collection, embedder, source)
    assert (again.unchanged, again.embedded_chunks, again.added, again.updated) == (4, 0, 0, 0)

    conn.execute(f'UPDATE {_table(conn, schema).as_string(conn)} SET body = body || %s WHERE id = 3', [" Tracking numbers come by email."])
    conn.execute(f"DELETE FROM {_table(conn, schema).as_string(conn)} WHERE id = 4")
    conn.execute(f"UPDATE {_table(conn, schema).as_string(conn)} SET views = 10")  # not a column of the documents
    changed = _ingest(conn, settings, collection, embedder, source, prune=True)
    assert (changed.updated, changed.unchanged, changed.deleted, changed.added) == (1, 2, 1, 0)
    assert f"{schema}.{TABLE}:4" not in _docs(conn, collection)


def test_cli_remembers_the_definition_and_refuses_a_changed_one(collection: Any, schema: str) -> None:
    table = ["--table", f"{schema}.{TABLE}", "-c", collection.name]
    first = run_cli("ingest", *table, "--id", "id", "--text", "Title,body", "--format", "json", "-q")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 4
    cron = run_cli("ingest", *table, "--format", "json", "-q")  # the cron line: the definition is remembered
    assert cron.returncode == 0, cron.stderr
    assert json.loads(cron.stdout)["unchanged"] == 4
    changed = run_cli("ingest", *table, "--text", "body", "-q")
    assert changed.returncode == 4
    assert changed.stderr.count("\n") == 1 and "--redefine" in changed.stderr and "--text Title,body -> body" in changed.stderr
    redefined = run_cli("ingest", *table, "--text", "body", "--redefine", "--format", "json", "-q")
    assert redefined.returncode == 0, redefined.stderr
    assert json.loads(redefined.stdout)["updated"] == 4


def test_query_source_and_hostile_names(collection: Any, schema: str, conn: Any) -> None:
    hostile = run_cli("ingest", "--table", f"{schema}.articles; DROP TABLE x", "--id", "id", "--text", "body", "-c", collection.name, "-q")
    assert hostile.returncode == 0, hostile.stderr
    query = (f'SELECT w.id, w."Title" AS title, w.body || %s AS text FROM {_table(conn, schema).as_string(conn)} AS w WHERE w.category = %s')
    q = run_cli("ingest", "--query", query.replace("%s", "' (kb)'", 1).replace("%s", "'billing'"), "--name", "kb", "--id", "id",
                "--text", "text", "--title", "title", "-c", collection.name, "--format", "json", "-q")
    assert q.returncode == 0, q.stderr
    assert json.loads(q.stdout)["added"] == 2
    assert {"kb:1", "kb:4", f"{schema}.articles; DROP TABLE x:7"} <= set(_docs(conn, collection))
    assert conn.execute("SELECT to_regclass('x')").fetchone()[0] is None
    hits = run_cli("hybrid", "refund", "-c", collection.name, "--format", "csv", "-k", "1")
    assert "kb:1" in hits.stdout


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["--table", "no_such_table", "--id", "id", "--text", "body"], 4, "table 'no_such_table' not found"),
        (["--table", "{schema}." + TABLE, "--id", "id", "--text", "nope"], 4, "column 'nope' is not in table"),
        (["--query", "SELECT 1 AS id, 'x' AS body FROM pg_class WHERE nonsense", "--id", "id", "--text", "body"], 2, "--query failed"),
        (["--query", "SELECT nextval('\"{schema}\".s') AS id, 'x' AS body", "--id", "id", "--text", "body"], 2, "must only read"),
        (["--table", "{schema}." + TABLE, "--id", "category", "--text", "body"], 4, "is not unique"),
        (["--table", "{schema}." + TABLE, "--text", "body"], 2, "needs --id"),
        (["--table", "{schema}." + TABLE, "--id", "id", "--text", "body", "--follow"], 2, "--follow needs a tracked source"),
        (["--table", "{schema}." + TABLE, "--id", "id", "--text", "body", "--meta", "key"], 2, "set by pgvsearch"),
        (["./docs", "--table", "t", "--id", "id", "--text", "body"], 2, "not both"),
    ],
)
def test_bad_sources_are_one_line_with_their_exit_code(collection: Any, schema: str, conn: Any, args: list[str], code: int, words: str) -> None:
    result = run_cli("ingest", *[a.replace("{schema}", schema) for a in args], "-c", collection.name, "-q")
    assert result.returncode == code, result.stderr
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    assert conn.execute(f"SELECT count(*) FROM {_table(conn, schema).as_string(conn)}").fetchone()[0] == 4  # nothing written


def test_empty_text_and_oversized_rows_are_skipped_and_reported(collection: Any, schema: str, conn: Any) -> None:
    t = _table(conn, schema).as_string(conn)
    conn.execute(f"INSERT INTO {t} (id, \"Title\", body) VALUES (5, NULL, NULL), (6, '', '  '), (8, 'Big', repeat('word ', 300000))")
    result = run_cli("ingest", "--table", f"{schema}.{TABLE}", "--id", "id", "--text", "Title,body", "--max-size", "1",
                     "-c", collection.name, "--format", "json", "-q")
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    reasons = {s["path"].rsplit(":", 1)[1]: s["reason"] for s in report["skipped_inputs"]}
    assert set(reasons) == {"5", "6", "8"} and "NULL or empty" in reasons["5"] and "over --max-size" in reasons["8"]
    assert report["added"] == 4


def test_unreachable_source_database_exits_5_without_the_password(collection: Any, schema: str) -> None:
    result = run_cli("ingest", "--table", "t", "--id", "id", "--text", "body", "-c", collection.name,
                     "--source-dsn", "postgresql://u:s3cret-pw@127.0.0.1:1/db?connect_timeout=2")
    assert result.returncode == 5
    assert "source database" in result.stderr and "s3cret-pw" not in result.stderr and result.stderr.count("\n") == 1


# -- tracking --------------------------------------------------------------------------------

def _queue_size(conn: Any, coll: Any) -> int:
    from pgvsearch.tables import list_sources, pending_changes

    (tracked,) = [s for s in list_sources(conn, coll) if s.tracked]
    return pending_changes(conn, tracked.queue or "")


def test_track_backfills_then_ingest_reads_only_the_changes_and_untrack_removes_it(collection: Any, schema: str, conn: Any) -> None:
    table = ["--table", f"{schema}.{TABLE}", "-c", collection.name]
    tracked = run_cli("track", *table, "--id", "id", "--text", "Title,body", "--meta", "category", "--format", "json")
    assert tracked.returncode == 0, tracked.stderr
    assert json.loads(tracked.stdout)["queued"] == 4
    first = run_cli("ingest", *table, "--format", "json", "-q")  # the first tracked run backfills
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 4 and _queue_size(conn, collection) == 0

    t = _table(conn, schema).as_string(conn)
    conn.execute(f"UPDATE {t} SET body = 'Refunds take 5 days to reach your card.' WHERE id = 1")
    conn.execute(f"DELETE FROM {t} WHERE id = 2")
    conn.execute(f"INSERT INTO {t} (id, \"Title\", body) VALUES (9, 'Gift cards', 'Gift cards never expire.')")
    conn.execute(f"UPDATE {t} SET views = views + 1")  # not a column of the documents: nothing queued
    assert _queue_size(conn, collection) == 3
    second = json.loads(run_cli("ingest", *table, "--format", "json", "-q").stdout)
    assert (second["added"], second["updated"], second["deleted"], second["unchanged"]) == (1, 1, 1, 0)
    assert second["embedded_chunks"] == 2
    idle = run_cli("ingest", *table, "--format", "json", "-q")
    assert json.loads(idle.stdout)["embedded_chunks"] == 0

    gone = run_cli("untrack", *table)
    assert gone.returncode == 0, gone.stderr
    triggers = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s", [f"pgvsearch_{collection.name}"]).fetchone()[0]
    assert triggers == 0
    again = run_cli("untrack", *table)
    assert again.returncode == 4 and "is not tracked" in again.stderr


def test_track_without_the_privilege_is_a_clear_error(conn: Any, settings: Any, collection: Any, schema: str) -> None:
    from pgvsearch.errors import ConfigError, describe_error
    from pgvsearch.store import connect
    from pgvsearch.tables import define_source, track_table
    from psycopg import sql

    role = unique_name("noprivs")
    conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(role)))
    conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(_table(conn, schema), sql.Identifier(role)))
    try:
        with connect(settings) as source_conn:
            source_conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            with pytest.raises(ConfigError) as caught:
                track_table(conn, source_conn, collection, define_source(table=f"{schema}.{TABLE}", id_columns="id", text_columns="body"))
        line, code = describe_error(caught.value)
        assert code == 4 and "cannot track" in line and "permission denied" in line and "\n" not in line
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s", [f"pgvsearch_{collection.name}"]).fetchone()[0] == 0
    finally:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


class _Gated:
    """The real model behind a gate: each embed call says so and may wait (a slow or stuck worker)."""

    def __init__(self, inner: Any, calls: list[int], started: threading.Event | None = None, release: threading.Event | None = None) -> None:
        self.inner, self.calls, self.started, self.release = inner, calls, started, release

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: Any, batch_size: int = 32) -> Any:
        self.calls.append(len(texts))
        if self.started is not None:
            self.started.set()
        if self.release is not None:
            self.release.wait(60)
        time.sleep(0.05)
        return self.inner.embed(texts)


def _tracked(conn: Any, settings: Any, coll: Any, embedder: Any, schema: str) -> Any:
    from pgvsearch.store import connect
    from pgvsearch.tables import define_source, track_table

    source = define_source(table=f"{schema}.{TABLE}", id_columns="id", text_columns=["Title", "body"])
    with connect(settings) as source_conn:
        track_table(conn, source_conn, coll, source)
    return source


def _worker(settings: Any, coll: Any, embedder: Any, source: Any, reports: list[Any], **kwargs: Any) -> threading.Thread:
    from pgvsearch.store import connect
    from pgvsearch.tables import ingest_table

    def run() -> None:
        with connect(settings) as c, connect(settings) as s:
            reports.append(ingest_table(c, coll, embedder, source, source_conn=s, batch_chunks=4, **kwargs))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_two_workers_share_the_queue_and_embed_every_change_once(conn: Any, settings: Any, embedder: Any, collection: Any, schema: str) -> None:
    source = _tracked(conn, settings, collection, embedder, schema)
    calls: list[int] = []
    reports: list[Any] = []
    workers = [_worker(settings, collection, _Gated(embedder, calls), source, reports) for _ in range(2)]
    for w in workers:
        w.join(120)
    assert sum(r.added for r in reports) == 4 and sum(r.embedded_chunks for r in reports) == 4
    assert len(calls) == 4  # one row per batch (batch_chunks 4): every row embedded once, by one worker or the other
    assert _queue_size(conn, collection) == 0


def test_the_newer_text_wins_over_a_version_being_embedded(conn: Any, settings: Any, embedder: Any, collection: Any, schema: str) -> None:
    source = _tracked(conn, settings, collection, embedder, schema)
    t = _table(conn, schema).as_string(conn)
    conn.execute(f"DELETE FROM {t} WHERE id <> 1")
    _ingest(conn, settings, collection, embedder, source)  # backfill (and the deletes)
    conn.execute(f"UPDATE {t} SET body = 'version two' WHERE id = 1")
    started, release = threading.Event(), threading.Event()
    reports: list[Any] = []
    worker = _worker(settings, collection, _Gated(embedder, [], started, release), source, reports)
    assert started.wait(60)
    conn.execute(f"UPDATE {t} SET body = 'version three' WHERE id = 1")  # committed while two is embedded
    release.set()
    worker.join(120)
    content = conn.execute(f"SELECT string_agg(content, ' ') FROM {collection.schema}.chunks").fetchone()[0]
    assert "version three" in content and "version two" not in content
    assert _queue_size(conn, collection) == 0


STUCK_WORKER = """
import sys, time
from pgvsearch.config import resolve_settings
from pgvsearch.embedding import DEFAULT_MODEL, load_embedder
from pgvsearch.store import connect, require_collection
from pgvsearch.tables import define_source, ingest_table

class Stuck:
    def __init__(self, inner): self.inner = inner
    def __getattr__(self, name): return getattr(self.inner, name)
    def embed(self, texts, batch_size=32):
        print("embedding", flush=True)
        time.sleep(600)

settings = resolve_settings(collection=sys.argv[1])
embedder = load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache)
with connect(settings) as conn, connect(settings) as source_conn:
    coll = require_collection(conn, sys.argv[1])
    ingest_table(conn, coll, Stuck(embedder), define_source(table=sys.argv[2]), source_conn=source_conn, batch_chunks=400)
"""


def test_a_worker_killed_mid_batch_leaves_its_changes_queued(conn: Any, settings: Any, embedder: Any, collection: Any, schema: str) -> None:
    source = _tracked(conn, settings, collection, embedder, schema)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", STUCK_WORKER, collection.name, f"{schema}.{TABLE}"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "embedding"  # its batch holds every queued change
        locked = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM pgvsearch.{_queue_name(conn, collection)} FOR UPDATE SKIP LOCKED) AS free").fetchone()[0]
        assert locked == 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert _queue_size(conn, collection) == 4
    report = _ingest(conn, settings, collection, embedder, source)
    assert report.added == 4 and _queue_size(conn, collection) == 0


def _queue_name(conn: Any, coll: Any) -> str:
    from pgvsearch.tables import list_sources

    return next(s.queue for s in list_sources(conn, coll) if s.tracked) or ""


def test_follow_embeds_a_change_within_seconds_and_stops_on_sigterm(collection: Any, schema: str, conn: Any) -> None:
    table = ["--table", f"{schema}.{TABLE}", "-c", collection.name]
    assert run_cli("track", *table, "--id", "id", "--text", "Title,body").returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "pgvsearch", "ingest", *table, "--follow", "-q"], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        deadline = time.monotonic() + 120
        while len(_docs(conn, collection)) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        t = _table(conn, schema).as_string(conn)
        conn.execute(f"INSERT INTO {t} (id, \"Title\", body) VALUES (11, 'Live', 'Embedded as it commits.')")
        committed = time.monotonic()
        while f"{schema}.{TABLE}:11" not in _docs(conn, collection) and time.monotonic() < committed + 30:
            time.sleep(0.05)
        latency = time.monotonic() - committed
        assert latency < 3.0, latency
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
