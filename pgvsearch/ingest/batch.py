"""The units the ingest stages hand on: a document read and chunked (:class:`PreparedDocument`),
a batch of them with their vectors (:class:`EmbeddedBatch`), the hash that says whether a
stored document is unchanged, and the steps every source's documents go through (scrubbed,
chunked by their format, embedded a batch at a time): files and tables alike."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from ..chunking import Chunk
from ..errors import EmbeddingError
from ..sources import SourceDocument, is_markdown, scrub
from ..store import Collection

if TYPE_CHECKING:
    import queue
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

    from ..chunking import Chunker
    from ..embedding import Embedder

VOLATILE_METADATA = frozenset({"mtime", "size", "line"})


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


def scrubbed(doc: SourceDocument) -> SourceDocument:
    """``doc`` with what PostgreSQL cannot store (NUL, lone surrogates) scrubbed from its text fields."""
    from dataclasses import replace

    return replace(
        doc, doc_id=scrub(doc.doc_id), source=scrub(doc.source), title=scrub(doc.title), text=scrub(doc.text), path=scrub(doc.path),
    )


def chunk_document(chunker: "Chunker", doc: SourceDocument) -> list[Chunk]:
    """``doc``'s chunks, split as its format reads (Markdown structure or plain text)."""
    return chunker.split(doc.text, title=doc.title, markdown=is_markdown(doc.format))


def embed_documents(
    embedder: "Embedder", coll: Collection, docs: list[PreparedDocument], refused: Callable[[PreparedDocument, str], None]
) -> EmbeddedBatch:
    """One batch's vectors, embedded in one call (so a document's vectors depend only on the
    batch it is cut into). When the model refuses the batch, each document is tried alone: those
    it refuses are left out and passed to ``refused`` with the reason, the others still go in."""
    from ..embedding import check_vectors

    def embedded(texts: list[str]) -> "np.ndarray":
        return check_vectors(embedder.embed(texts), len(texts), coll.dimension)

    try:
        matrix = embedded([c.embed_text for d in docs for c in d.chunks])
    except EmbeddingError:
        kept, vectors = [], []
        for d in docs:
            try:
                vectors.append(embedded([c.embed_text for c in d.chunks]))
                kept.append(d)
            except EmbeddingError as exc:
                refused(d, f"refused: {exc}")
        return EmbeddedBatch(kept, vectors)
    vectors, offset = [], 0
    for d in docs:
        vectors.append(matrix[offset : offset + len(d.chunks)])
        offset += len(d.chunks)
    return EmbeddedBatch(docs, vectors)


class InFlight:
    """Up to ``concurrency`` batches embedded at once (threads calling ``embed``), handed to
    ``outbox`` in the order they were cut; with concurrency 1, each batch is embedded when submitted.

    Leaving the block hands on what is still in flight, unless it is left by an exception: then
    the batches not yet handed on are dropped (uncommitted, so the next run embeds them)."""

    def __init__(self, embed: Callable[[list[PreparedDocument]], EmbeddedBatch], outbox: "queue.Queue[Any]", concurrency: int) -> None:
        self.embed, self.outbox, self.concurrency = embed, outbox, max(1, int(concurrency))
        self.pending: deque[Future[EmbeddedBatch]] = deque()
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> "InFlight":
        if self.concurrency > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="pgvsearch-embed")
        return self

    def submit(self, docs: list[PreparedDocument]) -> None:
        if self.pool is None:
            self.outbox.put(self.embed(docs))
            return
        self.pending.append(self.pool.submit(self.embed, docs))
        while len(self.pending) >= self.concurrency:
            self.outbox.put(self.pending.popleft().result())
        self.hand_on_finished()

    def hand_on_finished(self) -> None:
        """Hand on the oldest batches that are already embedded (a slow stream's, without waiting for more)."""
        while self.pending and self.pending[0].done():
            self.outbox.put(self.pending.popleft().result())

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        if self.pool is None:
            return
        try:
            while kind is None and self.pending:
                self.outbox.put(self.pending.popleft().result())
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
