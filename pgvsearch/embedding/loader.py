"""Loading an embedder: the ONNX cache when it is valid, exporting it first when it is not, and
sentence-transformers when a model cannot run through ONNX.

With a valid cache, neither torch, transformers nor sentence_transformers is imported: the
export modules import them only inside the functions that export, and this module imports the
export modules only when it exports (a query's cold start does not pay for them).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .cache import export_lock, move_aside, new_temp_folder, publish, remove_leftovers, valid_cache
from .choices import DEFAULT_MODEL, check_backend_name, check_device_name, check_precision_name
from .devices import DeviceUnavailable
from .models import cache_slug, resolve_model_source
from .onnx_runtime import OnnxEmbedder
from .protocol import Embedder
from .support import CannotExport, describe, raise_if_interrupted
from .torch_backend import TorchEmbedder, load_sentence_transformer

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    from sentence_transformers import SentenceTransformer


def ensure_onnx(
    model: str, cache_dir: Path, precision: str, st_model: SentenceTransformer | None = None
) -> tuple[Path, dict[str, Any]]:
    """Return a valid cache folder and its manifest, exporting it first if needed."""
    slug = cache_slug(model, precision)
    folder = cache_dir / slug
    manifest = valid_cache(folder, model, precision)
    if manifest is not None:
        return folder, manifest
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotExport(f"cannot create the model cache {cache_dir} ({describe(exc)})", st_model) from exc
    with export_lock(cache_dir, slug):
        manifest = valid_cache(folder, model, precision)  # another process may have just finished
        if manifest is not None:
            return folder, manifest
        remove_leftovers(cache_dir, slug)  # we hold the lock
        st_model = _export(model, cache_dir, precision, folder, st_model)
    manifest = valid_cache(folder, model, precision)
    if manifest is None:
        raise CannotExport(f"ONNX cache {folder} is not valid right after export", st_model)
    return folder, manifest


def _export(
    model: str, cache_dir: Path, precision: str, folder: Path, st_model: SentenceTransformer | None
) -> SentenceTransformer | None:
    """Export ``folder`` (holding its lock); returns the sentence-transformers model if one was loaded."""
    from .export import export_fp32  # here, not at the top: loading a valid cache never needs them
    from .int8 import export_int8

    if precision == "int8":
        fp32_folder, _ = ensure_onnx(model, cache_dir, "fp32", st_model)
    try:
        tmp = new_temp_folder(cache_dir, folder.name)
    except OSError as exc:
        raise CannotExport(f"cannot write to the model cache {cache_dir} ({describe(exc)})", st_model) from exc
    try:
        if precision == "int8":
            export_int8(model, fp32_folder, tmp)
        else:
            if st_model is None:
                st_model = load_sentence_transformer(model, resolve_model_source(model))
            export_fp32(model, resolve_model_source(model), st_model, tmp)
        publish(tmp, folder, model, precision)
    except CannotExport as exc:
        exc.st_model = exc.st_model or st_model
        raise
    except OSError as exc:
        raise CannotExport(f"cannot write the ONNX cache in {cache_dir} ({describe(exc)})", st_model) from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return st_model


def export_onnx(model: str, cache_dir: Path, precision: str = "fp32") -> Path:
    """Export ``model`` to ONNX under ``cache_dir`` (no-op if a valid cache exists); return the folder.

    Raises ConfigError if the model cannot be loaded or exported (for example a model with a
    Dense layer, which only the torch backend supports).
    """
    check_precision_name(precision)
    folder, _ = ensure_onnx(model, Path(cache_dir), precision)
    return folder


def _load_onnx(model: str, cache_dir: Path, precision: str, quick_start: bool, device: str) -> OnnxEmbedder:
    """The ONNX embedder from the cache; an unreadable cache is moved aside and exported once more."""
    for attempt in range(2):
        folder, manifest = ensure_onnx(model, cache_dir, precision)
        try:
            return OnnxEmbedder(model, folder, manifest, quick_start=quick_start, device=device)
        except DeviceUnavailable:
            raise  # the device, not the cache: exporting again would not help
        except ImportError as exc:
            raise_if_interrupted(exc)
            raise CannotExport(f"onnxruntime/tokenizers not available ({describe(exc)})") from exc
        except Exception as exc:  # noqa: BLE001 - unreadable cache: move it aside, export again
            raise_if_interrupted(exc)
            if attempt == 1:
                raise CannotExport(f"cannot load the ONNX cache {folder} ({describe(exc)})") from exc
            move_aside(folder)
    raise AssertionError("unreachable")  # pragma: no cover


def _fall_back(
    model: str, backend: str, precision: str, exc: CannotExport, notice: Callable[[str], None] | None, device: str = "cpu"
) -> TorchEmbedder:
    """What ``backend``/``precision`` allow when ONNX is impossible: sentence-transformers, or ConfigError."""
    if backend == "onnx" or precision == "int8":
        # int8 exists only as an ONNX model: falling back would silently give fp32 vectors.
        raise ConfigError(f"{exc}" + ("; use --precision fp32" if precision == "int8" else "")) from exc
    if device == "cuda":
        # --device chooses onnxruntime's execution provider; sentence-transformers would pick its own.
        raise ConfigError(f"{exc}; --device cuda needs the ONNX backend") from exc
    if notice is not None:
        reason = " ".join(str(exc).split())
        notice(f"ONNX backend unavailable for {model!r} ({reason}); using sentence-transformers (slower start)")
    st_model = exc.st_model if exc.st_model is not None else load_sentence_transformer(model, resolve_model_source(model))
    return TorchEmbedder(model, st_model)


def load_embedder(
    model: str = DEFAULT_MODEL,
    *,
    cache_dir: Path,
    backend: str = "auto",
    precision: str = "fp32",
    notice: Callable[[str], None] | None = None,
    quick_start: bool = False,
    device: str = "cpu",
) -> Embedder:
    """Load an embedder for ``model``.

    backend="onnx" uses the ONNX cache (exporting it first if missing or stale) and raises
    ConfigError if that is impossible; "torch" uses sentence-transformers; "auto" tries ONNX and
    otherwise falls back to sentence-transformers (fp32 only: for int8 it raises ConfigError),
    telling ``notice`` why in one line. With a
    valid cache, neither torch, transformers nor sentence_transformers is imported.
    quick_start=True starts the ONNX session ~45 ms sooner at a small cost in batch throughput:
    for processes that embed a query or two.
    device="cpu" runs the ONNX model on the CPU, "cuda" on CUDA (onnxruntime-gpu; DeviceUnavailable,
    exit 4, when it cannot), "auto" on CUDA when onnxruntime offers it, else the CPU.
    """
    check_backend_name(backend)
    check_precision_name(precision)
    check_device_name(device)
    cache_dir = Path(cache_dir)
    source = resolve_model_source(model)

    if backend == "torch":
        if precision != "fp32":
            raise ConfigError("precision 'int8' needs the ONNX backend; use backend 'onnx' or 'auto'")
        return TorchEmbedder(model, load_sentence_transformer(model, source))
    try:
        return _load_onnx(model, cache_dir, precision, quick_start, device)
    except CannotExport as exc:
        return _fall_back(model, backend, precision, exc, notice, device)
