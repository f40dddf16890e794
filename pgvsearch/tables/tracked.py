"""A tracked source's ingest: only the queued changes, claimed, embedded and deleted together.

Each batch is one transaction: claim up to ``batch_rows`` queued changes no other worker holds
(``FOR UPDATE SKIP LOCKED`` and an advisory lock per key), read those rows as they are now,
embed the changed ones, write their documents, delete the documents of rows that are gone and
delete the claimed changes; commit. When the source is the collection's database this is one
transaction, so a worker killed mid-batch leaves its changes queued and its documents as they
were; with ``--source-dsn`` the documents commit first and the queue after (a crash between
them leaves changes that the next run finds unchanged, without embedding them).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from ..errors import LockedError
from ..ingest import IngestReport
from ..sources import SourceDocument
from ..store import Collection, lock_key, sql_statement
from .definition import TableSource
from .rows import current_doc_ids, rows_by_keys
from .sync import prune_rows

if TYPE_CHECKING:
    import psycopg

    from ..chunking import Chunker
    from ..embedding import Embedder

FOLLOW_POLL_SECONDS = 1.0  # --follow also looks at the queue this often (a missed NOTIFY costs at most this)


def same_database(a: "psycopg.Connection[Any]", b: "psycopg.Connection[Any]") -> bool:
    return a is b or (a.info.host, a.info.port, a.info.dbname) == (b.info.host, b.info.port, b.info.dbname)


@dataclasses.dataclass
class _Worker:
    conn: "psycopg.Connection[Any]"
    claim_conn: "psycopg.Connection[Any]"
    coll: Collection
    embedder: "Embedder"
    chunker: "Chunker"
    source: TableSource
    queue: str
    report: IngestReport
    max_bytes: int
    batch_rows: int

    def batch(self, *, wait: bool) -> int | None:
        """One batch in one transaction; how many changes it took (0: none queued; None: the
        collection's lock is held by a file ingest and ``wait`` is off)."""
        from psycopg.rows import dict_row

        with ExitStack() as transactions:
            if self.claim_conn is not self.conn:
                transactions.enter_context(self.claim_conn.transaction())  # committed after the documents
            transactions.enter_context(self.conn.transaction())
            locked = self.conn.execute(sql_statement("track_lock"), {"key": lock_key(self.coll.name), "wait": wait}).fetchone()
            if not locked or not locked[0]:
                return None
            claimed = self.claim_conn.cursor(row_factory=dict_row).execute(
                sql_statement("track_claim", queue=self.queue), {"queue": self.queue, "limit": self.batch_rows}
            ).fetchall()
            if not claimed:
                return 0
            if any(r["key"] is None for r in claimed):  # a TRUNCATE: the rows no longer there are gone
                self.report.deleted += prune_rows(self.conn, self.coll, self.source, current_doc_ids(self.claim_conn, self.source))
            keys = list({_key_text(r["key"]): r["key"] for r in claimed if r["key"] is not None}.values())
            found, gone = rows_by_keys(self.claim_conn, self.source, keys, self.max_bytes) if keys else ({}, [])
            self._write(found)
            if gone:
                deleted = self.conn.execute(sql_statement("delete_documents", schema=self.coll.schema), {"doc_ids": gone})
                self.report.deleted += deleted.rowcount or 0
            self.claim_conn.execute(sql_statement("track_done", queue=self.queue), {"queue_ids": [r["queue_id"] for r in claimed]})
        return len(claimed)

    def _write(self, found: dict[str, Any]) -> None:
        """The found rows' documents, prepared, embedded and written as ingest does a file's
        (the same chunks and vectors as an untracked run's), in the batch's transaction."""
        from ..ingest import PreparedDocument, chunk_document, content_hash, embed_documents, scrubbed, write_refusing

        documents = [scrubbed(d) for d in found.values() if isinstance(d, SourceDocument)]
        for item in found.values():
            if not isinstance(item, SourceDocument):
                self.report.skip(item.path, item.reason)
        stored = dict(self.conn.execute(
            sql_statement("table_document_hashes", schema=self.coll.schema), {"doc_ids": [d.doc_id for d in documents]}
        ).fetchall())
        prepared = []
        for doc in documents:
            digest = content_hash(doc, self.coll)
            if stored.get(doc.doc_id) == digest:
                self.report.unchanged += 1
                continue
            chunks = chunk_document(self.chunker, doc)
            if not chunks:
                self.report.skip(doc.doc_id, "no text to index")
                continue
            prepared.append(PreparedDocument(doc, chunks, digest, replaces=doc.doc_id in stored))
        if not prepared:
            return
        started = time.perf_counter()
        batch = embed_documents(self.embedder, self.coll, prepared, lambda d, reason: self.report.skip(d.doc.doc_id, reason))
        self.report.embed_seconds += time.perf_counter() - started
        self.report.embedded_chunks += sum(len(d.chunks) for d in batch.documents)
        started = time.perf_counter()
        written, refused = write_refusing(self.conn, self.coll, batch)
        self.report.db_seconds += time.perf_counter() - started
        for d, reason in refused:
            self.report.skip(d.doc.doc_id, reason)
        for d in written:
            self.report.chunks += len(d.chunks)
            if d.replaces:
                self.report.updated += 1
            else:
                self.report.added += 1


def _key_text(key: Any) -> str:
    import json

    return json.dumps(key, sort_keys=True, default=str)


def run_tracked(
    conn: "psycopg.Connection[Any]",
    source_conn: "psycopg.Connection[Any]",
    coll: Collection,
    embedder: "Embedder",
    source: TableSource,
    queue: str,
    *,
    report: IngestReport,
    wait: bool = False,
    max_bytes: int,
    batch_chunks: int = 256,
    follow: bool = False,
    stop: threading.Event | None = None,
) -> IngestReport:
    """Take the source's queued changes until the queue is empty (or, with ``follow``, until
    ``stop`` is set: a batch under way finishes first)."""
    from pgvector.psycopg import register_vector

    from .track import pending_changes

    stop = stop or threading.Event()
    started = time.perf_counter()
    same = same_database(conn, source_conn)
    if not follow and pending_changes(conn if same else source_conn, queue) == 0:
        # Nothing queued: done without touching the model (a cron run on a quiet table is quick).
        report.seconds = time.perf_counter() - started
        return report
    from ..chunking import Chunker

    coll.check_embedder(embedder)
    register_vector(conn)
    worker = _Worker(
        conn, conn if same else source_conn, coll, embedder,
        Chunker.for_embedder(embedder, max_tokens=coll.chunk_tokens, overlap=coll.chunk_overlap),
        source, queue, report, max_bytes, max(1, batch_chunks // 4),
    )
    listener = _listen(source_conn, queue) if follow else None
    try:
        while not stop.is_set():
            try:
                taken = worker.batch(wait=wait and not follow)
            except KeyboardInterrupt:
                report.interrupted = True  # the batch rolled back: its changes stay queued
                break
            if taken is None and not follow:
                raise LockedError(f"another ingest of collection {coll.name!r} is running; retry later or pass --wait")
            if taken:
                continue
            if not follow:
                break
            _wait_for_change(listener, stop)
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _listen(source_conn: "psycopg.Connection[Any]", queue: str) -> "psycopg.Connection[Any]":
    source_conn.execute(sql_statement("track_listen", channel=queue))
    return source_conn


def _wait_for_change(listener: "psycopg.Connection[Any] | None", stop: threading.Event) -> None:
    """Until a change is announced, ``stop`` is set, or FOLLOW_POLL_SECONDS pass."""
    if listener is None:
        stop.wait(FOLLOW_POLL_SECONDS)
        return
    for _ in listener.notifies(timeout=FOLLOW_POLL_SECONDS, stop_after=1):
        break
