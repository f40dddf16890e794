"""ingest: files -> a collection, with a JSON report a cron job can read (after a failure too)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterator, List, Optional

import typer

from ..errors import ExitCode, UsageError
from .context import connection, err, load_embedder, open_collection, settings_for
from .options import CollectionName, Debug, Device, Dsn, Model
from .signals import terminate_as_interrupt

if TYPE_CHECKING:
    from ..config import Settings
    from ..ingest import IngestReport


def ingest(
    paths: Annotated[Optional[List[str]], typer.Argument(help="Files, folders (recursive) or - for stdin.", show_default=False)] = None,
    include: Annotated[Optional[List[str]], typer.Option("--include", "-i", help="Glob of files to take (repeatable), e.g. '*.md'.")] = None,
    exclude: Annotated[Optional[List[str]], typer.Option("--exclude", "-x", help="Glob of files to leave out (repeatable).")] = None,
    text: Annotated[Optional[List[str]], typer.Option("--text", help="Glob of files to read as plain text whatever their type (repeatable), e.g. '*.log' or NOTES. With --table/--query: the text column(s), COL[,COL...].")] = None,
    root: Annotated[Optional[str], typer.Option("--root", help="doc_ids are paths relative to this folder, which must contain every path given [default: each folder given]; e.g. the common parent of two folders whose files share names.", show_default=False)] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Delete documents whose files under the given paths are gone.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another ingest of the collection instead of exiting 75.")] = False,
    max_size: Annotated[float, typer.Option("--max-size", help="Skip files larger than this many MB.")] = 50.0,
    batch_chunks: Annotated[int, typer.Option("--batch-chunks", help="Chunks embedded and committed together (whole documents); a crash loses only uncommitted batches (up to about 4 of them), which the next run ingests.", min=1)] = 256,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write the JSON report (counts, skipped inputs) to this file.")] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="json prints the report on stdout.", show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="After the ingest, keep watching the paths and apply each change within about a second (Ctrl-C or SIGTERM stops after the current pass, exit 0).")] = False,
    table: Annotated[Optional[str], typer.Option("--table", "-t", help="Ingest a table's rows: [SCHEMA.]TABLE (see docs/tables.md).", show_default=False)] = None,
    query: Annotated[Optional[str], typer.Option("--query", help="Ingest the rows of a SELECT (run read-only).", show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="A --query source's name (its doc_id prefix) [default: query].", show_default=False)] = None,
    id_columns: Annotated[Optional[List[str]], typer.Option("--id", help="Table source: key column(s), COL[,COL...].", show_default=False)] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Table source: title column.", show_default=False)] = None,
    meta: Annotated[Optional[List[str]], typer.Option("--meta", help="Table source: metadata column(s), COL[,COL...].", show_default=False)] = None,
    redefine: Annotated[bool, typer.Option("--redefine", help="Table source: accept a definition that differs from the remembered one.")] = False,
    follow: Annotated[bool, typer.Option("--follow", help="Tracked table: keep embedding changes as they commit (SIGTERM stops, exit 0).")] = False,
    source_dsn: Annotated[Optional[str], typer.Option("--source-dsn", help="Table source: the database holding it [default: PGVSEARCH_SOURCE_DSN, else the collection's].", show_default=False)] = None,
    ray: Annotated[Optional[str], typer.Option("--ray", metavar="ADDRESS", help="Embed on a Ray cluster (needs pgvsearch[ray]): local (start one here), auto (the cluster in RAY_ADDRESS) or HOST:PORT / ray://HOST:PORT. See docs/scaling.md.", show_default=False)] = None,
    ray_workers: Annotated[Optional[int], typer.Option("--ray-workers", help="With --ray: embedding actors, one CPU each [default: the cluster's CPUs].", min=1, show_default=False)] = None,
    model: Model = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    device: Device = None,
    debug: Debug = False,
) -> None:
    """Ingest files (or a table's rows) into a collection; unchanged documents are skipped without embedding.

    Example: pgvsearch ingest ./docs --include '*.md' --prune
    """
    from ..ingest import ingest_paths
    from .tables import check_source_options, ingest_source

    with report_on_failure(report, collection) as attempt:
        if fmt is not None and fmt != "json":
            raise UsageError("ingest --format takes json (the report on stdout)")
        if watch and (table or query):
            raise UsageError("--watch watches files and folders; a tracked table follows its changes with --follow")
        if watch and "-" in (paths or []):
            raise UsageError("--watch watches files and folders, not standard input")
        if ray is not None and (watch or table or query):
            raise UsageError("--ray embeds files and folders given to ingest; it does not combine with --watch, --table or --query")
        if ray_workers is not None and ray is None:
            raise UsageError("--ray-workers goes with --ray ADDRESS")
        if ray is not None:
            from ..embedding import import_ray

            import_ray()  # without the extra: exit 2 before connecting to anything
        from_table = check_source_options(paths, table, query, root, include, exclude)
        attempt.settings = settings_for(dsn, collection, device=device)
        if from_table:
            attempt.started = True  # the library writes the report from here, on failure too
            result = ingest_source(
                table=table, query=query, name=name, id_columns=id_columns, text_columns=text, title=title, meta=meta,
                source_dsn=source_dsn, redefine=redefine, follow=follow, settings=attempt.settings, model=model, quiet=quiet,
                prune=prune, wait=wait, max_bytes=int(max_size * 1024 * 1024), batch_chunks=batch_chunks, report=report,
            )
            return _finish(result, fmt, quiet)
        with connection(attempt.settings) as conn:
            coll = open_collection(conn, attempt.settings, model)
            embedder = load_embedder(coll.model, attempt.settings, quiet, coll.precision)
            if ray is not None:
                embedder = _on_ray(embedder, ray, ray_workers, attempt.settings, quiet)
            progress = _progress_bar(quiet)
            try:
                with terminate_as_interrupt():
                    attempt.started = True  # from here the library writes the report, on failure too
                    result = ingest_paths(
                        conn, coll, embedder, paths or [], include=include or (), exclude=exclude or (), prune=prune, wait=wait,
                        max_bytes=int(max_size * 1024 * 1024), batch_chunks=batch_chunks,
                        on_progress=progress.update if progress is not None else None, report_path=report, warn=err,
                        text=text or (), root=root,
                    )
            finally:
                if progress is not None:
                    progress.close()
                if ray is not None:
                    embedder.close()
            if watch:
                _finish(result, fmt, quiet, exit_on_partial=False)
                options = dict(include=include or (), exclude=exclude or (), prune=prune, max_bytes=int(max_size * 1024 * 1024),
                               batch_chunks=batch_chunks, text=text or (), root=root, report_path=report, warn=err)
                _watch(conn, coll, embedder, paths, options, fmt, quiet)
                return
    _finish(result, fmt, quiet)


def _on_ray(embedder: Any, address: str, workers: int | None, settings: "Settings", quiet: bool) -> Any:
    """The same model's batches embedded by Ray actors, each loading it once from the model cache."""
    from ..embedding import ray_embedder

    pool = ray_embedder(embedder, address, cache_dir=settings.model_cache, workers=workers)
    if not quiet:
        err(f"note: embedding on Ray with {pool.concurrency} worker{'s' if pool.concurrency != 1 else ''} ({address})")
    return pool


def _watch(conn: Any, coll: Any, embedder: Any, paths: List[str], options: dict[str, Any], fmt: str | None, quiet: bool) -> None:
    """Watch until SIGINT/SIGTERM (exit 0 after the pass under way) or until every path is gone (exit 3)."""
    import signal
    import threading

    from ..ingest import watch_paths
    from ..render import ingest_summary, print_json

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())

    def on_pass(done: Any) -> None:
        if fmt == "json":
            print_json(done.report.to_dict())
        changed = done.report.added or done.report.updated or done.report.deleted or done.report.skipped
        if not quiet and changed:
            err("watch: " + ingest_summary(done.report))
        elif quiet and done.report.partial:
            err("\n".join(f"skipped {item['path']}: {item['reason']}" for item in done.report.skipped))

    if not quiet:
        err(f"watching {len(paths)} path{'s' if len(paths) != 1 else ''} for changes (Ctrl-C to stop)")
    gone = watch_paths(conn, coll, embedder, paths, stop=stop, on_pass=on_pass, **options)
    if len(gone) == len(paths):
        err(f"pgvsearch: the watched path{'s are' if len(gone) > 1 else ' is'} gone ({', '.join(gone)}); stopping")
        raise typer.Exit(int(ExitCode.PARTIAL))


