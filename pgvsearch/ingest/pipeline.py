"""files -> text -> chunks -> embeddings -> binary COPY -> committed, incrementally.

Three stages overlap: a reader thread parses and chunks, the calling thread embeds, and a
writer thread loads each batch of whole documents in one transaction (so a document and
all of its chunks appear atomically). Unchanged documents (same content hash, model and
chunking settings) are skipped before anything is embedded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, Sequence

from ..chunking import Chunk, Chunker
from ..store import Collection, acquire_ingest_lock, release_ingest_lock, sql_statement
from ..errors import ConfigError, EmbeddingError
from ..sources import DEFAULT_MAX_BYTES, Skipped, SourceDocument, display_path, discover, parse_file, parse_stream

if TYPE_CHECKING:
    import numpy as np
    import psycopg

    from ..embedding import Embedder

VOLATILE_METADATA = frozenset({"mtime", "size", "line"})
SEGMENT_CHARS = 30_000  # keeps tsvector positions under 16383, so term frequencies are exact
MARKDOWN_FORMATS = frozenset({"md", "html", "txt", "rst", "jsonl", "pdf"})


@dataclass
class IngestReport:
    """What an ingest run did; ``to_dict()`` is the machine-readable form (``--report``)."""

    collection: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    db_seconds: float = 0.0
    index_seconds: float = 0.0
    interrupted: bool = False
    error: str | None = None  # set by the CLI when the run failed (exit code 1, 4, 5, ...)

    @property
    def chunks_per_second(self) -> float:
        return self.embedded_chunks / self.seconds if self.seconds > 0 else 0.0

    @property
    def partial(self) -> bool:
        return bool(self.skipped)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append({"path": path, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "skipped": len(self.skipped),
            "chunks": self.chunks,
            "embedded_chunks": self.embedded_chunks,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
            "db_seconds": round(self.db_seconds, 3),
            "index_seconds": round(self.index_seconds, 3),
            "chunks_per_second": round(self.chunks_per_second, 2),
            "interrupted": self.interrupted,
            "error": self.error,
            "skipped_inputs": self.skipped,
            "warnings": self.warnings,
        }


@dataclass
class PreparedDocument:
    doc: SourceDocument
    chunks: list[Chunk]
    content_hash: str
    replaces: bool
    retired: list[str] = field(default_factory=list)  # other doc_ids of the same file, deleted with the write


@dataclass
class EmbeddedBatch:
    documents: list[PreparedDocument]
    vectors: list["np.ndarray"]  # one (n_chunks, dim) array per document


def content_hash(doc: SourceDocument, coll: Collection) -> str:
    stable_meta = {k: v for k, v in doc.metadata.items() if k not in VOLATILE_METADATA}
    h = hashlib.sha256()
    for part in (coll.chunking_fingerprint(), doc.title, doc.text, json.dumps(stable_meta, sort_keys=True, default=str)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _clean(text: str) -> str:
    """Text PostgreSQL accepts: no NUL, no lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _segments(text: str) -> list[str]:
    """Split long text at whitespace into pieces small enough for one tsvector each."""
    if len(text) <= SEGMENT_CHARS:
        return [text]
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + SEGMENT_CHARS)
        if end < len(text):
            cut = text.rfind(" ", start + SEGMENT_CHARS // 2, end)
            end = cut if cut > start else end
        pieces.append(text[start:end])
        start = end
    return pieces


def write_batch(conn: "psycopg.Connection[Any]", coll: Collection, batch: EmbeddedBatch) -> None:
    """Write whole documents with their chunks, vectors and BM25 postings in one transaction.

    Documents with the same doc_id are replaced. The connection needs pgvector's types
    registered (``pgvector.psycopg.register_vector``).
    """
    from psycopg.types.json import Jsonb

    docs, schema = batch.documents, coll.schema
    with conn.transaction():
        conn.execute(sql_statement("delete_documents", schema=schema), {"doc_ids": [d.doc.doc_id for d in docs]})
        retired = [(doc_id, d.doc.source) for d in docs for doc_id in d.retired]
        if retired:
            conn.execute(
                sql_statement("retire_documents", schema=schema),
                {"doc_ids": [r[0] for r in retired], "sources": [r[1] for r in retired]},
            )
        rows = conn.execute(
            sql_statement("insert_documents", schema=schema),
            {
                "doc_ids": [d.doc.doc_id for d in docs],
                "sources": [d.doc.source for d in docs],
                "titles": [d.doc.title for d in docs],
                "metadata": [Jsonb(d.doc.metadata) for d in docs],
                "hashes": [d.content_hash for d in docs],
                "chunk_counts": [len(d.chunks) for d in docs],
            },
        ).fetchall()
        ids = {doc_id: pk for pk, doc_id in rows}
        seg_ids: list[int] = []
        segments: list[str] = []
        for d in docs:
            for seg in _segments(f"{d.doc.title}\n{d.doc.text}"):
                seg_ids.append(ids[d.doc.doc_id])
                segments.append(seg)
        conn.execute(
            sql_statement("insert_postings", schema=schema),
            {
                "document_ids": seg_ids, "segments": segments, "text_config": coll.text_config,
                "word_separators": coll.word_separators, "separator_spaces": coll.separator_spaces,
            },
        )
        conn.execute(sql_statement("update_document_lengths", schema=schema), {"document_ids": list(ids.values())})
        wrap: Callable[[Any], Any] = lambda v: v
        if coll.storage == "halfvec":
            from pgvector import HalfVector

            wrap = HalfVector
        with conn.cursor().copy(sql_statement("copy_chunks", schema=schema)) as copy:
            copy.set_types(["int8", "int4", "text", "text", coll.storage])
            for d, vecs in zip(docs, batch.vectors):
                pk = ids[d.doc.doc_id]
                for chunk, vec in zip(d.chunks, vecs):
                    copy.write_row((pk, chunk.position, chunk.context, chunk.content, wrap(vec)))


# SQLSTATE classes that mean "this data is unacceptable" (data exception, integrity
# violation, program limit exceeded) rather than a broken connection or server.
_DOCUMENT_ERROR_CLASSES = ("22", "23", "54")


def _refused(exc: BaseException, conn: "psycopg.Connection[Any]") -> bool:
    """Did the database refuse this data, leaving the connection usable for other documents?"""
    sqlstate = getattr(exc, "sqlstate", None)
    return bool(sqlstate) and sqlstate[:2] in _DOCUMENT_ERROR_CLASSES and not conn.broken and not conn.closed


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


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
        self.chunker = Chunker(
            embedder.tokenizer(),
            max_tokens=min(coll.chunk_tokens, embedder.max_seq_length),
            overlap=coll.chunk_overlap,
        )
        self.stop = threading.Event()
        self._seen: dict[str, str] = {}
        self._existing: dict[str, str] = {}  # doc_id -> content hash of the stored documents
        self._existing_sources: dict[str, str] = {}  # doc_id -> source
        self._file_ids: dict[str, list[str]] = {}  # source -> doc_ids, for documents that are whole files
        self._seen_sources: set[str] = set()
        self._walk: list[str] = []  # the paths given (not "-"), normalized, folders first and widest first
        self._folders: list[str] = []  # the folders given, as sources spell them, with a trailing slash
        self._given: set[str] = set()  # the files given, as sources spell them
        self._keep_sources: set[str] = set()
        self._read_files: set[str] = set()
        self._lock = threading.Lock()

    # -- stage 1: read, parse, hash, chunk ---------------------------------------------
    def _inputs(self, paths: Sequence[str], include: Sequence[str], exclude: Sequence[str], stdin: BinaryIO | None) -> Iterator[SourceDocument | Skipped]:
        if "-" in paths:
            yield from parse_stream(stdin if stdin is not None else sys.stdin.buffer, max_bytes=self.max_bytes)
            if self.on_progress:
                self.on_progress(1)
        # One walk over every path, folders first and the widest first: a file reached from two
        # overlapping arguments is read once, under the widest folder's doc_id.
        for item in discover(self._walk, include=include, exclude=exclude):
            if self.stop.is_set():
                return
            if isinstance(item, Skipped):
                yield item
                continue
            file_path, root = item
            yield from parse_file(file_path, root, max_bytes=self.max_bytes)
            self._read_files.add(display_path(str(file_path)))
            if self.on_progress:
                self.on_progress(1)

    def _prepare(self, items: Iterable[SourceDocument | Skipped], out: "queue.Queue[PreparedDocument | None | BaseException]") -> None:
        try:
            deferred: list[tuple[SourceDocument, str]] = []
            for item in items:
                if self.stop.is_set():
                    break
                if isinstance(item, Skipped):
                    with self._lock:
                        self.report.skip(item.path, item.reason)
                        # A file we could not read this time is not a deleted file: keep its documents.
                        self._keep_sources.add(_skipped_file(item.path))
                    continue
                doc = item
                for w in doc.warnings:
                    with self._lock:
                        self.report.warnings.append({"path": doc.source, "warning": w})
                doc = SourceDocument(
                    doc_id=_clean(doc.doc_id), source=_clean(doc.source), title=_clean(doc.title),
                    text=_clean(doc.text), format=doc.format, metadata=doc.metadata, warnings=doc.warnings,
                )
                doc, holder = self._identify(doc)
                if holder is not None and self._may_move(holder):
                    deferred.append((doc, holder))  # its holder may take another doc_id later in this run
                    continue
                self._accept(doc, holder, out)
            while deferred and not self.stop.is_set():
                # Holders read in this run were stored under their own doc_ids (or left their JSONL
                # file): those doc_ids are free now. Repeat while that frees more (chains).
                free = [self._moved(h) for _, h in deferred]
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
        except BaseException as exc:  # surfaced by the embedding stage
            out.put(exc)
        finally:
            out.put(None)

    def _accept(self, doc: SourceDocument, holder: str | None, out: "queue.Queue[PreparedDocument | None | BaseException]") -> None:
        with self._lock:
            if holder is not None:
                holder_path = _source_file(holder)[0]
                what = "standard input" if holder_path == "<stdin>" else f"{holder_path}, which still exists"
                self.report.skip(
                    doc.source,
                    f"doc_id {doc.doc_id!r} already holds {what} (a file's doc_id is its path relative to the folder "
                    "given: ingest a folder that contains both, or use another collection)",
                )
                return
            if doc.doc_id in self._seen:
                self.report.skip(doc.source, f"duplicate doc_id {doc.doc_id!r} (also from {self._seen[doc.doc_id]})")
                return
            self._seen[doc.doc_id] = doc.source
            self._seen_sources.add(doc.source)
        # Other doc_ids this file was stored under (from a narrower folder): replaced by this one.
        retired = [i for i in self._file_ids.get(doc.source, ()) if i != doc.doc_id and i not in self._seen]
        digest = content_hash(doc, self.coll)
        previous = self._existing.get(doc.doc_id)
        if previous == digest and not retired:
            with self._lock:
                self.report.unchanged += 1
            return
        chunks = self.chunker.split(doc.text, title=doc.title, markdown=doc.format in MARKDOWN_FORMATS)
        if not chunks:
            with self._lock:
                self.report.skip(doc.source, "no text to index")
            return
        out.put(PreparedDocument(doc, chunks, digest, replaces=previous is not None or bool(retired), retired=retired))

    def _identify(self, doc: SourceDocument) -> tuple[SourceDocument, str | None]:
        """The document's doc_id in this collection, and the other file that holds it, if any.

        A file's doc_id is its path relative to the folder given. A file already stored keeps
        the doc_id it got from a wider folder (``ingest docs/sub`` after ``ingest docs`` keeps
        ``sub/x.md``, no duplicate); from a narrower one it takes the wider one now (and the
        old one is retired). A doc_id held by another file that still exists (``a/README.md``
        and ``b/README.md``, ingested one folder at a time) is not overwritten; one whose file
        is gone is taken over (a moved folder, or a collection filled from another machine).
        """
        path, _ = _source_file(doc.source)
        if _path_derived(doc.doc_id, doc.source):
            for known in self._file_ids.get(doc.source, ()):
                if known != doc.doc_id and known.endswith("/" + doc.doc_id):
                    doc = dataclasses.replace(doc, doc_id=known)
                    break
        holder = self._existing_sources.get(doc.doc_id)
        if holder is None or holder == doc.source:
            return doc, None
        holder_path = _source_file(holder)[0]
        if holder_path == "<stdin>":
            return doc, (None if path == "<stdin>" else holder)  # stdin replaces only stdin
        if holder_path == path:
            return doc, None  # the same file (a record that moved to another line of it)
        if not os.path.isabs(holder_path) or not _exists(holder_path):
            return doc, None  # gone: moved, or stored from another machine
        try:
            if os.path.samefile(holder_path, path):
                return doc, None  # the same file reached through a symbolic link
        except OSError:
            pass
        return doc, holder

    def _may_move(self, holder: str) -> bool:
        """Whether this run may re-store the holder under another doc_id (or drop it from its file)."""
        path = _source_file(holder)[0]
        return any(path.startswith(folder) for folder in self._folders) or path in self._given

    def _moved(self, holder: str) -> bool:
        path, is_record = _source_file(holder)
        if is_record:
            # Its JSONL file was read in full and no record took this doc_id from it.
            return path in self._read_files and path not in self._keep_sources
        return holder in self._seen_sources

    # -- stage 2: embed ----------------------------------------------------------------
    def _embed(self, docs: list[PreparedDocument]) -> EmbeddedBatch:
        texts = [c.embed_text for d in docs for c in d.chunks]
        started = time.perf_counter()
        try:
            matrix = self._checked(self.embedder.embed(texts), len(texts))
            vectors, offset = [], 0
            for d in docs:
                vectors.append(matrix[offset : offset + len(d.chunks)])
                offset += len(d.chunks)
            kept = docs
        except EmbeddingError:
            # Find the document(s) responsible; the others still go in.
            kept, vectors = [], []
            for d in docs:
                try:
                    vectors.append(self._checked(self.embedder.embed([c.embed_text for c in d.chunks]), len(d.chunks)))
                    kept.append(d)
                except EmbeddingError as exc:
                    with self._lock:
                        self.report.skip(d.doc.source, f"refused: {exc}")
        self.report.embed_seconds += time.perf_counter() - started
        self.report.embedded_chunks += sum(len(d.chunks) for d in kept)
        return EmbeddedBatch(kept, vectors)

    def _checked(self, matrix: "np.ndarray", n_texts: int) -> "np.ndarray":
        """The embedder's output, if it is one finite, non-zero vector of the collection's
        dimension per text (any Embedder may be plugged in: do not trust it)."""
        import numpy as np

        if matrix.ndim != 2 or matrix.shape != (n_texts, self.coll.dimension):
            raise EmbeddingError(f"model returned vectors of shape {matrix.shape}, expected ({n_texts}, {self.coll.dimension})")
        if not np.isfinite(matrix).all():
            raise EmbeddingError("model returned a NaN or infinite vector")
        if (np.abs(matrix).max(axis=1) == 0).any():
            raise EmbeddingError("model returned an all-zero vector")
        return matrix

    # -- stage 3: write ----------------------------------------------------------------
    def _write(self, batch: EmbeddedBatch) -> None:
        if not batch.documents:
            return
        started = time.perf_counter()
        written = batch.documents
        try:
            write_batch(self.conn, self.coll, batch)
        except Exception as exc:
            if not _refused(exc, self.conn):
                raise
            # One document the database refuses (an id too long for its index, ...) must not
            # sink the others: write them one by one and report the ones refused.
            written = []
            for d, vecs in zip(batch.documents, batch.vectors):
                error: BaseException = exc
                if len(batch.documents) > 1:
                    try:
                        write_batch(self.conn, self.coll, EmbeddedBatch([d], [vecs]))
                        written.append(d)
                        continue
                    except Exception as doc_exc:
                        if not _refused(doc_exc, self.conn):
                            raise
                        error = doc_exc
                with self._lock:
                    self.report.skip(d.doc.source, f"refused by the database: {_first_line(error)}")
        with self._lock:
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
    ) -> IngestReport:
        started = time.perf_counter()
        from pgvector.psycopg import register_vector

        acquire_ingest_lock(self.conn, self.coll.name, wait=wait)
        # os.path.abspath also normalizes (no "..": one spelling per path, as discover reads them).
        # os.path.abspath also normalizes ("a/../b" is "b"): one spelling per path, as sources have.
        self._walk = sorted({os.path.abspath(p) for p in paths if p != "-"}, key=lambda p: (not os.path.isdir(p), len(Path(p).parts), p))
        self._folders = [display_path(p).rstrip("/") + "/" for p in self._walk if os.path.isdir(p)]
        self._given = {display_path(p) for p in self._walk if not os.path.isdir(p)}
        try:
            register_vector(self.conn)
            for doc_id, digest, source in self.conn.execute(sql_statement("document_hashes", schema=self.coll.schema)):
                self._existing[doc_id] = digest
                self._existing_sources[doc_id] = source
                if _path_derived(doc_id, source):
                    self._file_ids.setdefault(source, []).append(doc_id)
            self.conn.commit()
            build_index = self._begin_bulk_load()
            try:
                self._pipeline(paths, include, exclude, stdin)
                if prune and not self.report.interrupted:
                    self._prune()
            finally:
                if build_index:
                    self._build_vector_index(failing=sys.exc_info()[0] is not None)
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

    def _begin_bulk_load(self) -> bool:
        """Whether to build the HNSW index after this run: when the collection is empty its
        index is dropped first (one build after the load beats inserting every vector into the
        graph), and an index found missing (a bulk load killed before it finished) is rebuilt."""
        from ..store import drop_vector_index, vector_index_exists

        if not self._existing:
            drop_vector_index(self.conn, self.coll)
            return True
        return not vector_index_exists(self.conn, self.coll)

    def _build_vector_index(self, *, failing: bool) -> None:
        """Build the HNSW index (and the planner statistics) after a bulk load. Runs after an
        interruption too, so that what was committed is indexed; when it cannot run, semantic
        search still works (exactly, by a scan) and the next ingest builds the index."""
        from ..store import build_vector_index

        if self.conn.closed or self.conn.broken:
            return
        started = time.perf_counter()
        try:
            self.conn.rollback()
            build_vector_index(self.conn, self.coll)
            with self.conn.transaction():
                self.conn.execute(sql_statement("analyze_collection", schema=self.coll.schema))
        except KeyboardInterrupt:
            self.report.interrupted = True
            self.report.warnings.append({"path": self.coll.name, "warning": "vector index not built (interrupted); the next ingest builds it"})
            self.report.db_seconds += time.perf_counter() - started
            return
        except Exception:
            if not failing:
                raise
            return  # the error that stopped the run is the one to report
        elapsed = time.perf_counter() - started
        self.report.index_seconds += elapsed
        self.report.db_seconds += elapsed

    def _pipeline(self, paths: Sequence[str], include: Sequence[str], exclude: Sequence[str], stdin: BinaryIO | None) -> None:
        prepared: "queue.Queue[PreparedDocument | None | BaseException]" = queue.Queue(maxsize=256)
        outbox: "queue.Queue[EmbeddedBatch | None]" = queue.Queue(maxsize=2)
        failure: list[BaseException] = []
        reader = threading.Thread(
            target=self._prepare, args=(self._inputs(paths, include, exclude, stdin), prepared), name="pgvsearch-read", daemon=True
        )
        writer = threading.Thread(target=self._writer, args=(outbox, failure), name="pgvsearch-write", daemon=True)
        reader.start()
        writer.start()
        pending: list[PreparedDocument] = []
        pending_chunks = 0
        # Batches are runs of consecutive documents of batch_chunks chunks, whatever the timing:
        # an int8 model scales activations per batch, so the same input gives the same vectors.
        # Only a stream (stdin) flushes what it has after a pause, so a slow producer's
        # documents are committed without waiting for a full batch.
        streaming = "-" in paths
        try:
            done = False
            while not done:
                if failure:
                    raise failure[0]
                try:
                    item = prepared.get(timeout=0.05 if pending and streaming else 0.5)
                except queue.Empty:
                    item = "flush" if streaming else "idle"  # type: ignore[assignment]
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
                    outbox.put(self._embed(pending))
                    pending, pending_chunks = [], 0
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

    def _prune(self) -> None:
        exact = sorted(self._given)
        prefixes = self._folders + [f"{path}#L" for path in exact]  # a JSONL file's records
        if not exact and not prefixes:
            return
        started = time.perf_counter()
        with self.conn.transaction():
            candidates = self.conn.execute(
                sql_statement("prune_candidates", schema=self.coll.schema),
                {"exact": exact, "prefixes": prefixes, "seen": list(self._seen)},
            ).fetchall()
            gone = [doc_id for doc_id, source in candidates if self._source_gone(source)]
            if gone:
                self.conn.execute(sql_statement("delete_documents", schema=self.coll.schema), {"doc_ids": gone})
        self.report.deleted += len(gone)
        self.report.db_seconds += time.perf_counter() - started

    def _source_gone(self, source: str) -> bool:
        """Prune only what is really gone: a file that no longer exists, or a record missing from
        a JSONL file read in full this run. Files left out by --include/--exclude, hidden files,
        and files or folders that could not be read keep their documents."""
        path, record = _source_file(source)
        if path in self._keep_sources:
            return False
        if not _exists(path):  # a path we may not look into, or cannot spell, is not evidence
            return True
        return record and path in self._read_files


