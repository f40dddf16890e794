"""The on-disk model cache: one folder per model and precision under ``cache_dir``::

    <cache_dir>/<slug>/model.onnx      transformer returning token embeddings (last_hidden_state)
    <cache_dir>/<slug>/model.onnx.data its weights (ONNX external data: read without protobuf parsing)
    <cache_dir>/<slug>/tokenizer.json  the model's fast tokenizer (HF ``tokenizers`` format)
    <cache_dir>/<slug>/manifest.json   model, dimension, max_seq_length, pooling, fingerprint, ...

A folder is written under a temporary name and renamed into place, so readers never see a
half-written cache; an advisory lock per folder keeps concurrent processes from exporting the
same model twice. Nothing here loads a model runtime.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .models import canonical_model, resolve_model_source, source_fingerprint
from .quantize import INT8_RECIPE  # stdlib + numpy only at import

# Bump when the cache layout or the exported graph's contract changes: old caches are re-exported.
CACHE_FORMAT_VERSION = 2  # 2: transformer-fused graph, weights in model.onnx.data, int8 recipe

MODEL_FILE = "model.onnx"
WEIGHTS_FILE = "model.onnx.data"  # the graph's weights, outside the protobuf: sessions start ~4x faster
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def valid_cache(folder: Path, model: str, precision: str) -> dict[str, Any] | None:
    """The folder's manifest if it is a complete cache for this model/precision/source, else None."""
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    if (
        manifest.get("format_version") != CACHE_FORMAT_VERSION
        or manifest.get("model") != canonical_model(model)
        or manifest.get("precision") != precision
        or (precision == "int8" and manifest.get("int8_recipe") != INT8_RECIPE)
    ):
        return None
    for name in (MODEL_FILE, TOKENIZER_FILE, WEIGHTS_FILE):
        try:
            if (folder / name).stat().st_size == 0:
                return None
        except OSError:
            return None
    current = source_fingerprint(resolve_model_source(model))
    # A hub model that is no longer in the local HF cache cannot be re-checked: trust the export.
    if current is not None and manifest.get("fingerprint") != current:
        return None
    return manifest


def versions(*names: str) -> dict[str, str]:
    """Installed versions of the named distributions (those installed), for the manifest."""
    from importlib import metadata

    found: dict[str, str] = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


@contextlib.contextmanager
def export_lock(cache_dir: Path, slug: str) -> Iterator[None]:
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


def remove_leftovers(cache_dir: Path, slug: str) -> None:
    """Remove what a crashed export or a cache moved aside left behind; call holding the lock."""
    for pattern in (f".{slug}.tmp-*", f".{slug}.old-*"):
        for stale in cache_dir.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def new_temp_folder(cache_dir: Path, slug: str) -> Path:
    """A fresh folder to export into, published later by :func:`publish`."""
    tmp = cache_dir / f".{slug}.tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()  # unlike mkdtemp, honours the umask so a shared cache stays readable
    return tmp


def move_aside(folder: Path) -> None:
    """Rename an unreadable cache folder out of the way (it is deleted at the next export)."""
    with contextlib.suppress(OSError):
        os.rename(folder, _aside_name(folder))


def _aside_name(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")


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


def publish(tmp: Path, folder: Path, model: str, precision: str) -> None:
    """Rename the finished ``tmp`` folder to ``folder``, replacing a stale one atomically."""
    _fsync_tree(tmp)
    if folder.exists():
        if valid_cache(folder, model, precision) is not None:
            shutil.rmtree(tmp, ignore_errors=True)  # someone else finished first
            return
        old = _aside_name(folder)
        os.rename(folder, old)
        try:
            os.rename(tmp, folder)
        finally:
            shutil.rmtree(old, ignore_errors=True)
        return
    try:
        os.rename(tmp, folder)
    except OSError:
        if valid_cache(folder, model, precision) is None:
            raise
        shutil.rmtree(tmp, ignore_errors=True)
