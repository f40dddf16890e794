"""Writing to the store: whole documents with their chunks, vectors and BM25 postings, one
transaction per batch (a document and all of its chunks appear atomically). A document the
database refuses does not sink the others of its batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..store import Collection, sql_statement
from .batch import EmbeddedBatch, PreparedDocument

if TYPE_CHECKING:
    import psycopg

SEGMENT_CHARS = 30_000  # keeps tsvector positions under 16383, so term frequencies are exact


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
            copy.set_types(["int8", "int4", "text", "text", coll.vector_type])
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



def write_refusing(
    conn: "psycopg.Connection[Any]", coll: Collection, batch: EmbeddedBatch
) -> tuple[list[PreparedDocument], list[tuple[PreparedDocument, str]]]:
    """Write ``batch``; the documents written, and those the database refused with the reason."""
    try:
        write_batch(conn, coll, batch)
        return batch.documents, []
    except Exception as exc:
        if not _refused(exc, conn):
            raise
        # One document the database refuses (an id too long for its index, ...) must not
        # sink the others: write them one by one and report the ones refused.
        written: list[PreparedDocument] = []
        refused: list[tuple[PreparedDocument, str]] = []
        for d, vecs in zip(batch.documents, batch.vectors):
            error: BaseException = exc
            if len(batch.documents) > 1:
                try:
                    write_batch(conn, coll, EmbeddedBatch([d], [vecs]))
                    written.append(d)
                    continue
                except Exception as doc_exc:
                    if not _refused(doc_exc, conn):
                        raise
                    error = doc_exc
            refused.append((d, f"refused by the database: {_first_line(error)}"))
        return written, refused
