"""Table sources: `ingest --table/--query` (its options are on `ingest`), `track`, `untrack`."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterator, List, Optional

import typer

from ..errors import DatabaseError, UsageError
from .context import connection, err, load_embedder, open_collection, settings_for
from .options import CollectionName, Debug, Dsn, Model
from .signals import terminate_as_interrupt

if TYPE_CHECKING:
    import psycopg

    from ..config import Settings
    from ..ingest import IngestReport

SourceDsn = Annotated[Optional[str], typer.Option(
    "--source-dsn", help="libpq connection string of the database holding the table [default: PGVSEARCH_SOURCE_DSN, else the collection's database].",
    show_default=False,
)]
Table = Annotated[str, typer.Option("--table", "-t", help="[SCHEMA.]TABLE, names as written (quote a name with a dot: '\"a.b\"').")]
Redefine = Annotated[bool, typer.Option("--redefine", help="Accept a definition that differs from the remembered one (documents are re-derived).")]


@contextmanager
def source_connection(settings: "Settings", source_dsn: str | None) -> Iterator["psycopg.Connection[Any]"]:
    """A connection to the source database: --source-dsn, PGVSEARCH_SOURCE_DSN, or a second
    connection to the collection's database. Its failures say "source database" (exit 5)."""
    dsn = source_dsn or os.environ.get("PGVSEARCH_SOURCE_DSN") or None
    where = settings if dsn is None else dataclasses.replace(settings, dsn=dsn, dsn_source="option" if source_dsn else "env")
    try:
        cm = connection(where)
        conn = cm.__enter__()
    except DatabaseError as exc:
        raise DatabaseError(f"source database: {exc}") from None
    try:
        yield conn
    finally:
        cm.__exit__(None, None, None)


def ingest_source(
    *, table: str | None, query: str | None, name: str | None, id_columns: list[str] | None, text_columns: list[str] | None,
    title: str | None, meta: list[str] | None, source_dsn: str | None, redefine: bool, follow: bool, settings: "Settings",
    model: str | None, quiet: bool, prune: bool, wait: bool, max_bytes: int, batch_chunks: int, report: Path | None,
) -> "IngestReport":
    """`ingest --table/--query`: called by the ingest command once its settings are resolved."""
    from ..tables import define_source, ingest_table

    source = define_source(table=table, query=query, name=name, id_columns=id_columns, text_columns=text_columns, title_column=title, meta_columns=meta)
    with connection(settings) as conn, source_connection(settings, source_dsn) as source_conn:
        coll = open_collection(conn, settings, model)
        embedder: Any = LazyEmbedder(lambda: load_embedder(coll.model, settings, quiet, coll.precision))
        stop = threading.Event()
        with (stop_on_terminate(stop) if follow else terminate_as_interrupt()):
            return ingest_table(
                conn, coll, embedder, source, source_conn=source_conn, redefine=redefine, prune=prune, wait=wait,
                max_bytes=max_bytes, batch_chunks=batch_chunks, report_path=report, warn=err, follow=follow, stop=stop,
            )


class LazyEmbedder:
    """The collection's model, loaded when first used: a tracked run with nothing queued never
    loads it (the whole command then takes a fraction of a second)."""

    def __init__(self, load: Any) -> None:
        self._load, self._embedder = load, None

    def __getattr__(self, name: str) -> Any:
        if self._embedder is None:
            self._embedder = self._load()
        return getattr(self._embedder, name)


@contextmanager
def stop_on_terminate(stop: threading.Event) -> Iterator[None]:
    """--follow: SIGTERM (systemd's stop) lets the batch under way commit, then exits 0."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def track(
    table: Table,
    id_columns: Annotated[Optional[List[str]], typer.Option("--id", help="Key column(s), COL[,COL...] [default: the remembered ones].", show_default=False)] = None,
    text_columns: Annotated[Optional[List[str]], typer.Option("--text", help="Text column(s), COL[,COL...] [default: the remembered ones].", show_default=False)] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Title column.", show_default=False)] = None,
    meta: Annotated[Optional[List[str]], typer.Option("--meta", help="Metadata column(s), COL[,COL...].", show_default=False)] = None,
    redefine: Redefine = False,
    source_dsn: SourceDsn = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="json prints the result on stdout.", show_default=False)] = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    debug: Debug = False,
) -> None:
    """Track a table: triggers queue each changed row's key, so `ingest --table` reads only those.

    Example: pgvsearch track --table public.articles --id id --text title,body && pgvsearch ingest --table public.articles
    """
    from ..render import print_json
    from ..tables import define_source, track_table

    source = define_source(table=table, id_columns=id_columns, text_columns=text_columns, title_column=title, meta_columns=meta)
    settings = settings_for(dsn, collection)
    with connection(settings) as conn, source_connection(settings, source_dsn) as source_conn:
        coll = open_collection(conn, settings, None)
        result = track_table(conn, source_conn, coll, source, redefine=redefine)
    if fmt == "json":
        print_json(result.to_dict())
    state = "already tracked; trigger re-installed" if result.already else f"{result.queued} rows queued for the next ingest"
    err(f"tracking {result.name} in collection {coll.name!r} (queue pgvsearch.{result.queue}): {state}")


def untrack(
    table: Table,
    source_dsn: SourceDsn = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    debug: Debug = False,
) -> None:
    """Stop tracking a table: its trigger and queue go; its documents stay.

    Example: pgvsearch untrack --table public.articles
    """
    from ..tables import untrack_table

    settings = settings_for(dsn, collection)
    with connection(settings) as conn, source_connection(settings, source_dsn) as source_conn:
        coll = open_collection(conn, settings, None)
        result = untrack_table(conn, source_conn, coll, table)
    err(f"stopped tracking {result.name} in collection {coll.name!r} (trigger and queue removed; documents kept)")


def check_source_options(paths: list[str] | None, table: str | None, query: str | None, root: str | None, include: Any, exclude: Any) -> bool:
    """Whether this ingest reads a table source; files and a table in one run are refused."""
    if table is None and query is None:
        if not paths:
            raise UsageError("ingest needs files, folders or -, or --table/--query")
        return False
    if paths or root or include or exclude:
        raise UsageError("ingest reads files or a table source, not both in one run (--table/--query take no paths, --include, --exclude or --root)")
    return True
