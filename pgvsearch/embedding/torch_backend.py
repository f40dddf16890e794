"""The sentence-transformers (torch) embedder: the fallback when a model cannot run through ONNX.

Loading it costs seconds (torch, transformers); sentence_transformers is imported only inside
:func:`load_sentence_transformer`. The helpers reading a loaded model's dimension and window
are shared with the ONNX export.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from .choices import DEFAULT_MODEL
from .protocol import check_texts, check_vectors
from .support import describe, raise_if_interrupted
from .tokens import TokenizerJson

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    import tokenizers
    from sentence_transformers import SentenceTransformer


class TorchEmbedder:
    """Embeds with SentenceTransformer.encode on CPU (slow start, used when ONNX is not possible)."""

    backend = "torch"
    precision = "fp32"

    def __init__(self, model_name: str, st_model: SentenceTransformer) -> None:
        self.model_name: str = model_name
        self._st: SentenceTransformer = st_model
        dimension = st_dimension(st_model)
        if dimension is None:
            raise ConfigError(f"cannot determine the embedding dimension of model {model_name!r}")
        self.dimension: int = dimension
        self.max_seq_length: int = st_max_seq_length(st_model)
        hf_tokenizer = getattr(st_model, "tokenizer", None)
        backend_tokenizer = getattr(hf_tokenizer, "backend_tokenizer", None)
        if backend_tokenizer is None:
            raise ConfigError(f"model {model_name!r} has no fast (tokenizers) tokenizer; it cannot be used")
        self._tokens = TokenizerJson(backend_tokenizer.to_str(), build_counter=True)

    def tokenizer(self) -> tokenizers.Tokenizer:
        return self._tokens.fresh()

    def count_tokens(self, text: str) -> int:
        return self._tokens.count(text)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        texts = check_texts(texts, batch_size)
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        vectors = self._st.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return check_vectors(np.asarray(vectors, dtype=np.float32), len(texts), self.dimension)


def st_dimension(st_model: SentenceTransformer) -> int | None:
    """The model's sentence-embedding dimension, or None if it does not say."""
    getter = getattr(st_model, "get_embedding_dimension", None) or getattr(
        st_model, "get_sentence_embedding_dimension", None
    )
    value = getter() if callable(getter) else None
    return int(value) if value is not None else None


def st_max_seq_length(st_model: SentenceTransformer) -> int:
    """The model's window in tokens (its max_seq_length, else the transformer's position limit)."""
    value = getattr(st_model, "max_seq_length", None)
    if isinstance(value, int) and 0 < value < 1_000_000:
        return value
    config = getattr(getattr(st_model[0], "auto_model", None), "config", None)
    fallback = getattr(config, "max_position_embeddings", None)
    return int(fallback) if isinstance(fallback, int) and fallback > 0 else 512


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' weight-loading progress bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging_module
    except ImportError:  # pragma: no cover
        yield
        return
    hf_logging: Any = hf_logging_module  # untyped module
    was_enabled = bool(hf_logging.is_progress_bar_enabled())
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def load_sentence_transformer(model: str, source: str) -> SentenceTransformer:
    """Load ``source`` (what ``model`` resolves to) on CPU, quietly; ConfigError if it cannot load."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise_if_interrupted(exc)
        raise ConfigError(f"cannot load model {model!r}: sentence-transformers is not installed ({exc})") from exc
    try:
        with _quiet_transformers(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return SentenceTransformer(source, device="cpu")
    except Exception as exc:  # noqa: BLE001 - any loader failure is a configuration problem here
        raise_if_interrupted(exc)
        raise ConfigError(
            f"cannot load embedding model {model!r} ({describe(exc)}); there is no "
            f"network access at run time, so use the packaged {DEFAULT_MODEL!r}, a local model "
            f"directory, or a model already in the Hugging Face cache"
        ) from exc
