"""Passages: the retrieved chunks, widened to their neighbours and fitted into a token budget.

A :class:`Passage` is what the model sees as ``[n]``. :func:`select_passages` picks them in
rank order within the budget; a :class:`Window` (a hit's chunk with its neighbours, joined by
:func:`join_chunks`, with section headings named where the window enters a section) widens a
chosen passage when there is room left.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence

from ..errors import UsageError

if TYPE_CHECKING:
    from ..search import Hit

WINDOW_CHUNKS = 1
"""A passage is its best chunk and this many neighbouring chunks on each side, when they fit the budget."""
MIN_OVERLAP_CHARS = 20


class Window(NamedTuple):
    """A hit's chunk with its neighbours: first and last chunk, their text, and the section
    heading lines :func:`window_text` wrote into that text (a plain 3-tuple is a window without any)."""

    first: int
    last: int
    text: str
    headings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk given to the model as passage ``[n]``, with its neighbouring chunks when they fit."""

    n: int
    doc_id: str
    title: str
    source: str
    chunk: int
    """The chunk the search ranked."""
    text: str
    score: float
    tokens: int = 0
    first_chunk: int | None = None
    last_chunk: int | None = None
    """The chunks ``text`` spans (None: only ``chunk``)."""
    headings: tuple[str, ...] = ()
    """Lines of ``text`` that are section heading paths written by the passage builder, not document
    text: the extractive answer never quotes them."""

    @property
    def chunks(self) -> tuple[int, int]:
        return (self.chunk if self.first_chunk is None else self.first_chunk, self.chunk if self.last_chunk is None else self.last_chunk)

    @property
    def header(self) -> str:
        title = f" — {self.title}" if self.title and self.title != self.doc_id else ""
        first, last = self.chunks
        where = f"chunk {self.chunk}" if first == last else f"chunks {first}–{last}"
        return f"[{self.n}] {self.doc_id}{title} ({where})"

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "doc_id": self.doc_id, "title": self.title, "source": self.source,
                "chunk": self.chunk, "chunks": list(self.chunks), "score": self.score, "text": self.text}


def join_chunks(parts: Sequence[str], overlap_tokens: int = 0) -> str:
    """Consecutive chunks as one text. With an overlap (``--chunk-overlap``), the start of a chunk
    that repeats the end of its predecessor is given once; without one, nothing is dropped."""
    # A token is rarely over 10 characters: the longest prefix worth looking for.
    longest = overlap_tokens * 10 + MIN_OVERLAP_CHARS if overlap_tokens > 0 else 0
    text = ""
    for part in (p.strip() for p in parts):
        if not text:
            text = part
            continue
        cut = 0
        for size in range(min(len(text), len(part), longest), MIN_OVERLAP_CHARS - 1, -1):
            if text.endswith(part[:size]):
                cut = size
                break
        text = f"{text}\n{part[cut:].lstrip()}" if part[cut:].strip() else text
    return text


def _sections(parts: Sequence[tuple[int, str, str]], title: str) -> list[tuple[str | None, str]]:
    """Each chunk's text with the heading path to write before it (None: none), where the window enters a section.

    A chunk's heading path lives in its context line ("Title > Section"), except for a chunk
    that starts with its own heading (its text already shows it; the chunks after it carry it).
    """
    named: list[tuple[str | None, str]] = []
    section: str | None = title.strip()  # None: the section was named by a heading in the text
    for _, context, content in parts:
        context = context.strip()
        if content.lstrip().startswith("#"):
            named.append((None, content))
            section = None
            continue
        only_title = title.strip().startswith(context.rstrip("…").rstrip())  # a title, maybe cut short
        if section is not None and context and context != section and not only_title:
            named.append((context, content))
        else:
            named.append((None, content))
        section = context or section
    return named


def _with_sections(parts: Sequence[tuple[int, str, str]], title: str) -> list[str]:
    """Chunk texts with their section's heading path written where the window enters a section."""
    return [content if heading is None else f"{heading}\n{content}" for heading, content in _sections(parts, title)]


def window_text(parts: Sequence[tuple[int, str, str]], title: str, overlap_tokens: int = 0) -> Window:
    """Consecutive chunks ``(position, context, content)`` as one window, with the heading lines it wrote."""
    named = _sections(parts, title)
    texts = [content if heading is None else f"{heading}\n{content}" for heading, content in named]
    headings = tuple(dict.fromkeys(h for h, _ in named if h is not None))
    return Window(parts[0][0], parts[-1][0], join_chunks(texts, overlap_tokens), headings)


def select_passages(
    hits: Sequence["Hit"], budget: int, count_tokens: Callable[[str], int], windows: Mapping[tuple[str, int], Window] | None = None
) -> list[Passage]:
    """The best hits, in rank order, whose header and text fit in ``budget`` tokens together.

    First every hit alone: a hit that does not fit is skipped (a later, shorter one may).
    Then, in rank order, a chosen hit is widened to its neighbouring chunks (``windows``)
    while the budget allows, so context never pushes a ranked document out. If no hit fits
    alone, the best one is cut to the budget so there is always something to answer from.
    """
    if budget < 1:
        raise UsageError("--context-tokens must be at least 1")
    passages: list[Passage] = []
    used = 0
    for hit in hits:
        alone = Passage(n=len(passages) + 1, doc_id=hit.doc_id, title=hit.title, source=hit.source,
                        chunk=hit.chunk, text=hit.text.strip(), score=hit.score)
        cost = count_tokens(alone.header + "\n" + alone.text)
        if used + cost <= budget:
            passages.append(dataclasses.replace(alone, tokens=cost))
            used += cost
    for i, passage in enumerate(passages):
        window = (windows or {}).get((passage.doc_id, passage.chunk))
        if window is None:
            continue
        first, last, text, *rest = window
        wide = dataclasses.replace(passage, text=text, first_chunk=first, last_chunk=last, headings=tuple(rest[0]) if rest else ())
        cost = count_tokens(wide.header + "\n" + wide.text)
        if used - passage.tokens + cost <= budget:
            passages[i] = dataclasses.replace(wide, tokens=cost)
            used += cost - passage.tokens
    if not passages and hits:
        best = hits[0]
        head = Passage(n=1, doc_id=best.doc_id, title=best.title, source=best.source, chunk=best.chunk, text="", score=best.score)
        room = budget - count_tokens(head.header + "\n")
        text = _truncate_to_tokens(best.text.strip(), room, count_tokens) if room > 0 else ""
        if text:
            passages.append(dataclasses.replace(head, text=text, tokens=count_tokens(head.header + "\n" + text)))
    return passages


def _truncate_to_tokens(text: str, budget: int, count_tokens: Callable[[str], int]) -> str:
    words = text.split(" ")
    lo, hi = 0, len(words)
    while lo < hi:  # the longest prefix of words that fits
        mid = (lo + hi + 1) // 2
        if count_tokens(" ".join(words[:mid]) + " …") <= budget:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo]).rstrip() + " …" if lo else ""
