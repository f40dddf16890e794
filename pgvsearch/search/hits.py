"""From candidates to hits: the one stage every search result passes through.

A search (``Searcher.candidates``) returns :class:`Candidate` rows: the documents its SQL
ranked, each with the chunk to show, read by the column names of ``sql/hits.sql``. The hit
stage (:data:`HitStage`; :func:`to_hits` by default) turns them into the :class:`Hit` objects
every caller gets (the CLI's search commands, ask's retrieval, eval and the Python API all go
through ``Searcher.run``).

This is where a reranker goes: a HitStage that reorders (or drops) the candidates, e.g. with a
cross-encoder over ``query`` and each candidate's ``text``, renumbers their ranks, and hands them
to :func:`to_hits`; pass it as ``Searcher(..., stage=...)``. A server (MCP, say) that wants
something other than Hit objects plugs in at the same place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, List, Optional, Sequence


@dataclass(frozen=True)
class Candidate:
    """One ranked row of ``sql/hits.sql``: the field names are its column names (read by name)."""

    rank: int
    doc_id: str
    title: str
    source: str
    chunk: int
    text: str
    score: float
    semantic_rank: int | None
    keyword_rank: int | None
    similarity: float | None
    bm25: float | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Hit(Candidate):
    """A search result: a candidate that went through the hit stage, with the id of its query
    when it answers one of many (``Searcher.search_many``)."""

    query_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.query_id is None:
            data.pop("query_id")
        return data


@dataclass(frozen=True)
class Query:
    text: str
    query_id: str | None = None


HitStage = Callable[[str, Sequence[Candidate], Optional[str]], List[Hit]]
"""``stage(query, candidates, query_id) -> hits``: what a search's candidates become."""


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def to_hits(query: str, candidates: Sequence[Candidate], query_id: str | None = None) -> list[Hit]:
    """The default hit stage: each candidate as a Hit, in the order and with the ranks the SQL gave."""
    return [
        Hit(
            rank=int(c.rank), doc_id=c.doc_id, title=c.title, source=c.source, metadata=c.metadata,
            chunk=int(c.chunk), text=c.text, score=float(c.score),
            semantic_rank=_int(c.semantic_rank), keyword_rank=_int(c.keyword_rank),
            similarity=_float(c.similarity), bm25=_float(c.bm25),
            query_id=query_id,
        )
        for c in candidates
    ]
