"""Queries from read replicas: a real streaming replica of a test primary on this machine.

The primary is written through ``--dsn`` (init, ingest), the query commands read through
``--read-dsn``; a replica that is behind (replay paused), lacks the collection, is a primary,
or is down is not read, and one line on stderr says where the query read instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import SAMPLE_DATA, run_cli
from replication import StreamingPair

SECRET = "s3cr3t-replica-pw"
"""Trust authentication ignores it; no message may show it."""
TOP_DOC = "refunds-and-duplicate-charges.md"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[StreamingPair]:
    """A primary holding collection ``rep`` (sample_data/billing) and its streaming replica,
    caught up. Both servers are stopped at the end, also when a test failed."""
    replication = StreamingPair(tmp_path_factory.mktemp("replication"))
    try:
        replication.start()
        primary = {"PGVSEARCH_DSN": replication.primary_dsn}
        for args in (("init", "-c", "rep"), ("ingest", str(SAMPLE_DATA / "billing"), "-c", "rep", "-q")):
            result = run_cli(*args, env=primary)
            assert result.returncode == 0, result.stderr
        replication.wait_for_replay()
        yield replication
    finally:
        replication.stop()


def read(pair: StreamingPair, *args: str, read_dsn: str | None = None, dsn: str | None = None) -> Any:
    """``pgvsearch ARGS`` with the primary's DSN and the replica as read DSN (each with a password)."""
    return run_cli(*args, "--dsn", (dsn or pair.primary_dsn) + f" password={SECRET}",
                   "--read-dsn", (read_dsn or pair.replica_dsn) + f" password={SECRET}")


def notes(result: Any) -> list[str]:
    assert SECRET not in result.stderr + result.stdout
    return [line for line in result.stderr.splitlines() if line.startswith("note:")]