def _finish(result: "IngestReport", fmt: str | None, quiet: bool, *, exit_on_partial: bool = True) -> None:
    """Print the report; a partial or interrupted run exits with its own code (a partial one
    goes on when it is the first pass of a watch)."""
    from ..render import ingest_summary, print_json

    if fmt == "json":
        print_json(result.to_dict())
    if not quiet or result.interrupted:
        err(ingest_summary(result))
    elif result.partial:
        # --quiet keeps cron mail empty unless something went wrong: the skips are that something.
        err("\n".join(f"skipped {item['path']}: {item['reason']}" for item in result.skipped))
    if result.interrupted:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if result.partial and exit_on_partial:
        raise typer.Exit(int(ExitCode.PARTIAL))


class _Attempt:
    """How far an ingest got: whether its failure report is still the command's to write."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.started = False


@contextmanager
def report_on_failure(path: Path | None, collection: str | None) -> Iterator[_Attempt]:
    """A failure before the ingest started (settings, connection, model) still writes ``path``:
    a cron job reads the report after every run. Once started, ingest_paths writes it."""
    attempt = _Attempt()
    try:
        yield attempt
    except BaseException as exc:
        if path and not attempt.started and not isinstance(exc, typer.Exit):
            from ..ingest import IngestReport, write_report

            name = attempt.settings.collection if attempt.settings is not None else collection or ""
            write_report(path, IngestReport.failed(name, exc), err)
        raise


def _progress_bar(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)
