"""Retrieval for ask: the hybrid ranking's best chunks, with their neighbouring chunks read
from the store, fitted into the context budget."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..errors import UsageError
from .passages import WINDOW_CHUNKS, Passage, Window, select_passages, window_text
from .sentences import open_fence

if TYPE_CHECKING:
    import psycopg

    from ..embedding import Embedder
    from ..search import Hit, SearchOptions
    from ..store import Collection

DEFAULT_CONTEXT_TOKENS = 3000
DEFAULT_K = 5
CODE_CHUNKS = 3
"""How many chunks past its radius a window may take to close a code block it ends inside."""


def retrieve(
    conn: "psycopg.Connection[Any]",
    coll: "Collection",
    embedder: "Embedder",
    question: str,
    options: "SearchOptions | None" = None,
    *,
    context_tokens: int = DEFAULT_CONTEXT_TOKENS,
) -> list[Passage]:
    """Hybrid-ranked chunks for ``question`` that fit in ``context_tokens`` (counted with the embedder's tokenizer)."""
    from ..search import SearchOptions, Searcher

    if not question or not question.strip():
        raise UsageError("the question is empty")
    if context_tokens < 1:
        raise UsageError("--context-tokens must be at least 1")
    hits = Searcher(conn, coll, embedder).run(question, "hybrid", options or SearchOptions(k=DEFAULT_K))
    return select_passages(hits, context_tokens, embedder.count_tokens, chunk_windows(conn, coll, hits))


def chunk_windows(conn: "psycopg.Connection[Any]", coll: "Collection", hits: Sequence["Hit"], radius: int = WINDOW_CHUNKS) -> dict[tuple[str, int], Window]:
    """For each hit, its chunk and up to ``radius`` neighbouring chunks on each side of its document,
    and up to CODE_CHUNKS more after them while the window would end inside a code block."""
    from ..store import sql_statement

    if radius < 1 or not hits:
        return {}
    rows = conn.execute(
        sql_statement("chunk_windows", schema=coll.schema),
        {"doc_ids": [h.doc_id for h in hits], "positions": [h.chunk for h in hits], "radius": radius + CODE_CHUNKS},
    ).fetchall()
    found: dict[str, dict[int, tuple[int, str, str]]] = {}
    for doc_id, position, context, content in rows:
        found.setdefault(doc_id, {})[int(position)] = (int(position), context, content)
    windows: dict[tuple[str, int], Window] = {}
    for hit in hits:
        near = found.get(hit.doc_id, {})
        parts = [near[p] for p in sorted(near) if abs(p - hit.chunk) <= radius]
        # Chunks are cut anywhere, code blocks too: a window ending inside one takes the chunks that go on with it.
        for _ in range(CODE_CHUNKS):
            if not (parts and parts[-1][0] + 1 in near and open_fence("\n".join(content for _, _, content in parts))):
                break
            parts.append(near[parts[-1][0] + 1])
        if len(parts) < 2:
            continue
        windows[(hit.doc_id, hit.chunk)] = window_text(parts, hit.title, coll.chunk_overlap)
    return windows