_RECORD_SOURCE = re.compile(r"(.*\.(?:jsonl|ndjson)|<stdin>)#L\d+", re.DOTALL | re.IGNORECASE)


def _exists(path: str) -> bool:
    """Whether a file is there; a path we may not look into counts as there (nothing proves it gone)."""
    if "\ufffd" in path:
        return True  # a file name that was not valid UTF-8 is stored mangled: it cannot be looked up
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _path_derived(doc_id: str, source: str) -> bool:
    """Whether the doc_id comes from the file's path: a whole file, or a JSONL record without
    an id (``<file doc_id>#L<n>``); such doc_ids follow the widest folder the file was read from."""
    path, is_record = _source_file(source)
    if not os.path.isabs(path):
        return False
    return not is_record or doc_id.endswith(source[len(path):])


def _source_file(source: str) -> tuple[str, bool]:
    """The file behind a document's source, and whether the document is one record of it: a
    JSONL record's source is ``file.jsonl#L<line>``; any other ``#`` is part of a file name."""
    match = _RECORD_SOURCE.fullmatch(source)
    if match and not os.path.lexists(source):
        return match.group(1), True
    return source, False


def _skipped_file(path: str) -> str:
    """The file behind a skipped input: JSONL lines are reported as ``file.jsonl:LINE``."""
    match = re.match(r"^(.*):(\d+)$", path)
    return match.group(1) if match and os.path.isfile(match.group(1)) else path


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
) -> IngestReport:
    """Ingest files, folders and ``-`` (stdin) into ``coll``; see :class:`IngestReport`."""
    ingestor = Ingestor(conn, coll, embedder, max_bytes=max_bytes, batch_chunks=batch_chunks, on_progress=on_progress)
    return ingestor.run(paths, include=include, exclude=exclude, prune=prune, wait=wait, stdin=stdin)
