"""files -> text -> chunks -> embeddings -> binary COPY -> committed, incrementally.

Three stages overlap: a reader thread parses and chunks, the calling thread embeds, and a
writer thread loads each batch of whole documents in one transaction (so a document and
all of its chunks appear atomically). Unchanged documents (same content hash, model and
chunking settings) are skipped before anything is embedded.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, Sequence

from ..chunking import Chunker
from ..errors import ConfigError, UsageError
from ..sources import DEFAULT_MAX_BYTES, DocIds, Skipped, SourceDocument, Stored, discover, parse_file, parse_stream
from ..store import Collection, acquire_ingest_lock, release_ingest_lock, sql_statement
from .batch import EmbeddedBatch, InFlight, PreparedDocument, chunk_document, content_hash, embed_documents, scrubbed
from .index import begin_bulk_load, finish_bulk_load
from .prune import prune as prune_gone
from .report import IngestReport, write_report
from .writer import write_refusing

if TYPE_CHECKING:
    import psycopg

    from ..embedding import Embedder

    _Prepared = queue.Queue[PreparedDocument | None | BaseException]  # the reader's output


class Ingestor:
    """One ingest run into one collection. Use :func:`ingest_paths` unless you need the parts."""

    def __init__(
        self,
        conn: "psycopg.Connection[Any]",
        coll: Collection,
        embedder: "Embedder",
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        batch_chunks: int = 256,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        coll.check_embedder(embedder)
        precision = getattr(embedder, "precision", coll.precision)
        if precision != coll.precision:
            raise ConfigError(
                f"collection {coll.name!r} stores {coll.precision} document embeddings but the embedder is {precision} "
                f"(load it with precision={coll.precision!r}; if the model has no ONNX export, init a collection with --precision fp32)"
            )
        self.conn = conn
        self.coll = coll
        self.embedder = embedder
        self.max_bytes = max_bytes
        self.batch_chunks = batch_chunks
        self.on_progress = on_progress
        self.report = IngestReport(collection=coll.name)
        self.chunker = Chunker.for_embedder(embedder, max_tokens=coll.chunk_tokens, overlap=coll.chunk_overlap)
        self.stop = threading.Event()
        self._existing: dict[str, str] = {}  # doc_id -> content hash of the stored documents
        self.doc_ids = DocIds(())  # the run's doc_id state; set again by run() for its paths
        self._text: tuple[str, ...] = ()
        self._id_root: Path | None = None
        self._lock = threading.Lock()
        self._documents: Iterable[SourceDocument | Skipped] | None = None

    # -- stage 1: read, parse, hash, chunk ---------------------------------------------
    def _inputs(self, paths: Sequence[str], include: Sequence[str], exclude: Sequence[str], stdin: BinaryIO | None) -> Iterator[SourceDocument | Skipped]:
        if self._documents is not None:  # documents handed in (e.g. a table's rows) instead of files
            for item in self._documents:
                if self.stop.is_set():
                    return
                yield item
                if self.on_progress:
                    self.on_progress(1)
            return
        if "-" in paths:
            yield from parse_stream(stdin if stdin is not None else sys.stdin.buffer, max_bytes=self.max_bytes)
            if self.on_progress:
                self.on_progress(1)
        # One walk over every path, folders first and the widest first: a file reached from two
        # overlapping arguments is read once, under the widest folder's doc_id.
        walked = self.report.walk
        walked.max_bytes = self.max_bytes
        for item in discover(self.doc_ids.walk, include=include, exclude=exclude, text=self._text, account=walked):
            if self.stop.is_set():
                return
            if isinstance(item, Skipped):
                yield item
                continue
            file_path, root = item
            fmt = "txt" if file_path in walked.text_files else None
            yield from parse_file(file_path, self._id_root or root, max_bytes=self.max_bytes, fmt=fmt)
            self.doc_ids.file_read(str(file_path))
            if self.on_progress:
                self.on_progress(1)

    def _prepare(self, items: Iterable[SourceDocument | Skipped], out: _Prepared) -> None:
        try:
            deferred: list[tuple[SourceDocument, Stored]] = []
            for item in items:
                if self.stop.is_set():
                    break
                if isinstance(item, Skipped):
                    with self._lock:
                        if item.ignored:  # read, and no document (a JSON file without text)
                            self.report.walk.ignore_file(item.label, item.reason)
                        else:
                            self.report.skip(item.label, item.reason)
                            self.doc_ids.skipped(item)
                    continue
                doc = item
                for w in doc.warnings:
                    with self._lock:
                        self.report.warnings.append({"path": doc.source, "warning": w})
                doc, holder = self.doc_ids.identify(scrubbed(doc))
                if holder is not None and self.doc_ids.may_move(holder):
                    deferred.append((doc, holder))  # its holder may take another doc_id later in this run
                    continue
                self._accept(doc, holder, out)
            self._accept_deferred(deferred, out)
        except BaseException as exc:  # surfaced by the embedding stage
            out.put(exc)
        finally:
            out.put(None)

    def _accept_deferred(self, deferred: list[tuple[SourceDocument, Stored]], out: _Prepared) -> None:
        while deferred and not self.stop.is_set():
            # Holders read in this run were stored under their own doc_ids (or left their JSONL
            # file): those doc_ids are free now. Repeat while that frees more (chains).
            free = [self.doc_ids.moved(h) for _, h in deferred]
            if not any(free):
                break
            for (doc, _), is_free in zip(deferred, free):
                if is_free:
                    self._accept(doc, None, out)
            deferred = [item for item, is_free in zip(deferred, free) if not is_free]
        for doc, holder in deferred:
            if self.stop.is_set():
                break
            self._accept(doc, holder, out)

    def _accept(self, doc: SourceDocument, holder: Stored | None, out: _Prepared) -> None:
        with self._lock:
            refusal = self.doc_ids.claim(doc, holder)
            if refusal is not None:
                self.report.skip(doc.source, refusal)
                return
        retired = self.doc_ids.retired(doc)
        digest = content_hash(doc, self.coll)
        previous = self._existing.get(doc.doc_id)
        if previous == digest and not retired:
            with self._lock:
                self.report.unchanged += 1
            return
        chunks = chunk_document(self.chunker, doc)
        if not chunks:
            with self._lock:
                self.report.skip(doc.source, "no text to index")
            return
        out.put(PreparedDocument(doc, chunks, digest, replaces=previous is not None or bool(retired), retired=retired))

    # -- stage 2: embed ----------------------------------------------------------------
    def _embed(self, docs: list[PreparedDocument]) -> EmbeddedBatch:
        def refused(d: PreparedDocument, reason: str) -> None:
            with self._lock:
                self.report.skip(d.doc.source, reason)

        started = time.perf_counter()
        batch = embed_documents(self.embedder, self.coll, docs, refused)
        with self._lock:  # batches embedded at once (a Ray pool) add up their time
            self.report.embed_seconds += time.perf_counter() - started
            self.report.embedded_chunks += sum(len(d.chunks) for d in batch.documents)
        return batch

    # -- stage 3: write ----------------------------------------------------------------
    def _write(self, batch: EmbeddedBatch) -> None:
        if not batch.documents:
            return
        started = time.perf_counter()
        written, refused = write_refusing(self.conn, self.coll, batch)
        with self._lock:
            for d, reason in refused:
                self.report.skip(d.doc.source, reason)
            for d in written:
                if d.replaces:
                    self.report.updated += 1
                else:
                    self.report.added += 1
                self.report.chunks += len(d.chunks)
            self.report.db_seconds += time.perf_counter() - started

    def _writer(self, inbox: "queue.Queue[EmbeddedBatch | None]", failure: list[BaseException]) -> None:
        while True:
            batch = inbox.get()
            if batch is None:
                return
            if failure:
                continue  # drain after an error
            try:
                self._write(batch)
            except BaseException as exc:
                failure.append(exc)

    # -- the run -----------------------------------------------------------------------
    def run(
        self,
        paths: Sequence[str],
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        prune: bool = False,
        wait: bool = False,
        stdin: BinaryIO | None = None,
        text: Sequence[str] = (),
        root: str | None = None,
        documents: Iterable[SourceDocument | Skipped] | None = None,
    ) -> IngestReport:
        """Ingest ``paths``. ``text`` globs name files read as plain text whatever their type;
        ``root`` makes doc_ids paths relative to that folder instead of to each folder given
        (two folders whose files share names keep them apart: ``--root`` their common parent).
        ``documents`` replaces the files: documents read elsewhere (a table's rows), read in the
        reader thread; their doc_ids are theirs (no path reconciliation), ``prune`` is the caller's."""
        started = time.perf_counter()
        from pgvector.psycopg import register_vector

        self._documents = documents
        self._text = tuple(text)
        self._id_root = check_root(root, paths)
        acquire_ingest_lock(self.conn, self.coll.name, wait=wait)
        self.doc_ids = DocIds(paths)
        try:
            register_vector(self.conn)
            self._load_stored()
            build_index = begin_bulk_load(self.conn, self.coll, empty=not self._existing)
            try:
                self._pipeline(paths, include, exclude, stdin)
                if prune and not self.report.interrupted:
                    self._prune()
            finally:
                if build_index:
                    finish_bulk_load(self.conn, self.coll, self.report, failing=sys.exc_info()[0] is not None)
        finally:
            self.report.seconds = time.perf_counter() - started
            try:
                if not self.conn.closed and not self.conn.broken:
                    self.conn.rollback()
                    release_ingest_lock(self.conn, self.coll.name)
                    self.conn.commit()
            except Exception:
                pass  # the lock goes with the session anyway
        return self.report

    def _load_stored(self) -> None:
        """What the collection holds: content hashes (the unchanged check) and where each
        document came from (doc_id reconciliation)."""
        from psycopg.rows import dict_row

        rows = self.conn.cursor(row_factory=dict_row).execute(sql_statement("document_hashes", schema=self.coll.schema))
        for row in rows:
            self._existing[row["doc_id"]] = row["content_hash"]
            self.doc_ids.add_stored(row["doc_id"], Stored.from_row(row["source"], row["path"], row["line"]))
        self.conn.commit()

    def _pipeline(self, paths: Sequence[str], include: Sequence[str], exclude: Sequence[str], stdin: BinaryIO | None) -> None:
        prepared: _Prepared = queue.Queue(maxsize=256)
        outbox: "queue.Queue[EmbeddedBatch | None]" = queue.Queue(maxsize=2)
        failure: list[BaseException] = []
        reader = threading.Thread(
            target=self._prepare, args=(self._inputs(paths, include, exclude, stdin), prepared), name="pgvsearch-read", daemon=True
        )
        writer = threading.Thread(target=self._writer, args=(outbox, failure), name="pgvsearch-write", daemon=True)
        reader.start()
        writer.start()
        try:
            self._embed_batches(prepared, outbox, failure, streaming="-" in paths)
        except KeyboardInterrupt:
            self.report.interrupted = True
            self.stop.set()
        finally:
            outbox.put(None)
            while True:
                try:
                    writer.join(timeout=0.2)
                    break
                except KeyboardInterrupt:
                    self.report.interrupted = True  # second Ctrl-C: still let the current transaction end
            if writer.is_alive():
                writer.join()
            # Unblock and finish the reader.
            self.stop.set()
            while reader.is_alive():
                try:
                    prepared.get_nowait()
                except queue.Empty:
                    reader.join(timeout=0.05)
        if failure:
            raise failure[0]

    def _embed_batches(
        self, prepared: _Prepared, outbox: "queue.Queue[EmbeddedBatch | None]", failure: list[BaseException], *, streaming: bool
    ) -> None:
        """Embed what the reader prepares, batch by batch, and hand each batch to the writer.

        Batches are runs of consecutive documents of batch_chunks chunks, whatever the timing:
        an int8 model scales activations per batch, so the same input gives the same vectors.
        Only a stream (stdin) flushes what it has after a pause, so a slow producer's
        documents are committed without waiting for a full batch. An embedder with a
        ``concurrency`` (a Ray pool) embeds that many batches at once; they are written in order.
        """
        pending: list[PreparedDocument] = []
        pending_chunks = 0
        done = False
        with InFlight(self._embed, outbox, getattr(self.embedder, "concurrency", 1)) as embedding:
            while not done:
                if failure:
                    raise failure[0]
                try:
                    item = prepared.get(timeout=0.05 if pending and streaming else 0.5)
                except queue.Empty:
                    item = "flush" if streaming else "idle"  # type: ignore[assignment]
                    embedding.hand_on_finished()
                if item is None:
                    done = True
                elif isinstance(item, BaseException):
                    raise item
                elif isinstance(item, PreparedDocument):
                    pending.append(item)
                    pending_chunks += len(item.chunks)
                if pending and (done or pending_chunks >= self.batch_chunks or item == "flush"):
                    if self.stop.is_set():
                        break
                    embedding.submit(pending)
                    pending, pending_chunks = [], 0

    def _prune(self) -> None:
        started = time.perf_counter()
        self.report.deleted += prune_gone(self.conn, self.coll, self.doc_ids)
        self.report.db_seconds += time.perf_counter() - started


def check_root(root: str | None, paths: Sequence[str]) -> Path | None:
    """``--root``: a folder that contains every path given (UsageError otherwise)."""
    if root is None:
        return None
    base = Path(os.path.abspath(root))
    if not base.is_dir():
        raise UsageError(f"--root {root!r} is not a folder")
    outside = [p for p in paths if p != "-" and not Path(os.path.abspath(p)).is_relative_to(base)]
    if outside:
        raise UsageError(f"--root {root!r} must contain every path given; {outside[0]!r} is outside it")
    return base


def ingest_paths(
    conn: "psycopg.Connection[Any]",
    coll: Collection,
    embedder: "Embedder",
    paths: Sequence[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    prune: bool = False,
    wait: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_chunks: int = 256,
    stdin: BinaryIO | None = None,
    on_progress: Callable[[int], None] | None = None,
    report_path: Path | None = None,
    warn: Callable[[str], None] | None = None,
    text: Sequence[str] = (),
    root: str | None = None,
) -> IngestReport:
    """Ingest files, folders and ``-`` (stdin) into ``coll``; see :class:`IngestReport`.

    With ``report_path`` the JSON report is written there, after a failure too (its ``error``
    is the one-line message, its counts what was committed); a report that cannot be written
    gives ``warn`` one line (standard error by default) and does not fail the run.
    """
    ingestor: Ingestor | None = None
    try:
        ingestor = Ingestor(conn, coll, embedder, max_bytes=max_bytes, batch_chunks=batch_chunks, on_progress=on_progress)
        report = ingestor.run(paths, include=include, exclude=exclude, prune=prune, wait=wait, stdin=stdin, text=text, root=root)
    except BaseException as exc:
        # A cron job reads the report after a failure too: it says what failed and what was committed.
        if report_path is not None:
            failed = ingestor.report if ingestor is not None else IngestReport(collection=coll.name)
            write_report(report_path, failed.fail(exc), warn)
        raise
    if report_path is not None:
        write_report(report_path, report, warn)
    return report
