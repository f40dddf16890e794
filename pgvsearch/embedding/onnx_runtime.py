"""The ONNX Runtime embedder: a cache folder -> vectors with onnxruntime + tokenizers + numpy.

Every CLI call is a new process, so start-up time matters more than anything else here:
``onnxruntime`` + ``tokenizers`` load in a fraction of a second, torch takes seconds. This
module never imports torch; onnxruntime and tokenizers are imported when an embedder is built.

The session runs on the execution providers of its device (``devices.execution_providers``):
the CPU by default, CUDA with ``onnxruntime-gpu``; the rest is the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, EmbeddingError
from . import devices
from .cache import MODEL_FILE, TOKENIZER_FILE
from .pooling import POOLING_MODES, pool
from .protocol import check_texts, check_vectors, normalize
from .tokens import TokenizerJson

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    import onnxruntime
    import tokenizers


def cpu_count() -> int:
    """The CPUs this process may run on: ``OMP_NUM_THREADS`` when set (Ray sets it to each
    actor's CPUs; onnxruntime's threads spin, so two sessions sharing a core are far slower)."""
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        return int(threads)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _batches(order: np.ndarray, lengths: np.ndarray, max_rows: int, max_tokens: int) -> Iterator[np.ndarray]:
    """Consecutive slices of ``order`` (longest first) of at most ``max_rows`` rows and
    ``max_tokens`` padded tokens: long texts go in small batches, short ones in large batches."""
    start = 0
    while start < len(order):
        width = max(1, int(lengths[order[start]]))
        rows = max(1, min(max_rows, max_tokens // width))
        yield order[start : start + rows]
        start += rows


def _session_options(quick_start: bool) -> onnxruntime.SessionOptions:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = cpu_count()
    options.log_severity_level = 3
    if quick_start:
        # Re-laying out weights for the batched kernels takes ~45 ms at session start and pays
        # off only over many batches (~5% for int8, nothing measurable for fp32 here).
        options.add_session_config_entry("session.disable_prepacking", "1")
    return options


def _pooling_modes(manifest: dict[str, Any], folder: Path) -> tuple[str, ...]:
    raw_modes = manifest["pooling_mode"]
    modes = (raw_modes,) if isinstance(raw_modes, str) else tuple(str(m) for m in raw_modes)
    unknown = [m for m in modes if m not in POOLING_MODES]
    if unknown:
        raise ConfigError(f"ONNX cache {folder} has unsupported pooling mode(s) {unknown}; delete it")
    return modes


class OnnxEmbedder:
    """Embeds with onnxruntime + tokenizers from a cache folder; never imports torch."""

    backend = "onnx"
    # Padded tokens per onnxruntime call. Measured on 2 cores with all-MiniLM-L6-v2 chunks of up to
    # 256 tokens: 8 rows of 256 tokens ran ~20% faster than 32 rows (less padding, cache-sized
    # activations), while short texts still go 32 to a call.
    max_batch_tokens = 2048

    def __init__(
        self, model_name: str, folder: Path, manifest: dict[str, Any], *, quick_start: bool = False,
        device: str = "cpu",
    ) -> None:
        import onnxruntime as ort

        providers = devices.execution_providers(device, devices.available_providers())

        self.model_name: str = model_name
        self.folder: Path = folder
        self.dimension: int = int(manifest["dimension"])
        self.max_seq_length: int = int(manifest["max_seq_length"])
        self.precision: str = str(manifest["precision"])
        self._pooling_modes: tuple[str, ...] = _pooling_modes(manifest, folder)
        self._pad_id: int = int(manifest.get("pad_token_id") or 0)
        self._left_pad: bool = manifest.get("padding_side") == "left"

        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(folder / MODEL_FILE), sess_options=_session_options(quick_start), providers=list(providers)
        )
        # onnxruntime falls back to the CPU, with only a log line, when the CUDA provider is
        # offered but cannot load (no driver, wrong CUDA or cuDNN): asked for CUDA, say so instead.
        self.providers: tuple[str, ...] = tuple(self._session.get_providers())
        if device == "cuda" and devices.CUDA not in self.providers:
            raise devices.DeviceUnavailable(
                "--device cuda: onnxruntime-gpu could not start CUDA (check the NVIDIA driver and the CUDA and "
                "cuDNN versions onnxruntime-gpu needs); use --device cpu"
            )
        self.device: str = devices.device_of(self.providers)
        self._inputs: dict[str, type[np.integer[Any]]] = {
            i.name: (np.int32 if i.type == "tensor(int32)" else np.int64) for i in self._session.get_inputs()
        }
        missing = {"input_ids", "attention_mask"} - set(self._inputs)
        if missing:
            raise ConfigError(f"ONNX cache {folder} is missing model inputs {sorted(missing)}; delete it")
        self._output: str = self._session.get_outputs()[0].name

        self._tokens = TokenizerJson((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
        self._run_tok: tokenizers.Tokenizer = self._tokens.fresh()
        self._run_tok.enable_truncation(
            max_length=self.max_seq_length,
            direction=str(manifest.get("truncation_side") or "right"),
        )

    def tokenizer(self) -> tokenizers.Tokenizer:
        return self._tokens.fresh()

    def count_tokens(self, text: str) -> int:
        return self._tokens.count(text)

    def _infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Run the transformer: token embeddings of shape (batch, seq, hidden). Tests patch this."""
        return np.asarray(self._session.run([self._output], feeds)[0])

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        texts = check_texts(texts, batch_size)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._run_tok.encode_batch(texts, add_special_tokens=True)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        # Longest first, stable: each batch is padded only to its own longest text.
        order = np.argsort(-lengths, kind="stable")
        for idx in _batches(order, lengths, batch_size, self.max_batch_tokens):
            out[idx] = self._embed_batch([encodings[i] for i in idx])
        # Check before normalizing, so a zero vector is reported as such rather than as NaN.
        return normalize(check_vectors(out, len(texts), self.dimension))

    def _embed_batch(self, encodings: list[tokenizers.Encoding]) -> np.ndarray:
        """Pooled (not yet normalized) vectors of one batch of encoded texts."""
        feeds = self._feeds(encodings)
        ids, mask = feeds["input_ids"], feeds["attention_mask"]
        feeds = {k: v.astype(self._inputs[k], copy=False) for k, v in feeds.items() if k in self._inputs}
        token_embeddings = self._infer(feeds)
        if token_embeddings.ndim != 3 or token_embeddings.shape[:2] != ids.shape:
            raise EmbeddingError(
                f"ONNX model returned token embeddings of shape {token_embeddings.shape} "
                f"for a batch of shape {ids.shape}"
            )
        pooled = pool(token_embeddings, mask, self._pooling_modes)
        if pooled.shape[1] != self.dimension:
            raise EmbeddingError(
                f"embedding model returned vectors of length {pooled.shape[1]}, expected {self.dimension}"
            )
        return pooled

    def _feeds(self, encodings: list[tokenizers.Encoding]) -> dict[str, np.ndarray]:
        """input_ids, attention_mask (and token_type_ids if the model takes them), padded to the longest."""
        width = max(1, max(len(e.ids) for e in encodings))
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        use_types = "token_type_ids" in self._inputs
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            cols = slice(width - n, width) if self._left_pad else slice(0, n)
            ids[row, cols] = enc.ids
            mask[row, cols] = 1
            if use_types:
                types[row, cols] = enc.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask}
        if use_types:
            feeds["token_type_ids"] = types
        return feeds
