"""Chunker.for_embedder: the tokenizer fast path when the embedder has one, its count_tokens otherwise."""

from __future__ import annotations

from typing import Any

from conftest import SAMPLE_DATA


class CountOnlyEmbedder:
    """An embedder without a Hugging Face tokenizer: only the protocol's required surface."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_name, self.dimension, self.max_seq_length = inner.model_name, inner.dimension, inner.max_seq_length
        self.backend, self.precision = inner.backend, inner.precision

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed(self, texts: Any, batch_size: int = 32) -> Any:
        return self.inner.embed(texts, batch_size=batch_size)


def _documents() -> list[tuple[str, str]]:
    docs = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(SAMPLE_DATA.rglob("*.md"))]
    sections = [f"## Section {i}\n\n" + " ".join(f"Paragraph {i} talks about topic{i} and ordinary words." for _ in range(12)) for i in range(30)]
    docs.append(("A long manual", "# A long manual\n\n" + "\n\n".join(sections)))
    long_title = " ".join(f"topic{i}" for i in range(60))
    docs.append((long_title, f"{long_title}\n\n{long_title}"))
    return docs


def test_for_embedder_gives_the_chunks_of_the_tokenizer_with_or_without_one(embedder: Any) -> None:
    from pgvsearch.chunking import Chunker
    from pgvsearch.embedding import Embedder, HasTokenizer

    count_only = CountOnlyEmbedder(embedder)
    assert isinstance(count_only, Embedder) and not isinstance(count_only, HasTokenizer)
    assert isinstance(embedder, HasTokenizer)
    for max_tokens, overlap in ((256, 32), (64, 8)):
        today = Chunker(embedder.tokenizer(), max_tokens=max_tokens, overlap=overlap)
        fast = Chunker.for_embedder(embedder, max_tokens=max_tokens, overlap=overlap)
        counted = Chunker.for_embedder(count_only, max_tokens=max_tokens, overlap=overlap)
        for title, text in _documents():
            for markdown in (True, False):
                expected = today.split(text, title=title, markdown=markdown)
                assert fast.split(text, title=title, markdown=markdown) == expected
                assert counted.split(text, title=title, markdown=markdown) == expected
                assert all(counted.count_tokens(c.embed_text) + 2 <= max_tokens for c in expected)


def test_for_embedder_keeps_chunks_inside_the_model_window(embedder: Any) -> None:
    from pgvsearch.chunking import Chunker

    chunker = Chunker.for_embedder(CountOnlyEmbedder(embedder), max_tokens=10_000, overlap=32)
    assert chunker.max_tokens == embedder.max_seq_length
    assert chunker.count_tokens("how do I reset my password?") == embedder.count_tokens("how do I reset my password?")


def _code_manual() -> str:
    """A how-to whose code blocks hold `# comments` and are longer than one chunk."""
    steps = []
    for i in range(8):
        code = "\n".join(f"# step {i}: set value {j}\nvalue_{i}_{j} = compute({i}, {j})" for j in range(12))
        steps.append(f"## Step {i}\n\nRun the following code for step {i}:\n\n```python\n{code}\n```\n\nThat is step {i}.")
    return "# Code manual\n\n" + "\n\n".join(steps)


def test_comments_in_code_are_not_headings_and_no_chunk_ends_on_an_opening_fence(embedder: Any) -> None:
    from pgvsearch.chunking import Chunker

    chunker = Chunker.for_embedder(embedder, max_tokens=128, overlap=0)
    chunks = chunker.split(_code_manual(), title="Code manual")
    assert len(chunks) > 8
    # The heading path names sections, never a comment line of a code block.
    sections = tuple(f"Code manual > Step {i}" for i in range(8))
    assert all(c.context in sections or c.context == "Code manual" for c in chunks), [c.context for c in chunks]
    for c in chunks:
        last_line = c.content.rstrip().splitlines()[-1].strip()
        fences = sum(1 for line in c.content.splitlines() if line.lstrip().startswith("```"))
        assert not (last_line.startswith("```") and fences % 2 == 1), c.content
        assert chunker.count_tokens(c.embed_text) + chunker.special_tokens <= 128
