"""The int8 step of the export pipeline: the fp32 cache folder -> a checked int8 one.

The recipe itself (which nodes run in int8, the outlier channels) is :mod:`.quantize`; this
step runs it on the fp32 export, and keeps the result only if it stays close to fp32. No torch.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .cache import MODEL_FILE, TOKENIZER_FILE, read_manifest, write_manifest
from .export import PROBE_TEXTS, externalize_weights
from .onnx_runtime import OnnxEmbedder
from .protocol import min_cosine
from .quantize import INT8_RECIPE, quantize_int8
from .support import CannotExport, describe, quiet_tools

_INT8_MIN_COSINE = 0.95  # sentence embeddings, int8 vs fp32


def export_int8(model: str, fp32_folder: Path, tmp: Path) -> None:
    """Dynamic int8 quantization of the fp32 export (weights int8, activations quantized at run time)."""
    fp32_manifest = read_manifest(fp32_folder)
    if fp32_manifest is None:  # pragma: no cover - checked by the caller
        raise CannotExport(f"fp32 ONNX cache for {model!r} is missing")
    started = time.monotonic()
    try:
        with quiet_tools():
            recipe = quantize_int8(
                fp32_folder / MODEL_FILE,
                tmp / MODEL_FILE,
                (fp32_folder / TOKENIZER_FILE).read_text(encoding="utf-8"),
                int(fp32_manifest["max_seq_length"]),
            )
    except Exception as exc:  # noqa: BLE001
        raise CannotExport(f"int8 quantization of {model!r} failed ({describe(exc)})") from exc
    externalize_weights(tmp)
    shutil.copyfile(fp32_folder / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
    manifest = dict(fp32_manifest, precision="int8", quantization=recipe, int8_recipe=INT8_RECIPE)
    manifest["quantize_seconds"] = round(time.monotonic() - started, 2)
    write_manifest(tmp, manifest)
    probes = list(PROBE_TEXTS)
    cosine = min_cosine(
        OnnxEmbedder(model, tmp, manifest).embed(probes),
        OnnxEmbedder(model, fp32_folder, fp32_manifest).embed(probes),
    )
    if cosine < _INT8_MIN_COSINE:
        raise CannotExport(f"int8 model of {model!r} is too far from fp32 (min cosine {cosine:.3f})")
