"""Sentence-transformers' Pooling in numpy: token embeddings -> one vector per text.

Any runtime that returns token embeddings (last_hidden_state) pools them here, so it needs
neither torch nor sentence-transformers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import EmbeddingError

POOLING_MODES: frozenset[str] = frozenset(
    {"cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"}
)


def pool(token_embeddings: np.ndarray, attention_mask: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """(B, S, D) token embeddings -> (B, len(modes) * D), the modes' outputs side by side."""
    emb = token_embeddings.astype(np.float32, copy=False)
    mask = attention_mask.astype(np.float32)
    outputs = [_pool_one(emb, attention_mask, mask, mode) for mode in modes]
    if not outputs or emb.shape[2] == 0:
        raise EmbeddingError("pooling produced no output")
    return np.concatenate(outputs, axis=1).astype(np.float32, copy=False)


def _pool_one(emb: np.ndarray, attention_mask: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    batch, seq_len, _ = emb.shape
    rows = np.arange(batch)
    if mode == "cls":
        first = attention_mask.argmax(axis=1)
        return emb[rows, first]
    if mode == "max":
        masked = np.where(mask[:, :, None] > 0, emb, np.float32(-np.inf))
        return masked.max(axis=1)
    if mode in ("mean", "mean_sqrt_len_tokens"):
        summed = np.einsum("bsd,bs->bd", emb, mask)
        count = np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        return summed / (count if mode == "mean" else np.sqrt(count))
    if mode == "weightedmean":
        pad_lengths = attention_mask.argmax(axis=1).astype(np.float32)
        weights = np.arange(1, seq_len + 1, dtype=np.float32)[None, :] - pad_lengths[:, None]
        weighted = mask * weights
        summed = np.einsum("bsd,bs->bd", emb, weighted)
        return summed / np.clip(weighted.sum(axis=1, keepdims=True), 1e-9, None)
    if mode == "lasttoken":
        flipped = attention_mask[:, ::-1]
        values, indices = flipped.max(axis=1), flipped.argmax(axis=1)
        indices = np.where(values == 0, seq_len - 1, indices)
        last = seq_len - indices - 1
        return emb[rows, last] * mask[rows, last][:, None]
    raise EmbeddingError(f"unsupported pooling mode {mode!r}")  # pragma: no cover - rejected when the manifest is read