def test_queries_read_the_replica(pair: StreamingPair) -> None:
    result = read(pair, "hybrid", "charged twice", "-c", "rep", "-f", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["doc_id"] == TOP_DOC
    assert notes(result) == []
    result = read(pair, "status", "-c", "rep", "-f", "json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["read_from"].startswith(f"the replica at {pair.replica_socket}:{pair.replica_port}/pgvsearch")
    assert status["documents"] >= 5 and notes(result) == []


def test_writes_go_to_the_primary_and_reach_the_replica(pair: StreamingPair) -> None:
    # With a read DSN in the environment, ingest still writes to the primary (a replica refuses writes).
    env = {"PGVSEARCH_DSN": pair.primary_dsn, "PGVSEARCH_READ_DSN": pair.replica_dsn}
    result = run_cli("ingest", str(SAMPLE_DATA / "shipping"), "-c", "rep", "-f", "json", "-q", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] >= 1
    pair.wait_for_replay()
    result = run_cli("keyword", "carriers", "-c", "rep", "-f", "json", env=env)
    assert result.returncode == 0 and notes(result) == [], result.stderr
    assert "delivery-times-and-carriers.md" in [json.loads(line)["doc_id"] for line in result.stdout.splitlines()]


def test_an_idle_caught_up_replica_is_not_lagging(pair: StreamingPair) -> None:
    # The last replayed transaction is older than --max-lag, but nothing is left to replay.
    import time

    pair.wait_for_replay()
    time.sleep(1.5)
    result = read(pair, "keyword", "refund", "-c", "rep", "-f", "json", "--max-lag", "1")
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    assert notes(result) == []


def test_a_lagging_replica_falls_back_to_the_primary_with_one_note(pair: StreamingPair) -> None:
    import time

    import psycopg

    with psycopg.connect(pair.replica_dsn, autocommit=True) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
        try:
            # A collection created on the primary now is received by the replica but not replayed.
            result = run_cli("init", "-c", "rep_new", env={"PGVSEARCH_DSN": pair.primary_dsn})
            assert result.returncode == 0, result.stderr
            time.sleep(1.2)
            result = read(pair, "hybrid", "charged twice", "-c", "rep", "-f", "json", "--max-lag", "1")
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout.splitlines()[0])["doc_id"] == TOP_DOC
            (note,) = notes(result)
            assert note.startswith("note: reading from the primary") and "behind (--max-lag 1)" in note, note
            # Within a generous --max-lag the replica answers, but it lacks the new collection: the primary does.
            result = read(pair, "status", "-c", "rep_new", "-f", "json", "--max-lag", "3600")
            assert result.returncode == 0, result.stderr
            (note,) = notes(result)
            assert "has no collection 'rep_new'" in note and note.startswith("note: reading from the primary"), note
            assert json.loads(result.stdout)["read_from"].startswith("PostgreSQL at ")
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")
    pair.wait_for_replay()
    result = read(pair, "status", "-c", "rep_new", "-f", "json", "--max-lag", "1")
    assert result.returncode == 0 and notes(result) == [], result.stderr


def test_a_replica_behind_only_by_a_record_just_received_is_read(pair: StreamingPair, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """After an idle spell, the age of the last replayed transaction is no lag: a standby that
    replays what it had received within a moment is read, with no note; one that does not is
    skipped (the test above keeps replay paused)."""
    import time

    import psycopg

    from pgvsearch.config import Settings
    from pgvsearch.store import replicas

    settings = Settings(dsn=pair.primary_dsn, dsn_source="option", home=tmp_path, collection="rep",
                        read_dsns=(pair.replica_dsn,), read_dsn_source="option", max_lag=1.0)
    first_readings: list[Any] = []
    with psycopg.connect(pair.replica_dsn, autocommit=True) as replica:

        def health_then_resume(conn: Any, where: str, collection: str) -> Any:
            # Replay resumes right after the standby was found behind: only the moment given to
            # it to replay what it had received (replicas.settled) can tell it is not.
            health = original(conn, where, collection)
            first_readings.append(health)
            replica.execute("SELECT pg_wal_replay_resume()")
            return health

        original = replicas.replica_health
        monkeypatch.setattr(replicas, "replica_health", health_then_resume)
        replica.execute("SELECT pg_wal_replay_pause()")
        try:
            with psycopg.connect(pair.primary_dsn, autocommit=True) as primary:
                primary.execute("CREATE TABLE IF NOT EXISTS public.replay_probe (x int)")
                primary.execute("INSERT INTO public.replay_probe VALUES (1)")
            pair.wait_for_receipt()
            time.sleep(1.2)  # the last replayed transaction is now older than --max-lag 1
            said: list[str] = []
            with replicas.connect_for_reading(settings, notice=said.append) as conn:
                assert said == []
                assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            (health,) = first_readings
            assert health.received is not None and health.lag is not None and health.lag > 1, health
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")
    pair.wait_for_replay()


def test_a_read_dsn_that_is_a_primary_works_with_a_note(pair: StreamingPair) -> None:
    result = read(pair, "keyword", "refund", "-c", "rep", "-f", "json", read_dsn=pair.primary_dsn)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    (note,) = notes(result)
    assert "is not a replica (it accepts writes)" in note


def test_read_dsns_of_the_config_file_are_not_used_with_another_primary(pair: StreamingPair, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'read_dsn = ["{pair.replica_dsn}"]\n')
    result = run_cli("status", "-c", "rep", "-f", "json", "--dsn", pair.primary_dsn, env={"PGVSEARCH_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    (note,) = notes(result)
    assert note.startswith("note: the config file's read_dsn is not used: the primary comes from --dsn"), note
    assert json.loads(result.stdout)["read_from"] is None


def test_the_next_read_dsn_is_tried_before_the_primary(pair: StreamingPair) -> None:
    dead = "host=/nonexistent-pgvsearch-socket port=5999 dbname=pgvsearch"
    result = read(pair, "keyword", "refund", "-c", "rep", "-f", "json",
                  read_dsn=f"{dead} password={SECRET},{pair.replica_dsn}")
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    (note,) = notes(result)
    assert note.startswith(f"note: reading from {pair.replica_socket}:{pair.replica_port}/pgvsearch: replica "
                           "/nonexistent-pgvsearch-socket:5999/pgvsearch is unreachable"), note


def test_a_stopped_replica_falls_back_and_exit_5_only_without_a_primary(pair: StreamingPair) -> None:
    pair.stop_replica()
    try:
        result = read(pair, "hybrid", "charged twice", "-c", "rep", "-f", "json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.splitlines()[0])["doc_id"] == TOP_DOC
        (note,) = notes(result)
        assert note.startswith("note: reading from the primary") and "is unreachable" in note, note
        # No fallback left: the primary is unreachable too.
        result = read(pair, "search", "charged twice", "-c", "rep", dsn="host=/nonexistent-pgvsearch-primary dbname=x")
        assert result.returncode == 5, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert "nonexistent-pgvsearch-primary" in line and "no read replica could answer" in line
        assert SECRET not in result.stderr
    finally:
        pair.start_replica()


# --- settings: no server needed ------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("host=r1 dbname=app,host=r2 dbname=app", ["host=r1 dbname=app", "host=r2 dbname=app"]),
    ("host=a,b port=5432,5433 dbname=app", ["host=a,b port=5432,5433 dbname=app"]),
    ("postgresql://u@a:5432,b:5432/app?sslmode=require, postgres://c/app", ["postgresql://u@a:5432,b:5432/app?sslmode=require", "postgres://c/app"]),
    ("host=r1 password=a,b=c", ["host=r1 password=a,b=c"]),
    ("postgresql://r1/app,host=r2", ["postgresql://r1/app", "host=r2"]),
    (" ", []),
], ids=["two-key-value", "libpq-host-list", "multi-host-uris", "comma-in-password", "mixed", "blank"])
def test_split_read_dsns(value: str, expected: list[str]) -> None:
    from pgvsearch.config import split_read_dsns

    assert split_read_dsns(value) == expected


def test_read_dsn_precedence_and_max_lag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pgvsearch.config import DEFAULT_MAX_LAG, resolve_settings
    from pgvsearch.errors import ConfigError

    config = tmp_path / "config.toml"
    monkeypatch.setenv("PGVSEARCH_CONFIG", str(config))
    config.write_text('dsn = "host=p"\nread_dsn = ["host=r1 password=a,host=b", "host=r2"]\nmax_lag = 5\n')
    s = resolve_settings(environ={})
    assert (s.read_dsns, s.read_dsn_source, s.max_lag) == (("host=r1 password=a,host=b", "host=r2"), "config", 5.0)
    s = resolve_settings(environ={"PGVSEARCH_READ_DSN": "host=e1,host=e2", "PGVSEARCH_MAX_LAG": "2.5"})
    assert (s.read_dsns, s.read_dsn_source, s.max_lag) == (("host=e1", "host=e2"), "env", 2.5)
    s = resolve_settings(read_dsn=["host=o1", "host=o2,host=o3"], max_lag=0, environ={"PGVSEARCH_READ_DSN": "host=e1"})
    assert (s.read_dsns, s.read_dsn_source, s.max_lag) == (("host=o1", "host=o2", "host=o3"), "option", 0.0)
    # Replicas from the config file are not used when --dsn names another primary.
    s = resolve_settings(dsn="host=elsewhere", environ={})
    assert s.read_dsns == () and s.read_dsns_ignored and s.read_dsn_source == "config"
    config.write_text('read_dsn = "host=r1"\nmax_lag = -1\n')
    with pytest.raises(ConfigError, match="max_lag"):
        resolve_settings(environ={})
    config.write_text("read_dsn = 5\n")
    with pytest.raises(ConfigError, match="read_dsn"):
        resolve_settings(environ={})
    config.unlink()
    assert resolve_settings(environ={}).max_lag == DEFAULT_MAX_LAG
    with pytest.raises(ConfigError, match="PGVSEARCH_MAX_LAG"):
        resolve_settings(environ={"PGVSEARCH_MAX_LAG": "soon"})
