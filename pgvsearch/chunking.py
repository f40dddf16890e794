"""Text -> chunks, token-aware with the model's own tokenizer (a pure stage).

Each chunk is at most ``max_tokens`` model tokens *including* its context line (title and
heading path) and the model's special tokens, so nothing is silently truncated when it is
embedded. Splitting prefers Markdown headings, then paragraphs, sentences and words
(semantic-text-splitter), with a token overlap between neighbouring chunks.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MAX_CONTEXT_TOKENS = 48
SPECIAL_TOKENS = 2  # [CLS] ... [SEP] for BERT-style models; see Chunker.special_tokens
HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class Chunk:
    position: int
    content: str
    context: str

    @property
    def embed_text(self) -> str:
        """What the model embeds: the context line, then the chunk text."""
        if not self.context or self.content.startswith(self.context):
            return self.content
        return f"{self.context}\n{self.content}"


class Chunker:
    """Splits documents for one model; construct once per run (building splitters is not free)."""

    def __init__(self, tokenizer: "Tokenizer", *, max_tokens: int, overlap: int, special_tokens: int | None = None):
        self._tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.special_tokens = SPECIAL_TOKENS if special_tokens is None else special_tokens
        self._splitters: dict[tuple[bool, int], object] = {}

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def _truncate(self, text: str, limit: int) -> str:
        enc = self._tokenizer.encode(text, add_special_tokens=False)
        if len(enc.ids) <= limit:
            return text
        end = enc.offsets[limit - 1][1]
        return text[:end].rstrip() + "…"

    def _splitter(self, markdown: bool, capacity: int) -> object:
        key = (markdown, capacity)
        if key not in self._splitters:
            from semantic_text_splitter import MarkdownSplitter, TextSplitter

            cls = MarkdownSplitter if markdown else TextSplitter
            overlap = min(self.overlap, capacity // 2)
            self._splitters[key] = cls.from_huggingface_tokenizer(self._tokenizer, capacity, overlap=overlap)
        return self._splitters[key]

    def split(self, text: str, *, title: str = "", markdown: bool = True) -> list[Chunk]:
        """Chunks of ``text``; each carries ``title`` and its section heading path as context."""
        text = text.strip()
        if not text:
            return []
        whole = Chunk(position=0, content=text, context=title.strip())
        if self.count_tokens(whole.embed_text) + self.special_tokens <= self.max_tokens:
            return [whole]  # the document fits the model's window: splitting could only lose context
        headings = [(m.start(), len(m.group(1)), m.group(2).strip()) for m in HEADING_RE.finditer(text)] if markdown else []
        context_cap = min(MAX_CONTEXT_TOKENS, self.max_tokens // 4)
        title_ctx = self._truncate(title.strip(), context_cap) if title.strip() else ""
        contexts = {title_ctx}
        paths = _heading_paths(headings, title.strip())
        for path in paths:
            contexts.add(self._truncate(_join_context(title.strip(), path), context_cap))
        context_budget = max((self.count_tokens(c) + 1 for c in contexts if c), default=0)
        capacity = max(16, self.max_tokens - self.special_tokens - context_budget)

        spans = self._spans(text, markdown, capacity)
        starts = [h[0] for h in headings]
        chunks: list[Chunk] = []
        for start, end in spans:
            piece = text[start:end].strip()
            idx = bisect.bisect_right(starts, start) - 1
            if idx >= 0 and not piece.startswith("#"):
                context = self._truncate(_join_context(title.strip(), paths[idx]), context_cap)
            else:
                context = title_ctx
            if len(spans) > 1 and (_same_words(piece, context) or _same_words(piece, title)):
                continue  # a piece that only repeats the title: every chunk carries it already
            chunks.append(Chunk(position=len(chunks), content=piece, context=context))
        if not chunks and spans:  # every piece repeated the title: keep the first, it fits the window
            start, end = spans[0]
            chunks.append(Chunk(position=0, content=text[start:end].strip(), context=title_ctx))
        return chunks

    def _spans(self, text: str, markdown: bool, capacity: int) -> list[tuple[int, int]]:
        """Source spans of the chunks: heading-only pieces fold into the next chunk's context,
        and a small piece joins its successor when both fit in one chunk."""
        splitter = self._splitter(markdown, capacity)
        raw = [
            (offset, offset + len(piece))
            for offset, piece in splitter.chunk_indices(text)  # type: ignore[attr-defined]
            if piece.strip()
        ]
        if len(raw) > 1:
            kept = [span for span in raw[:-1] if not _only_headings(text[span[0] : span[1]])]
            raw = kept + [raw[-1]]
        merged: list[tuple[int, int]] = []
        for start, end in raw:
            if merged:
                prev_start, prev_end = merged[-1]
                if (
                    self.count_tokens(text[prev_start:prev_end]) < capacity // 3
                    and self.count_tokens(text[prev_start:end]) <= capacity
                ):
                    merged[-1] = (prev_start, max(prev_end, end))
                    continue
            merged.append((start, end))
        return merged


def _same_words(a: str, b: str) -> bool:
    return bool(b) and a.split() == b.split()


def _only_headings(piece: str) -> bool:
    lines = [line for line in piece.splitlines() if line.strip()]
    return bool(lines) and all(HEADING_RE.match(line) for line in lines)


def _heading_paths(headings: list[tuple[int, int, str]], title: str) -> list[list[str]]:
    """For each heading, the path of headings above it (itself included)."""
    stack: list[tuple[int, str]] = []
    paths: list[list[str]] = []
    for _, level, name in headings:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, name))
        paths.append([n for _, n in stack if n != title])
    return paths


def _join_context(title: str, path: list[str]) -> str:
    parts = [title] if title else []
    parts.extend(path)
    return " > ".join(parts)
