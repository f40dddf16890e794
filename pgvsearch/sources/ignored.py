"""What a folder walk leaves out, accounted for: nothing is ignored in silence.

Every regular file under a folder given is either read, or counted here with the reason it was
not: a type pgvsearch does not read (``.log``, no extension, ... — listed by path, except
known binary types such as images, counted only), a file not matching ``--include`` or matching
``--exclude`` (the user's choice, counted), or a hidden file or folder (dot-names and tool
folders like ``.git``, counted as one entry each, never their contents). A file of a type read
with ``--text`` is not ignored. Files of a type pgvsearch reads that cannot be read are skips
(:class:`~pgvsearch.sources.document.Skipped`), not counted here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Types whose files are counted but not listed one by one (nobody means to index them).
KNOWN_BINARY_SUFFIXES: frozenset[str] = frozenset(
    ".png .jpg .jpeg .gif .bmp .tif .tiff .webp .ico .icns .heic .psd .avif "
    ".zip .gz .tgz .tar .bz2 .xz .zst .7z .rar .jar .war .whl .egg "
    ".exe .dll .so .dylib .o .a .lib .obj .class .pyc .pyo .pyd .wasm .bin .dat .img .iso .dmg .deb .rpm "
    ".mp3 .mp4 .m4a .wav .flac .ogg .opus .mov .avi .mkv .webm .wmv "
    ".ttf .otf .woff .woff2 .eot "
    ".db .sqlite .sqlite3 .parquet .feather .arrow .npy .npz .pkl .pickle .onnx .pt .pth .safetensors .h5 "
    ".doc .docx .xls .xlsx .ppt .pptx .odt .ods .odp .key .pages .numbers".split()
)
NO_EXTENSION = "(no extension)"


@dataclass
class WalkAccount:
    """Filled by :func:`~pgvsearch.sources.walk.discover` as it walks (pass one to it)."""

    max_bytes: int | None = None
    """Files ignored by type that are also over this size are counted as such (``--max-size``)."""
    listed: list[dict[str, str]] = field(default_factory=list)
    """Ignored files, one by one (path and reason), known binary types left out."""
    by_type: Counter[str] = field(default_factory=Counter)
    """Ignored files per type (suffix, or "(no extension)"), known binary types included."""
    over_max_size: int = 0
    not_selected: int = 0
    """Files left out by --include / --exclude."""
    hidden: int = 0
    """Hidden files and folders (dot-names, tool folders such as .git), one each."""
    text_files: set[Path] = field(default_factory=set)
    """Files to read as plain text whatever their type (matched by ``--text``)."""

    @property
    def ignored(self) -> int:
        return sum(self.by_type.values())

    def ignore_type(self, path: str, suffix: str, size: int | None) -> None:
        kind = suffix or NO_EXTENSION
        self.by_type[kind] += 1
        over = size is not None and self.max_bytes is not None and size > self.max_bytes
        self.over_max_size += over
        if suffix not in KNOWN_BINARY_SUFFIXES:
            reason = f"type {kind} is not read (use --text GLOB to read it as plain text)"
            self.listed.append({"path": path, "reason": reason + (", and it is over --max-size" if over else "")})

    def ignore_file(self, path: str, reason: str) -> None:
        """A file of a readable type whose content is not a document (e.g. JSON without text)."""
        self.by_type[Path(path).suffix.lower() or NO_EXTENSION] += 1
        self.listed.append({"path": path, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {
            "ignored": self.ignored,
            "ignored_by_type": dict(sorted(self.by_type.items())),
            "ignored_over_max_size": self.over_max_size,
            "ignored_inputs": self.listed,
            "not_selected": self.not_selected,
            "hidden": self.hidden,
        }

    def summary(self) -> str | None:
        """e.g. ``4 files ignored (.log ×2, .json ×1, no extension ×1; 1 over --max-size)``."""
        parts = []
        if self.ignored:
            counts = sorted(self.by_type.items(), key=lambda kv: (-kv[1], kv[0] == NO_EXTENSION, kv[0]))
            notes = [", ".join(f"{kind.strip('()')} ×{n}" for kind, n in counts)]
            if self.over_max_size:
                notes.append(f"{self.over_max_size} over --max-size")
            if self.listed:
                notes.append("the JSON report lists them")
            parts.append(f"{self.ignored} file{'s' if self.ignored != 1 else ''} ignored ({'; '.join(notes)})")
        if self.not_selected:
            parts.append(f"{self.not_selected} not selected by --include/--exclude")
        if self.hidden:
            parts.append(f"{self.hidden} hidden file{'s' if self.hidden != 1 else ''} or folder{'s' if self.hidden != 1 else ''} left out")
        return "; ".join(parts) or None
