"""Reading from replicas: which server a query command reads, and why (docs/scaling.md).

``search``, ``keyword``, ``hybrid``, ``ask``, ``eval``, ``status`` and the MCP server read
through :func:`connect_for_reading`: the settings' read DSNs in order, then the primary. A
read DSN is used when it answers, is at most ``max_lag`` seconds behind its primary and holds
the collection; otherwise the next one is tried. Whenever a query does not read the first
read DSN, one line says where it reads and why, so an answer never comes from somewhere else
unannounced. ``init``, ``ingest`` and ``drop`` write, and always use :func:`connect` (the primary).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..config import Settings
from ..errors import DatabaseError
from .collections import schema_for
from .connection import connect, describe_target, set_connection_target
from .sql import sql_statement

if TYPE_CHECKING:
    import psycopg

_SOURCE_NAMES = {"option": "--read-dsn", "env": "PGVSEARCH_READ_DSN", "config": "the config file's read_dsn"}


@dataclass(frozen=True)
class ReplicaHealth:
    """What ``sql/replica_health.sql`` found on a server reached through a read DSN."""

    where: str
    """host:port/db, never a password."""
    in_recovery: bool
    """A standby; False: the server accepts writes (a primary given as a read DSN)."""
    lag: float | None
    """Seconds its replay is behind the primary (0 when caught up and streaming); None: unknown."""
    streaming: bool
    has_collection: bool
    received: str | None = None
    """The WAL position its receiver had got, when its replay had not reached it (else None)."""

    def problem(self, collection: str, max_lag: float) -> str | None:
        """Why a query must not read here, or None when it may."""
        if not self.has_collection:
            return (f"replica {self.where} has no collection {collection!r} "
                    "(not replayed yet, or a replica of another database)")
        if self.lag is None:
            return f"replica {self.where} is not streaming from its primary and has replayed nothing since it started"
        if self.lag > max_lag:
            how = "is" if self.streaming else "is not streaming from its primary; it is at least"
            return f"replica {self.where} {how} {self.lag:.1f} s behind (--max-lag {max_lag:g})"
        return None


def replica_health(conn: "psycopg.Connection[Any]", where: str, collection: str) -> ReplicaHealth:
    """Recovery state, replay lag and the collection's presence on the server behind ``conn``."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(sql_statement("replica_health"), {"schema": schema_for(collection)}).fetchone()
    assert row is not None
    # No details without pg_read_all_stats: a receiver we cannot see into is taken as streaming.
    streaming = row["receiver_status"] == "streaming" or (row["receiver_pid"] is not None and row["receiver_status"] is None)
    if not row["in_recovery"]:
        lag: float | None = 0.0
    elif row["caught_up"] and streaming:
        lag = 0.0  # nothing received is left to replay: an idle primary is not lag
    else:
        lag = None if row["replay_age"] is None else max(0.0, row["replay_age"])  # an upper bound
    return ReplicaHealth(where=where, in_recovery=row["in_recovery"], lag=lag, streaming=streaming,
                         has_collection=row["has_collection"],
                         received=row["received"] if row["in_recovery"] and not row["caught_up"] else None)


REPLAY_SETTLE_SECONDS = 0.3
"""How long a streaming standby that looks behind is given to replay what it had received.

Not caught up, a standby's lag is read as the age of the last transaction it replayed: after an
idle minute, a record that arrived a millisecond ago (a checkpoint's, a snapshot of running
transactions) would make it a minute behind. If it replays what it had received within this
moment, its lag is taken as the time that took. A standby really behind costs each read this long before
the next read DSN is tried."""


def settled(conn: "psycopg.Connection[Any]", health: ReplicaHealth, within: float = REPLAY_SETTLE_SECONDS) -> ReplicaHealth:
    """``health`` again once the standby has replayed what it had received, with the seconds that
    took as its lag; unchanged when it does not within ``within`` seconds (none when 0: with
    ``--max-lag 0`` only a standby caught up at the first reading is read), or is not streaming."""
    if health.received is None or not health.streaming or within <= 0:
        return health
    statement = sql_statement("replica_replayed")
    started = time.monotonic()
    while True:
        row = conn.execute(statement, {"received": health.received}).fetchone()
        waited = time.monotonic() - started
        if row is not None and row[0]:
            return dataclasses.replace(health, lag=waited, received=None)
        if waited >= within:
            return health
        time.sleep(0.02)


def read_settings(settings: Settings, dsn: str) -> Settings:
    """``settings`` pointing at the read DSN ``dsn`` (messages name where that DSN came from)."""
    source = _SOURCE_NAMES.get(settings.read_dsn_source or "", "a read DSN")
    return dataclasses.replace(settings, dsn=dsn, dsn_source=source, read_dsns=())


def connect_for_reading(settings: Settings, *, notice: Callable[[str], None] | None = None) -> "psycopg.Connection[Any]":
    """A connection for a query command: the first usable read DSN, else the primary.

    ``notice`` receives one line when the reading does not happen where the first read DSN
    points (a replica down, lagging past ``settings.max_lag`` or without the collection; a read
    DSN that is a primary), and when configured read DSNs are not used at all. DatabaseError
    (exit 5) only when neither a replica nor the primary can be reached.
    """
    say = notice or (lambda _message: None)
    if settings.read_dsns_ignored:
        given = _SOURCE_NAMES.get(settings.read_dsn_source or "", "read DSNs")
        primary = {"option": "--dsn", "env": "PGVSEARCH_DSN"}.get(settings.dsn_source, settings.dsn_source)
        say(f"note: {given} is not used: the primary comes from {primary}, which may be another database; "
            "give read DSNs the same way (e.g. --read-dsn with --dsn)")
    if not settings.read_dsns:
        return connect(settings)
    problems: list[str] = []
    for dsn in settings.read_dsns:
        replica = read_settings(settings, dsn)
        where = describe_target(replica)
        try:
            conn = connect(replica)
        except DatabaseError as exc:
            reason = str(exc).partition(f"{where}: ")[2] or str(exc)  # connect's message names the place again
            problems.append(f"replica {where} is unreachable ({reason})")
            continue
        try:
            health = replica_health(conn, where, settings.collection)
            # None: a standby that has replayed no transaction since it started, whose receiver
            # streams, may also be behind only by what it has just received.
            if health.has_collection and (health.lag is None or health.lag > settings.max_lag):
                health = settled(conn, health, min(REPLAY_SETTLE_SECONDS, settings.max_lag))
        except Exception as exc:  # noqa: BLE001 - any failure here means: read elsewhere, and say why
            conn.close()
            from ..redact import redact_secrets

            problems.append(f"replica {where} failed its health check ({redact_secrets(' '.join(str(exc).split()))})")
            continue
        problem = health.problem(settings.collection, settings.max_lag)
        if problem:
            conn.close()
            problems.append(problem)
            continue
        if not health.in_recovery:
            problems.append(f"read DSN {where} is not a replica (it accepts writes)")
        if problems:
            say(f"note: reading from {where}: " + "; ".join(problems))
        set_connection_target(conn, f"the replica at {where}, {health.lag:.1f} s behind" if health.in_recovery
                              else f"PostgreSQL at {where} (a read DSN that accepts writes)")
        return conn
    try:
        conn = connect(settings)
    except DatabaseError as exc:
        raise DatabaseError(f"{exc}; and no read replica could answer: " + "; ".join(problems)) from None
    say(f"note: reading from the primary ({describe_target(settings)}): " + "; ".join(problems))
    return conn
