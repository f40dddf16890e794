"""``ingest --table/--query``: a table's rows into a collection, through the ingest pipeline.

An untracked source is read whole (key order, one READ ONLY transaction) and handed to the
pipeline: unchanged rows (same content hash) are not embedded again, ``--prune`` deletes the
documents whose rows are gone once the run has finished. A tracked source reads only its
queued changes (:mod:`.tracked`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import UsageError
from ..ingest import IngestReport, write_report
from ..sources import DEFAULT_MAX_BYTES
from ..store import Collection, acquire_ingest_lock, release_ingest_lock, sql_statement
from .catalog import Resolved, key_is_unique, resolve
from .definition import TableSource, split_columns, split_table_name
from .registry import Remembered, ensure_registry, remember, remembered, settle

if TYPE_CHECKING:
    import psycopg

    from ..embedding import Embedder


def define_source(
    *,
    table: str | None = None,
    query: str | None = None,
    name: str | None = None,
    id_columns: Sequence[str] | str | None = None,
    text_columns: Sequence[str] | str | None = None,
    title_column: str | None = None,
    meta_columns: Sequence[str] | str | None = None,
) -> TableSource:
    """A source from the command line's words (columns may be left out: the remembered ones
    are used). ``--table [SCHEMA.]TABLE`` names are taken as written; ``--query`` needs a
    ``name`` for its doc_ids unless ``query`` will do."""
    if (table is None) == (query is None):
        raise UsageError("give one of --table [SCHEMA.]TABLE or --query 'SELECT ...'")

    def columns(value: Sequence[str] | str | None, option: str) -> tuple[str, ...]:
        return split_columns([value] if isinstance(value, str) else value, option)

    schema, table_name = split_table_name(table) if table is not None else (None, None)
    if query is not None and name is None:
        name = "query"
    return TableSource(
        name=name or (f"{schema}.{table_name}" if schema else str(table_name)),
        id_columns=columns(id_columns, "--id"), text_columns=columns(text_columns, "--text"),
        title_column=title_column, meta_columns=columns(meta_columns, "--meta"),
        schema=schema, table=table_name, query=query,
    )


def prepare_source(
    conn: "psycopg.Connection[Any]", source_conn: "psycopg.Connection[Any]", coll: Collection, given: TableSource, *, redefine: bool = False
) -> tuple[Resolved, Remembered | None]:
    """The source checked against both databases (table, columns, unique key) and remembered;
    with what was remembered before (None: a new source)."""
    ensure_registry(conn)
    if given.table is not None:
        found = resolve(source_conn, _with_columns_for_lookup(given))
        given = given.with_schema(found.source.schema or "", found.source.table or "")
    known = remembered(conn, coll, given.name)
    source, changed = settle(given, known, redefine=redefine)
    resolved = resolve(source_conn, source)
    key_is_unique(source_conn, resolved)
    if changed:
        remember(conn, coll, resolved.source)
    return resolved, known


def _with_columns_for_lookup(source: TableSource) -> TableSource:
    """Finding the table needs no column: check the columns once the definition is settled."""
    from dataclasses import replace

    return replace(source, id_columns=(), text_columns=(), title_column=None, meta_columns=())


def ingest_table(
    conn: "psycopg.Connection[Any]",
    coll: Collection,
    embedder: "Embedder",
    source: TableSource,
    *,
    source_conn: "psycopg.Connection[Any] | None" = None,
    redefine: bool = False,
    prune: bool = False,
    wait: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_chunks: int = 256,
    on_progress: Callable[[int], None] | None = None,
    report_path: Path | None = None,
    warn: Callable[[str], None] | None = None,
    follow: bool = False,
    stop: threading.Event | None = None,
) -> IngestReport:
    """Ingest a table source (see :func:`define_source`) into ``coll``; see :class:`IngestReport`.

    ``source_conn`` reads the source (another database, or a second connection to this one:
    the rows are read while the pipeline writes); a tracked source's changes are claimed on
    ``conn`` when both are the same database, so the queue and the documents commit together.
    ``follow`` (tracked only) keeps waiting for changes until ``stop`` is set.
    """
    report = IngestReport(collection=coll.name)
    try:
        if source_conn is None:
            raise UsageError("ingest_table needs source_conn: a connection that reads the source (it may be a second one to this database)")
        resolved, known = prepare_source(conn, source_conn, coll, source, redefine=redefine)
        if known is not None and known.tracked and known.source.differences(resolved.source):
            # Redefined while tracked: the triggers watch the new columns from now on, and the
            # whole table is read again (changes queued meanwhile are found unchanged later).
            from .track import install_triggers

            install_triggers(source_conn, coll, resolved.source, known.queue or "", backfill=False)
            report = _full_sync(
                conn, source_conn, coll, embedder, resolved.source, prune=True, wait=wait,
                max_bytes=max_bytes, batch_chunks=batch_chunks, on_progress=on_progress,
            )
        elif known is not None and known.tracked:
            from .tracked import run_tracked

            report = run_tracked(
                conn, source_conn, coll, embedder, resolved.source, known.queue or "", report=report, wait=wait,
                max_bytes=max_bytes, batch_chunks=batch_chunks, follow=follow, stop=stop,
            )
        elif follow:
            raise UsageError(f"--follow needs a tracked source: run `pgvsearch track --table {resolved.source.name}` first")
        else:
            report = _full_sync(
                conn, source_conn, coll, embedder, resolved.source, prune=prune or redefine, wait=wait,
                max_bytes=max_bytes, batch_chunks=batch_chunks, on_progress=on_progress,
            )
    except BaseException as exc:
        if report_path is not None:
            write_report(report_path, report.fail(exc), warn)
        raise
    if report_path is not None:
        write_report(report_path, report, warn)
    return report


def _full_sync(
    conn: "psycopg.Connection[Any]", source_conn: "psycopg.Connection[Any]", coll: Collection, embedder: "Embedder",
    source: TableSource, *, prune: bool, wait: bool, max_bytes: int, batch_chunks: int, on_progress: Callable[[int], None] | None,
) -> IngestReport:
    from ..ingest import Ingestor
    from .rows import read_rows

    seen: set[str] = set()
    ingestor = Ingestor(conn, coll, embedder, max_bytes=max_bytes, batch_chunks=batch_chunks, on_progress=on_progress)
    # Held across the run and the prune (the pipeline takes it again: advisory locks nest).
    acquire_ingest_lock(conn, coll.name, wait=wait)
    try:
        report = ingestor.run((), wait=wait, documents=read_rows(source_conn, source, max_bytes, seen))
        if prune and not report.interrupted and not report.error:
            report.deleted += prune_rows(conn, coll, source, seen)
    finally:
        if not conn.closed and not conn.broken:
            release_ingest_lock(conn, coll.name)
    return report


def prune_rows(conn: "psycopg.Connection[Any]", coll: Collection, source: TableSource, seen: set[str]) -> int:
    """Delete the source's documents whose rows were not read in a finished run (rows deleted,
    or documents of a previous definition); one transaction. The number deleted."""
    with conn.transaction():
        stored = [r[0] for r in conn.execute(sql_statement("table_documents_under", schema=coll.schema), {"prefix": source.prefix})]
        gone = [doc_id for doc_id in stored if doc_id not in seen]
        if gone:
            conn.execute(sql_statement("delete_documents", schema=coll.schema), {"doc_ids": gone})
    return len(gone)
