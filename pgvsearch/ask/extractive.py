"""Extractive answers, when no language model is configured: the passages' sentences closest
to the question (cosine, with the collection's embedder), each with its citation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from .passages import Passage

if TYPE_CHECKING:
    from ..embedding import Embedder

EXTRACTIVE_SENTENCES = 3

_LIST_MARKER_RE = re.compile(r"^(?:[-*+•]|\d+[.)])\s+")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])")
_TERMINAL_RE = re.compile(r"[.!?:;][\"')\]”]*$")


def _clean(text: str) -> str:
    return " ".join(text.replace("**", "").replace("__", "").split())


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk: headings dropped, list items and table rows taken one by one."""
    units: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            units.extend(_SENTENCE_SPLIT_RE.split(_clean(" ".join(paragraph))))
            paragraph.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            flush()
            continue
        if line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            if any(c and set(c) - set("-: ") for c in cells):
                units.append(_clean(" — ".join(c for c in cells if c)))
            continue
        marker = _LIST_MARKER_RE.match(line)
        if marker:
            flush()
            paragraph.append(line[marker.end():])
            flush()
            continue
        paragraph.append(line)
    flush()
    sentences: list[str] = []
    for unit in units:
        words = len(unit.split())
        # Short unpunctuated lines are titles and headings of plain-text documents, not answers.
        if words >= 3 and (_TERMINAL_RE.search(unit) or words >= 6 or " — " in unit):
            sentences.append(unit)
    return sentences


def extractive_answer(question: str, passages: Sequence[Passage], embedder: "Embedder", count: int = EXTRACTIVE_SENTENCES) -> str:
    """The ``count`` passage sentences most similar to the question (cosine), each followed by its
    citation, kept in passage rank and reading order."""
    import numpy as np

    candidates: list[tuple[str, int]] = []
    seen: set[str] = set()
    for passage in passages:
        for sentence in split_sentences(passage.text):
            if sentence.lower() not in seen:
                seen.add(sentence.lower())
                candidates.append((sentence, passage.n))
    if not candidates:
        return "\n".join(f"{_clean(p.text)[:300]} [{p.n}]" for p in passages[:1])
    vectors = embedder.embed([question] + [s for s, _ in candidates])
    scores = np.asarray(vectors[1:]) @ np.asarray(vectors[0])
    # Chosen by cosine, shown in passage rank and reading order (candidates are built in that order).
    best = sorted(range(len(candidates)), key=lambda i: (-float(scores[i]), i))[:count]
    return "\n".join(f"{candidates[i][0]} [{candidates[i][1]}]" for i in sorted(best))
