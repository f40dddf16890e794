"""Reading a stored document back: its chunks in order, all of them or a window around one.

A search hit names a document and one chunk (``Hit.doc_id``, ``Hit.chunk``); an agent or a
script that wants more reads around it with :func:`read_document`. Documents are stored as
their chunks (``sql/document_chunks.sql``), so the text is the chunks in position order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..store import Collection, sql_statement
from .options import require_text

if TYPE_CHECKING:
    import psycopg

MAX_DOCUMENT_CHUNKS = 200
"""The most chunks one read returns (about 25,000 tokens at the default 128-token chunks)."""


@dataclass(frozen=True)
class StoredChunk:
    position: int
    context: str
    """The chunk's title / heading path line."""
    content: str


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    title: str
    source: str
    metadata: dict[str, Any]
    chunk_count: int
    """Chunks the whole document has (positions 0 .. chunk_count - 1)."""
    chunks: list[StoredChunk]
    """The chunks read, in position order."""

    @property
    def first(self) -> int | None:
        return self.chunks[0].position if self.chunks else None

    @property
    def last(self) -> int | None:
        return self.chunks[-1].position if self.chunks else None

    @property
    def complete(self) -> bool:
        """Every chunk of the document was read."""
        return len(self.chunks) == self.chunk_count


def read_document(
    conn: "psycopg.Connection[Any]",
    coll: Collection,
    doc_id: str,
    *,
    around: int | None = None,
    radius: int = 2,
    max_chunks: int = MAX_DOCUMENT_CHUNKS,
) -> StoredDocument:
    """Document ``doc_id`` with its first ``max_chunks`` chunks, or, with ``around`` (a chunk
    position, e.g. a hit's ``chunk``), that chunk and up to ``radius`` chunks on each side."""
    from psycopg.rows import dict_row

    require_text(doc_id, "the doc_id")
    if not doc_id:
        raise UsageError("the doc_id is empty")
    if max_chunks < 1:
        raise UsageError("max_chunks must be at least 1")
    if around is None:
        first, last = 0, max_chunks - 1
    else:
        if around < 0:
            raise UsageError("the chunk position must not be negative")
        if radius < 0:
            raise UsageError("the radius must not be negative")
        radius = min(radius, (max_chunks - 1) // 2)
        first, last = max(0, around - radius), around + radius
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            sql_statement("document_chunks", schema=coll.schema), {"doc_id": doc_id, "first": first, "last": last},
        ).fetchall()
    if not rows:
        raise UsageError(f"no document {doc_id!r} in collection {coll.name!r}")
    head = rows[0]
    if around is not None and around >= head["chunk_count"]:
        raise UsageError(f"document {doc_id!r} has {head['chunk_count']} chunks (positions 0-{head['chunk_count'] - 1}), no chunk {around}")
    return StoredDocument(
        doc_id=head["doc_id"], title=head["title"], source=head["source"], metadata=head["metadata"],
        chunk_count=int(head["chunk_count"]),
        chunks=[StoredChunk(int(r["position"]), r["context"], r["content"]) for r in rows if r["position"] is not None],
    )
