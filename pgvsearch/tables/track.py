"""``pgvsearch track`` / ``untrack``: triggers on the source table and a change queue owned by
pgvsearch (schema ``pgvsearch`` of the source database), the way pgai's vectorizer does it,
with nothing to install in the server beyond pgvector.

Tracking queues every key of the table once (so the first tracked ingest backfills); from then
on AFTER INSERT/UPDATE/DELETE triggers queue the key of each changed row, and a tracked ingest
reads only those (:mod:`.tracked`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, UsageError
from ..redact import redact_secrets
from ..store import Collection, sql_statement
from .catalog import table_identifier
from .definition import TableSource
from .registry import ensure_registry, forget_queue, remember, remembered
from .sync import define_source, prepare_source

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class TrackResult:
    name: str
    queue: str
    queued: int  # keys queued by this command (every row, the first time)
    already: bool

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.name, "queue": f"pgvsearch.{self.queue}", "queued": self.queued, "already_tracked": self.already}


def queue_name(coll: Collection, source: TableSource) -> str:
    """The queue's table (and NOTIFY channel): readable, unique per collection and table, < 64 bytes."""
    digest = hashlib.sha256(f"{coll.name}\0{source.schema}\0{source.table}".encode()).hexdigest()[:10]
    return f"queue_{coll.name[:40]}_{digest}"


def trigger_name(collection: str) -> str:
    return f"pgvsearch_{collection}"


def _triggers(collection: str) -> dict[str, str]:
    """The names of the row trigger and of the TRUNCATE trigger."""
    return {"trigger": trigger_name(collection), "truncate_trigger": f"{trigger_name(collection)}_truncate"}


def track_table(
    conn: "psycopg.Connection[Any]", source_conn: "psycopg.Connection[Any]", coll: Collection, source: TableSource, *, redefine: bool = False
) -> TrackResult:
    """Install the triggers and the queue for a table source (remembered as ingest remembers
    it); queue every row the first time. Tracking a tracked table again re-installs the
    trigger and queues nothing."""
    if source.query is not None:
        raise UsageError("track needs --table: a --query has no table to put triggers on (ingest it without tracking)")
    resolved, known = prepare_source(conn, source_conn, coll, source, redefine=redefine)
    src = resolved.source
    queue = queue_name(coll, src)
    already = known is not None and known.queue == queue
    queued = install_triggers(source_conn, coll, src, queue, backfill=not already)
    remember(conn, coll, src, queue)
    return TrackResult(src.name, queue, queued, already)


def install_triggers(source_conn: "psycopg.Connection[Any]", coll: Collection, src: TableSource, queue: str, *, backfill: bool) -> int:
    """(Re)install the queue and the triggers for ``src``'s columns, in one transaction; with
    ``backfill``, queue every key of the table. How many keys were queued."""
    try:
        with source_conn.transaction():
            source_conn.execute(sql_statement(
                "track_install", queue=queue, table=table_identifier(src), columns=_identifiers(src.columns),
                arguments=_literals([queue, *src.id_columns]), queue_name=_literals([queue]), **_triggers(coll.name),
            ))
            if not backfill:
                return 0
            return source_conn.execute(sql_statement(
                "track_backfill", queue=queue, table=table_identifier(src), pairs=_pairs(src.id_columns),
            )).rowcount or 0
    except Exception as exc:
        translated = _refused(exc, src)
        if translated is None:
            raise
        raise translated from None


def untrack_table(conn: "psycopg.Connection[Any]", source_conn: "psycopg.Connection[Any]", coll: Collection, table: str) -> TrackResult:
    """Remove the trigger and the queue; the documents stay, and later ingests read the whole table."""
    ensure_registry(conn)
    given = define_source(table=table)
    name = given.name if given.schema else None
    known = remembered(conn, coll, name) if name else None
    if known is None:
        from .catalog import resolve

        found = resolve(source_conn, given)
        known = remembered(conn, coll, found.source.name)
    if known is None or not known.tracked:
        raise ConfigError(f"table {table!r} is not tracked in collection {coll.name!r}")
    src, queue = known.source, known.queue or ""
    with source_conn.transaction():
        source_conn.execute(sql_statement("track_remove", table=table_identifier(src), queue=queue, **_triggers(coll.name)))
    forget_queue(conn, coll, src.name)
    return TrackResult(src.name, queue, 0, True)


def drop_collection_and_tracking(conn: "psycopg.Connection[Any]", name: str) -> tuple[bool, list[str]]:
    """Drop collection ``name`` (False: there is none) after removing the triggers and queues of
    its tracked tables in this database, so that no trigger is left writing to a queue nobody
    reads; what is left in other databases (tracked with --source-dsn), one line each."""
    from psycopg.rows import dict_row

    from ..store import drop_collection, get_collection

    if get_collection(conn, name) is None:
        return False, []
    ensure_registry(conn)
    left: list[str] = []
    with conn.transaction():
        rows = conn.cursor(row_factory=dict_row).execute(sql_statement("table_sources_tracked"), {"collection": name}).fetchall()
        for row in rows:
            src = TableSource.from_json(row["definition"])
            if row["here"]:
                conn.execute(sql_statement("track_remove", table=table_identifier(src), queue=row["queue"], **_triggers(name)))
                continue
            remove = sql_statement("track_remove", table=table_identifier(src), queue=row["queue"], **_triggers(name)).as_string(conn)
            statements = " ".join(line for line in remove.splitlines() if line.strip() and not line.startswith("--"))
            left.append(f"{src.name} is tracked in another database: its triggers and queue stay there until you run {statements}")
    return drop_collection(conn, name), left


def pending_changes(source_conn: "psycopg.Connection[Any]", queue: str) -> int:
    row = source_conn.execute(sql_statement("track_pending", queue=queue)).fetchone()
    return int(row[0]) if row else 0


def _identifiers(names: tuple[str, ...]) -> Any:
    from psycopg import sql

    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _literals(values: list[str]) -> Any:
    from psycopg import sql

    return sql.SQL(", ").join(sql.Literal(v) for v in values)


def _pairs(names: tuple[str, ...]) -> Any:
    from psycopg import sql

    return sql.SQL(", ").join(sql.SQL("{}, {}").format(sql.Literal(n), sql.Identifier(n)) for n in names)


def _refused(exc: BaseException, source: TableSource) -> Exception | None:
    state = getattr(exc, "sqlstate", None) or ""
    primary = redact_secrets(" ".join((getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)).split()))
    if state == "42501":
        return ConfigError(
            f"cannot track {source.name}: {primary} (track needs to own the table, or hold TRIGGER on it, "
            "and CREATE on the database for schema pgvsearch)"
        )
    if state == "42809":  # wrong object type: a view
        return ConfigError(f"cannot track {source.name}: {primary} (track needs a table; ingest a view without tracking)")
    return None
