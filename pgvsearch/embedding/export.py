"""The fp32 export: a sentence-transformers model -> a checked cache folder (graph, weights,
tokenizer, manifest), with onnxruntime's fused transformer kernels where they are exact.

Every step is checked end to end against ``SentenceTransformer.encode`` on ``PROBE_TEXTS``;
a model that fails raises :class:`CannotExport` (``backend="auto"`` then falls back to torch).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .cache import CACHE_FORMAT_VERSION, MODEL_FILE, TOKENIZER_FILE, WEIGHTS_FILE, versions, write_manifest
from .model_spec import ExportSpec, inspect_model
from .models import canonical_model, source_fingerprint
from .onnx_export import torch_export
from .onnx_runtime import OnnxEmbedder
from .protocol import min_cosine
from .support import CannotExport, describe, quiet_tools, raise_if_interrupted

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    from sentence_transformers import SentenceTransformer

# Texts used to check an export end to end against sentence-transformers: short, accented,
# CJK, empty, and one longer than any model's max_seq_length so truncation is exercised too.
PROBE_TEXTS: tuple[str, ...] = (
    "How do I configure the connection pool?",
    "Crème brûlée, naïve café — Zürich; 東京の天気は晴れです。",
    "",
    " ".join(["The quick brown fox jumps over the lazy dog near the riverbank."] * 70),
)
_EXPORT_MIN_COSINE = 0.9999  # sentence embeddings, ONNX pipeline vs SentenceTransformer.encode
_FUSED_MIN_COSINE = 0.99999  # sentence embeddings, fused graph vs the plain export


def _fp32_manifest(model: str, source: str, spec: ExportSpec, exporter: str) -> dict[str, Any]:
    return {
        "format_version": CACHE_FORMAT_VERSION,
        "model": canonical_model(model),
        "source": source,
        "fingerprint": source_fingerprint(source),
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
        "versions": versions("torch", "transformers", "sentence-transformers", "onnxruntime", "tokenizers"),
    }


def export_fp32(model: str, source: str, st_model: SentenceTransformer, tmp: Path) -> None:
    """Write model.onnx, tokenizer.json and manifest.json for ``st_model`` into ``tmp`` and verify them."""
    started = time.monotonic()
    spec = inspect_model(model, st_model)
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise_if_interrupted(exc)
        raise CannotExport(f"onnxruntime/tokenizers not available ({describe(exc)})", st_model) from exc
    exporter = torch_export(st_model, spec, tmp / MODEL_FILE)
    transformer: Any = st_model[0]
    transformer.tokenizer.backend_tokenizer.save(str(tmp / TOKENIZER_FILE))
    manifest = _fp32_manifest(model, source, spec, exporter)
    write_manifest(tmp, manifest)
    # End to end: tokenizer + ONNX + numpy pooling must reproduce SentenceTransformer.encode.
    got = OnnxEmbedder(model, tmp, manifest).embed(list(PROBE_TEXTS))
    want = np.asarray(
        st_model.encode(list(PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False),
        dtype=np.float32,
    )
    if want.shape != got.shape or min_cosine(got, want) < _EXPORT_MIN_COSINE:
        detail = f"shape {got.shape} vs {want.shape}" if want.shape != got.shape else f"min cosine {min_cosine(got, want):.5f}"
        raise CannotExport(f"ONNX export of {model!r} does not reproduce sentence-transformers ({detail})", st_model)
    manifest["graph"] = _fuse_graph(model, st_model, tmp, manifest, reference=got)
    externalize_weights(tmp)
    manifest["export_seconds"] = round(time.monotonic() - started, 2)
    write_manifest(tmp, manifest)
    if min_cosine(OnnxEmbedder(model, tmp, manifest).embed(list(PROBE_TEXTS)), want) < _EXPORT_MIN_COSINE:
        raise CannotExport(f"the saved ONNX model of {model!r} does not reproduce sentence-transformers", st_model)


def externalize_weights(folder: Path) -> None:
    """Move the weights of ``folder/model.onnx`` into ``model.onnx.data`` (one file, same permissions)."""
    import onnx

    path = folder / MODEL_FILE
    graph = onnx.load(str(path))
    onnx.save_model(graph, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=WEIGHTS_FILE, size_threshold=1024)
    os.chmod(folder / WEIGHTS_FILE, path.stat().st_mode & 0o777)  # onnx writes it 0600


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
    plain = folder / MODEL_FILE
    fused = folder / "model.fused.onnx"
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with quiet_tools():
            optimized = optimize_model(str(plain), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0, use_gpu=False)
            stats = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
            optimized.save_model_to_file(str(fused))
        if not stats:
            return "plain"
        os.replace(plain, folder / "model.plain.onnx")
        os.replace(fused, plain)
        got = OnnxEmbedder(model, folder, manifest).embed(list(PROBE_TEXTS))
        if min_cosine(got, reference) < _FUSED_MIN_COSINE:
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
