"""Text -> chunks, token-aware with the model's own tokenizer (a pure stage).

Each chunk is at most ``max_tokens`` model tokens *including* its context line (title and
heading path) and the model's special tokens, so nothing is silently truncated when it is
embedded. Splitting prefers Markdown headings, then paragraphs, sentences and words
(semantic-text-splitter), with a token overlap between neighbouring chunks.

Tokens are counted by the model's Hugging Face fast tokenizer when the embedder has one (the
fast path: the splitter counts in Rust), or else by any ``text -> token count`` callable, such
as the embedder's own ``count_tokens``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Union

if TYPE_CHECKING:
    from tokenizers import Tokenizer

TokenCounter = Callable[[str], int]
"""Number of model tokens in a text, without special tokens and untruncated."""

MAX_CONTEXT_TOKENS = 48
SPECIAL_TOKENS = 2  # [CLS] ... [SEP] for BERT-style models; see Chunker.special_tokens
HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)


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


class _TokenCountingModel(Protocol):
    """What :meth:`Chunker.for_embedder` needs of an embedder (a ``tokenizer()`` method is optional)."""

    max_seq_length: int

    def count_tokens(self, text: str) -> int: ...


class Chunker:
    """Splits documents for one model; construct once per run (building splitters is not free).

    ``tokenizer`` is the model's Hugging Face fast tokenizer (``tokenizers.Tokenizer``, with
    truncation and padding off) or a :data:`TokenCounter`.
    """

    def __init__(
        self,
        tokenizer: Union["Tokenizer", TokenCounter],
        *,
        max_tokens: int,
        overlap: int,
        special_tokens: int | None = None,
    ):
        # A tokenizers.Tokenizer has encode(); a counter is any callable.
        self._tokenizer: Any = tokenizer if hasattr(tokenizer, "encode") else None
        self._counter: TokenCounter | None = None if self._tokenizer is not None else tokenizer  # type: ignore[assignment]
        if self._tokenizer is None and not callable(self._counter):
            raise TypeError("Chunker needs a tokenizers.Tokenizer or a callable counting tokens")
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.special_tokens = SPECIAL_TOKENS if special_tokens is None else special_tokens
        self._splitters: dict[tuple[bool, int], object] = {}

    @classmethod
    def for_embedder(
        cls, embedder: _TokenCountingModel, *, max_tokens: int, overlap: int, special_tokens: int | None = None
    ) -> "Chunker":
        """A chunker counting tokens as ``embedder``'s model does, with chunks that fit its window
        (``max_tokens`` is capped at ``embedder.max_seq_length``).

        Uses the embedder's Hugging Face tokenizer when it offers ``tokenizer()`` (both current
        backends do: the splitter then counts in Rust), else its ``count_tokens``.
        """
        max_tokens = min(max_tokens, embedder.max_seq_length)
        tokenizer = getattr(embedder, "tokenizer", None)
        counting: Any = tokenizer() if callable(tokenizer) else embedder.count_tokens
        return cls(counting, max_tokens=max_tokens, overlap=overlap, special_tokens=special_tokens)

    def count_tokens(self, text: str) -> int:
        if self._counter is not None:
            return int(self._counter(text))
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def _truncate(self, text: str, limit: int) -> str:
        """``text`` cut after its first ``limit`` tokens (and marked with an ellipsis) if it is longer."""
        if self._counter is not None:
            return self._truncate_by_count(text, limit)
        enc = self._tokenizer.encode(text, add_special_tokens=False)
        if len(enc.ids) <= limit:
            return text
        end = enc.offsets[limit - 1][1]
        return text[:end].rstrip() + "…"

    def _truncate_by_count(self, text: str, limit: int) -> str:
        """Without token offsets: the longest prefix counting at most ``limit`` tokens, found over
        word ends (a binary search), then into the next word (a tokenizer may cut inside one)."""
        if self.count_tokens(text) <= limit:
            return text
        words = [m.span() for m in re.finditer(r"\S+", text)]
        low, high = -1, len(words) - 1  # prefixes through words[low] fit; through words[high] do not
        while high - low > 1:
            middle = (low + high) // 2
            if self.count_tokens(text[: words[middle][1]]) <= limit:
                low = middle
            else:
                high = middle
        end = words[low][1] if low >= 0 else 0
        start, stop = words[high]
        for cut in range(stop - 1, start, -1):
            if self.count_tokens(text[:cut]) <= limit:
                end = cut
                break
        return text[:end].rstrip() + "…"

    def _splitter(self, markdown: bool, capacity: int) -> object:
        key = (markdown, capacity)
        if key not in self._splitters:
            from semantic_text_splitter import MarkdownSplitter, TextSplitter

            cls = MarkdownSplitter if markdown else TextSplitter
            overlap = min(self.overlap, capacity // 2)
            if self._counter is not None:
                self._splitters[key] = cls.from_callback(self._counter, capacity, overlap=overlap)
            else:
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
        headings = _headings(text) if markdown else []
        context_cap = min(MAX_CONTEXT_TOKENS, self.max_tokens // 4)
        title_ctx = self._truncate(title.strip(), context_cap) if title.strip() else ""
        contexts = {title_ctx}
        paths = _heading_paths(headings, title.strip())
        for path in paths:
            contexts.add(self._truncate(_join_context(title.strip(), path), context_cap))
        context_budget = max((self.count_tokens(c) + 1 for c in contexts if c), default=0)
        capacity = max(16, self.max_tokens - self.special_tokens - context_budget)

        starts = [h[0] for h in headings]
        heading_starts = frozenset(starts)
        spans = self._spans(text, markdown, capacity, heading_starts)
        chunks: list[Chunk] = []
        for start, end in spans:
            piece = text[start:end].strip()
            idx = bisect.bisect_right(starts, start) - 1
            # A piece that opens with its heading shows it; a '# comment' of a code block is no heading.
            lead = start + len(text[start:end]) - len(text[start:end].lstrip())
            if idx >= 0 and lead not in heading_starts:
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

    def _spans(self, text: str, markdown: bool, capacity: int, heading_starts: frozenset[int]) -> list[tuple[int, int]]:
        """Source spans of the chunks: heading-only pieces fold into the next chunk's context,
        and a small piece joins its successor when both fit in one chunk.

        Only the headings of ``heading_starts`` fold: a ``# comment`` line in a code block, or
        any line of a text not read as Markdown, is text, and dropping it would lose it."""
        splitter = self._splitter(markdown, capacity)
        raw = [
            (offset, offset + len(piece))
            for offset, piece in splitter.chunk_indices(text)  # type: ignore[attr-defined]
            if piece.strip()
        ]
        if len(raw) > 1:
            kept = [span for span in raw[:-1] if not _only_headings(text, span, heading_starts)]
            raw = self._fences_start_chunks(text, kept + [raw[-1]], capacity)
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


    def _fences_start_chunks(self, text: str, spans: list[tuple[int, int]], capacity: int) -> list[tuple[int, int]]:
        """A code block's opening fence line left at the end of a chunk moves to the next one
        (when it still fits), so a chunk never ends on a fence that opens nothing it holds."""
        spans = list(spans)
        for i in range(len(spans) - 1):
            start, end = spans[i]
            piece = text[start:end].rstrip()
            cut = start + piece.rfind("\n") + 1  # where the piece's last line starts
            if not FENCE_RE.match(text[cut:end]) or len(FENCE_RE.findall(piece)) % 2 == 0:
                continue  # the last line is no fence, or it closes a block the piece opened
            if self.count_tokens(text[cut : spans[i + 1][1]]) > capacity:
                continue
            spans[i], spans[i + 1] = (start, cut), (cut, spans[i + 1][1])
        return [(s, e) for s, e in spans if text[s:e].strip()]


def _headings(text: str) -> list[tuple[int, int, str]]:
    """(offset, level, title) of the Markdown headings of ``text``, outside fenced code blocks
    (a ``# comment`` in a code block is no heading)."""
    fenced: list[tuple[int, int]] = []
    opener: re.Match[str] | None = None
    for m in FENCE_RE.finditer(text):
        if opener is None:
            opener = m
        elif m.group(1)[0] == opener.group(1)[0] and len(m.group(1)) >= len(opener.group(1)):
            fenced.append((opener.start(), m.end()))
            opener = None
    if opener is not None:
        fenced.append((opener.start(), len(text)))
    return [
        (m.start(), len(m.group(1)), m.group(2).strip())
        for m in HEADING_RE.finditer(text)
        if not any(a <= m.start() < b for a, b in fenced)
    ]


def _same_words(a: str, b: str) -> bool:
    return bool(b) and a.split() == b.split()


def _only_headings(text: str, span: tuple[int, int], heading_starts: frozenset[int]) -> bool:
    """Whether every non-blank line of ``text[span]`` starts one of the headings at ``heading_starts``."""
    start, end = span
    offset, any_line = start, False
    for line in text[start:end].split("\n"):
        if line.strip():
            if offset not in heading_starts:
                return False
            any_line = True
        offset += len(line) + 1
    return any_line


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
