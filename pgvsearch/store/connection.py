"""Connections: where we connect (never showing a password), opening one, and why it failed.

Connections are in autocommit mode; every write runs inside an explicit ``conn.transaction()``
block, so what commits together is visible in the code.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import ConfigError, DatabaseError
from ..redact import redact_dsn, redact_secrets

if TYPE_CHECKING:
    import psycopg


def describe_target(settings: Settings, conninfo: str | None = None) -> str:
    """host:port/dbname of where we connect, never a password."""
    if settings.embedded:
        return f"embedded server in {settings.pgdata}"
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo if conninfo is not None else (settings.dsn or ""))
    except Exception:
        return redact_dsn(settings.dsn or "")
    import os

    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    db = params.get("dbname") or os.environ.get("PGDATABASE") or params.get("user") or ""
    return f"{host}:{port}/{db}"


_TARGETS: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


def connection_target(conn: "psycopg.Connection[Any]") -> str | None:
    """Where ``conn`` (opened by :func:`connect`) leads, for messages: ``the embedded server in
    DIR`` (with ``, created just now`` when this connection started it on a new data directory)
    or ``PostgreSQL at host:port/db``; None for a connection opened elsewhere."""
    return _TARGETS.get(conn)


def set_connection_target(conn: "psycopg.Connection[Any]", where: str) -> None:
    """Say where ``conn`` leads in later messages (e.g. ``the replica at host:port/db``)."""
    _TARGETS[conn] = where


def connect(settings: Settings, *, autocommit: bool = True) -> "psycopg.Connection[Any]":
    """Open a connection per the settings (starting the embedded server if needed).

    Connections are in autocommit mode; every write runs inside an explicit
    ``conn.transaction()`` block, so what commits together is visible in the code.
    """
    import psycopg

    fresh = False
    if settings.embedded:
        from .server import ensure_server

        fresh = not (settings.pgdata / "PG_VERSION").exists()
        conninfo = ensure_server(settings.pgdata).conninfo()
    else:
        conninfo = settings.dsn or ""
    try:
        conn = psycopg.connect(
            conninfo,
            autocommit=autocommit,
            connect_timeout=settings.connect_timeout,
            application_name="pgvsearch",
        )
    except psycopg.ProgrammingError:
        # A malformed connection string: psycopg's message quotes it, password included.
        raise ConfigError(
            f"the connection string (from {settings.dsn_source}) is malformed: use key=value pairs "
            "(host=... dbname=...) or a postgresql://user@host:port/dbname URI"
        ) from None
    except psycopg.OperationalError as exc:
        if settings.embedded:
            # A stale postmaster.pid can point at a dead socket: start the server properly once.
            from .server import start_server

            try:
                conninfo = start_server(settings.pgdata).conninfo()
                conn = psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=settings.connect_timeout)
            except psycopg.OperationalError as exc2:
                raise DatabaseError(f"cannot connect to the {describe_target(settings)}: {_reason(exc2, settings)}") from None
        else:
            raise DatabaseError(
                f"cannot connect to PostgreSQL at {describe_target(settings)}: {_reason(exc, settings)}"
            ) from None
    conn.execute("SET client_min_messages = warning")
    if not autocommit:
        conn.commit()
    where = describe_target(settings)
    _TARGETS[conn] = (f"the {where}" + (", created just now" if fresh else "")) if settings.embedded else f"PostgreSQL at {where}"
    return conn


def _reason(exc: Exception, settings: Settings) -> str:
    """The last line of a libpq error as sentences, with any password that might appear removed."""
    text = _sentences(str(exc))
    marker = "failed: "
    if marker in text:
        text = text.rsplit(marker, 1)[-1]
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = conninfo_to_dict(settings.dsn or "").get("password")
    except Exception:
        password = None
    text = redact_secrets(text, password)
    return text or "connection failed"


def _sentences(message: str) -> str:
    """libpq's lines on one line, each ended as a sentence: ``Connection refused\n\tIs the server
    running...?`` reads ``Connection refused. Is the server running...?``."""
    lines = [" ".join(line.split()) for line in message.splitlines() if line.strip()]
    return " ".join(line if i == len(lines) - 1 or line[-1] in ".?!:;" else line + "." for i, line in enumerate(lines))
