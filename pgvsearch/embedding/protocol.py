"""What an embedder is, and what its vectors must be (numpy only).

Every backend (ONNX Runtime, sentence-transformers, and whatever comes next) offers the
:class:`Embedder` surface. A Hugging Face fast tokenizer is *not* part of it: a backend that has
one offers it through :class:`HasTokenizer`, which the chunker takes as a fast path.

:func:`check_vectors` is the one home of "is this a valid batch of embeddings"; backends and
the ingest pipeline call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..errors import EmbeddingError

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    import tokenizers


@runtime_checkable
class Embedder(Protocol):
    """What the rest of pgvsearch uses to turn text into vectors."""

    model_name: str
    dimension: int
    max_seq_length: int
    backend: str
    precision: str

    def count_tokens(self, text: str) -> int:
        """Number of tokens the model sees for ``text``, excluding special tokens, untruncated."""
        ...

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """float32 array of shape (len(texts), dimension) with L2-normalized rows."""
        ...


@runtime_checkable
class HasTokenizer(Protocol):
    """Optional: an embedder whose model has a Hugging Face fast tokenizer (both current backends)."""

    def tokenizer(self) -> tokenizers.Tokenizer:
        """The model's fast tokenizer with truncation and padding disabled (for token counting)."""
        ...


def check_texts(texts: Sequence[str], batch_size: int) -> list[str]:
    """The arguments of ``Embedder.embed`` checked: a list of the texts (not one string), batch_size >= 1."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of strings, not a single string")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return list(texts)


def check_vectors(vectors: np.ndarray, n_texts: int, dimension: int) -> np.ndarray:
    """Raise EmbeddingError unless ``vectors`` is (n_texts, dimension), finite and non-zero.

    The one check of a model's output, for every backend and for ingest (which trusts no
    embedder it is given); its messages are the reasons a skipped document reports."""
    if vectors.ndim != 2 or vectors.shape[0] != n_texts:
        raise EmbeddingError(
            f"model returned vectors of shape {vectors.shape} for {n_texts} input(s), expected ({n_texts}, {dimension})"
        )
    if vectors.shape[1] != dimension:
        raise EmbeddingError(
            f"model returned vectors of shape {vectors.shape}: length {vectors.shape[1]}, expected {dimension}"
        )
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise EmbeddingError(
            f"model returned a NaN or infinite vector (non-finite values for {bad.size} input(s), "
            f"first at index {int(bad[0])})"
        )
    zero = np.linalg.norm(vectors, axis=1) < 1e-6
    if zero.any():
        bad = np.flatnonzero(zero)
        raise EmbeddingError(
            f"model returned an all-zero vector for {bad.size} input(s), first at index {int(bad[0])}"
        )
    return vectors


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (float32)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalized: np.ndarray = (vectors / norms).astype(np.float32, copy=False)
    return normalized


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest cosine between corresponding rows of ``a`` and ``b`` (export checks)."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.min(np.sum(a * b, axis=1)))
