"""Files -> text: find documents on disk and turn each into a :class:`SourceDocument`.

This is the first stage of an ingest that runs unattended over folders nobody curated, so the
rule here is simple: **one bad file never stops a run**. Every problem with a single file
(unreadable, vanished, binary, encrypted, malformed, too large, empty) is reported as a
:class:`Skipped` value with a short human reason, never raised.

* :func:`discover` walks the paths the user gave and yields ``(file, root)`` pairs.
* :func:`parse_file` turns one file into documents (one per JSONL record, else one).
* :func:`parse_stream` does the same for standard input.
* :func:`decode_text` and :func:`is_binary` are the byte-level helpers behind them.

Only the standard library is imported at module level; ``pypdf``, ``bs4`` and
``charset_normalizer`` are imported lazily by the functions that need them.
"""

from __future__ import annotations

import codecs
import errno
import fnmatch
import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bs4 import Tag

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_SUFFIXES",
    "SKIPPED_DIR_NAMES",
    "SourceDocument",
    "Skipped",
    "decode_text",
    "discover",
    "is_binary",
    "parse_file",
    "parse_stream",
]


# --------------------------------------------------------------------------------------------
# Public data types and constants
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceDocument:
    """One document ready for chunking.

    ``doc_id`` is stable across runs: a file's path relative to the root folder the user gave
    (POSIX separators), a JSONL record's ``_id``/``id``, or ``"-"`` (or the given name) for
    stdin. ``metadata`` is always JSON-serialisable.
    """

    doc_id: str
    source: str
    title: str
    text: str
    format: str
    metadata: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A file (or JSONL line, ``"path:LINE"``) that was not ingested, and why."""

    path: str
    reason: str


SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".text", ".md", ".markdown", ".rst", ".html", ".htm", ".pdf", ".jsonl", ".ndjson"}
)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

#: Folders never descended into unless ``include_hidden`` (dot-names are skipped anyway).
SKIPPED_DIR_NAMES: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "CVS",
        "__pycache__",
        "node_modules",
        ".venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".idea",
        ".vscode",
    }
)

_SUFFIX_FORMAT: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_FORMATS = frozenset(_SUFFIX_FORMAT.values())

_SNIFF_BYTES = 8192
_TITLE_MAX_CHARS = 300
_TXT_TITLE_MAX_CHARS = 120
_MAX_REPORTED_BAD_LINES = 50  # per JSONL file; further bad lines are summarised once
_JSONL_TEXT_FIELDS = ("text", "contents", "body")


class _Skip(Exception):
    """Internal: abort parsing one input with a human reason (becomes a :class:`Skipped`)."""


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

_SURROGATES_RE = re.compile("[\ud800-\udfff]")


def _display(s: str) -> str:
    """A str that can always be encoded as UTF-8 (file names may carry undecodable bytes)."""
    if not _SURROGATES_RE.search(s):
        return s
    try:
        return os.fsencode(s).decode("utf-8", "replace")
    except (UnicodeError, ValueError):
        return _SURROGATES_RE.sub("\ufffd", s)


def _scrub(s: str) -> str:
    """Remove NUL characters and lone surrogates (PostgreSQL and UTF-8 reject both)."""
    if "\x00" in s:
        s = s.replace("\x00", "")
    if _SURROGATES_RE.search(s):
        s = _SURROGATES_RE.sub("\ufffd", s)
    return s


def _scrub_json(value: Any) -> Any:
    """Recursively scrub strings inside a JSON value (keys included); non-finite numbers
    (``1e400`` parses as infinity) become null, as PostgreSQL's jsonb rejects them."""
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {_scrub(str(k)): _scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    return value


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024.0
        if value < 1024.0 or unit == "TB":
            break
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def _size_reason(size: int, max_bytes: int) -> str:
    a, b = _human_size(size), _human_size(max_bytes)
    if a == b:  # e.g. one byte over: show exact figures rather than "10 MB > 10 MB"
        a, b = f"{size} bytes", f"{max_bytes} bytes"
    return f"larger than max size ({a} > {b})"


def _short(exc: BaseException, limit: int = 160) -> str:
    msg = " ".join(str(exc).split()) or type(exc).__name__
    if len(msg) > limit:
        msg = msg[: limit - 3] + "..."
    return msg


def _oserror_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file vanished during the run"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.strerror:
        return f"cannot read: {exc.strerror.lower()}"
    return f"cannot read: {_short(exc)}"


def _normalize_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_MANY_BLANK_LINES_RE = re.compile(r"\n{3,}")


def _clean_text(text: str) -> str:
    """Strip trailing whitespace per line, collapse runs of blank lines, trim the ends."""
    text = _normalize_newlines(text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _MANY_BLANK_LINES_RE.sub("\n\n", text)
    return text.strip("\n")


def _finish_text(text: str, warnings: list[str]) -> str:
    """Final scrub applied to every document's text: NULs, surrogates, newlines, whitespace."""
    nuls = text.count("\x00")
    if nuls:
        text = text.replace("\x00", "")
        warnings.append(f"removed {nuls} NUL byte{'s' if nuls != 1 else ''}")
    if _SURROGATES_RE.search(text):
        text = _SURROGATES_RE.sub("\ufffd", text)
        warnings.append("replaced invalid surrogate characters")
    if text.startswith("\ufeff"):
        text = text[1:]
    return _clean_text(text)


def _clean_title(title: str) -> str:
    title = " ".join(_scrub(title).split())
    if len(title) > _TITLE_MAX_CHARS:
        title = title[: _TITLE_MAX_CHARS - 1].rstrip() + "\u2026"
    return title


# --------------------------------------------------------------------------------------------
# Binary sniffing and decoding
# --------------------------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\x00\x00\x01\x00", "icon image"),
    (b"\x7fELF", "ELF executable"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java class"),
    (b"\xfe\xed\xfa\xce", "Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\x00asm", "WebAssembly"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"PK\x07\x08", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"\x1a\x45\xdf\xa3", "Matroska/WebM video"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"\x93NUMPY", "NumPy array"),
)

# Control bytes that never occur in text (tab, LF, VT, FF, CR and ESC are allowed).
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 27), *range(28, 32), 127])
_HIGH_BYTES = bytes(range(128, 256))
_IDENTITY_TABLE = bytes.maketrans(b"", b"")


def _magic_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(b"MZ") and b"\x00" in data[2:64]:
        return "Windows executable"
    if data.startswith(b"RIFF") and data[8:12] in (b"WAVE", b"AVI ", b"WEBP"):
        return "RIFF media"
    if data[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    if data.startswith(b"ID3") and len(data) > 4 and data[3] in (2, 3, 4) and data[4] == 0:
        return "MP3 audio"
    if len(data) >= 10 and data.startswith(b"BZh") and data[3:4].isdigit() and data[4:10] == b"1AY&SY":
        return "bzip2 archive"
    return None


def _bom_encoding(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """Recognise BOM-less UTF-16 of mostly-ASCII text by its alternating NUL bytes."""
    n = len(sample) - (len(sample) % 2)
    if n < 4:
        return None
    even, odd = sample[0:n:2], sample[1:n:2]
    half = n // 2
    even_nul, odd_nul = even.count(0), odd.count(0)
    if odd_nul >= 0.4 * half and even_nul <= 0.02 * half:
        return "utf-16-le"
    if even_nul >= 0.4 * half and odd_nul <= 0.02 * half:
        return "utf-16-be"
    return None


def _binary_kind(data: bytes) -> str | None:
    """What binary thing ``data`` looks like ("PNG image", "binary data"), or None for text."""
    sample = data[:_SNIFF_BYTES]
    if not sample:
        return None
    if _bom_encoding(sample) in ("utf-16", "utf-32"):
        return None
    kind = _magic_kind(sample)
    if kind:
        return kind
    if _utf16_without_bom(sample):
        return None
    controls = len(sample) - len(sample.translate(_IDENTITY_TABLE, _CONTROL_BYTES))
    ratio = controls / len(sample)
    # Over 10% control bytes is not text; on tiny inputs a couple of stray NULs already make
    # 10%, so be more lenient there (binaries without a known magic number are rarely tiny).
    if ratio > (0.10 if len(sample) >= 512 else 0.30):
        return "binary data"
    if ratio > (0.03 if len(sample) >= 1024 else 0.05):
        # Legacy 8-bit text has no control bytes either, so a smaller share is enough when
        # the bytes are not even valid UTF-8 (and, for small inputs, mostly non-ASCII).
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        except UnicodeDecodeError:
            high = len(sample) - len(sample.translate(_IDENTITY_TABLE, _HIGH_BYTES))
            if len(sample) >= 1024 or high / len(sample) > 0.30:
                return "binary data"
    return None


def is_binary(data: bytes) -> bool:
    """Heuristic on the first 8 KiB: known binary magic numbers or many control bytes.

    Text with a few stray NUL bytes is *not* binary (it is ingested with the NULs removed);
    UTF-16/32 with a BOM, and BOM-less UTF-16 of mostly-ASCII text, are text.
    """
    return _binary_kind(data) is not None


_WORD_SYMBOL_RE = re.compile(r"(?<=[^\W\d_])[\u00a1-\u00bf\u00d7\u00f7](?=[^\W\d_])")


def _plausible_western(text: str) -> bool:
    """Does a cp1252 decoding look like Western European text rather than mojibake?

    In real French/German/Spanish/... text accented letters are a small share of all letters;
    a Cyrillic or Greek text decoded as cp1252 is mostly accented letters, and a Central
    European one puts symbols such as ``¿ ³ ¹`` between letters.
    """
    text = text[:65536]
    letters = 0
    non_ascii = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            if ord(ch) > 127:
                non_ascii += 1
    if letters == 0:
        return True
    if non_ascii / letters > 0.25:
        return False
    return not _WORD_SYMBOL_RE.search(text)


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - dependency is declared
        return None
    try:
        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - a guesser must never break ingestion
        return None
    if best is None or not best.encoding:
        return None
    try:
        return str(best), best.encoding
    except Exception:  # noqa: BLE001
        return None


def _decode_bytes(data: bytes, warnings: list[str]) -> str:
    """bytes -> str (no NUL/newline handling). Never fails."""
    bom = _bom_encoding(data)
    if bom is not None:
        if bom != "utf-8-sig":
            warnings.append(f"decoded as {bom.upper()}")
        try:
            return data.decode(bom)
        except UnicodeDecodeError:
            warnings.append("replaced invalid byte sequences")
            return data.decode(bom, errors="replace")
    utf16 = _utf16_without_bom(data[:_SNIFF_BYTES])
    if utf16 is not None:  # checked first: ASCII-only UTF-16 is also "valid" UTF-8
        warnings.append(f"decoded as {utf16} (no BOM)")
        return data.decode(utf16, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8. Western European legacy files (cp1252/latin-1) are by far the most common
    # case and charset_normalizer is unreliable on them (short texts come out as cp1250 or
    # cp1006), so try cp1252 first when the result looks plausible.
    try:
        cp1252: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        cp1252 = None
    if cp1252 is not None and _plausible_western(cp1252):
        warnings.append("not valid UTF-8; decoded as cp1252 (Windows Latin-1)")
        return cp1252
    guess = _charset_normalizer_guess(data)
    if guess is not None:
        text, encoding = guess
        warnings.append(f"not valid UTF-8; decoded as {encoding}")
        return text
    if cp1252 is not None:
        warnings.append("not valid UTF-8; decoded as cp1252 (Windows Latin-1)")
        return cp1252
    warnings.append("not valid UTF-8; decoded as latin-1")
    return data.decode("latin-1")


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """bytes -> (text, warnings). Never fails.

    UTF-8 (with or without BOM) first, UTF-16/32 when there is a BOM (or the bytes are
    clearly BOM-less UTF-16), else cp1252 when that looks like Western text, else
    charset_normalizer's best guess, else latin-1. NUL bytes are removed (with a warning
    giving the count) and ``\\r\\n`` / ``\\r`` become ``\\n``.
    """
    warnings: list[str] = []
    nul_bytes = 0
    if _bom_encoding(data) not in ("utf-16", "utf-32") and not _utf16_without_bom(
        data[:_SNIFF_BYTES]
    ):
        nul_bytes = data.count(0)
        if nul_bytes:
            data = data.replace(b"\x00", b"")
    text = _decode_bytes(data, warnings)
    nul_chars = text.count("\x00")
    if nul_chars:
        text = text.replace("\x00", "")
    removed = nul_bytes + nul_chars
    if removed:
        warnings.append(f"removed {removed} NUL byte{'s' if removed != 1 else ''}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return _normalize_newlines(text), warnings


_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)


def _decode_html(data: bytes) -> tuple[str, list[str]]:
    """Like :func:`decode_text` but honours a ``<meta charset>`` when the bytes aren't UTF-8."""
    if _bom_encoding(data) is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            match = _META_CHARSET_RE.search(data[:4096])
            if match:
                name = match.group(1).decode("ascii", "replace").lower()
                # WHATWG: labels for latin-1/ascii mean windows-1252.
                if name in ("iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
                    name = "cp1252"
                try:
                    codec = codecs.lookup(name)
                except LookupError:
                    codec = None
                if codec is not None and codec.name not in ("utf-8", "utf-16", "utf-32"):
                    warnings: list[str] = []
                    nuls = data.count(0)
                    text = data.replace(b"\x00", b"").decode(codec.name, errors="replace")
                    warnings.append(f"decoded as {codec.name} (from <meta charset>)")
                    if nuls:
                        warnings.append(f"removed {nuls} NUL byte{'s' if nuls != 1 else ''}")
                    return _normalize_newlines(text), warnings
    return decode_text(data)


# --------------------------------------------------------------------------------------------
# discover()
# --------------------------------------------------------------------------------------------


def _pattern_variants(pattern: str) -> tuple[str, ...]:
    p = pattern.replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/")
    if p.endswith("/"):
        p += "**"
    variants = [p]
    if p.startswith("**/"):
        variants.append(p[3:])
    if "/**/" in p:
        variants.append(p.replace("/**/", "/"))
    return tuple(dict.fromkeys(v for v in variants if v))


def _compile_patterns(patterns: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(_pattern_variants(p) for p in patterns if p and p.strip())


def _matches(rel: str, name: str, patterns: tuple[tuple[str, ...], ...]) -> bool:
    for variants in patterns:
        for v in variants:
            if fnmatch.fnmatchcase(rel, v) or fnmatch.fnmatchcase(name, v):
                return True
    return False


def _dir_excluded(rel: str, name: str, exclude: tuple[tuple[str, ...], ...]) -> bool:
    return bool(exclude) and (_matches(rel, name, exclude) or _matches(rel + "/", name, exclude))


def _file_selected(
    rel: str,
    name: str,
    include: tuple[tuple[str, ...], ...],
    exclude: tuple[tuple[str, ...], ...],
) -> bool:
    if include and not _matches(rel, name, include):
        return False
    return not (exclude and _matches(rel, name, exclude))


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _hidden_or_tool_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIR_NAMES


def discover(
    paths: Sequence[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    include_hidden: bool = False,
    follow_symlinks: bool = False,
) -> Iterator[tuple[Path, Path] | Skipped]:
    """Yield ``(file_path, root)`` for every supported file under ``paths`` (or a Skipped).

    * A folder is walked recursively in sorted (deterministic) order; ``root`` is that
      folder as given, so ``file_path.relative_to(root)`` is the document id.
    * A file given directly is yielded with its parent as root; with an unsupported suffix
      it is yielded as ``Skipped("unsupported type .xyz")`` (inside folders such files are
      skipped silently). Directly named files are taken as they are: never treated as
      hidden and not filtered by ``include``/``exclude`` (those select inside folders).
    * Dot-names and VCS/tool folders (:data:`SKIPPED_DIR_NAMES`) are skipped unless
      ``include_hidden``.
    * ``include`` / ``exclude`` are fnmatch globs tried against the POSIX path relative to
      the root *and* against the base name (``*`` also matches ``/``; ``**/x`` also matches
      ``x`` at the top; ``dir/`` means everything under ``dir``). ``exclude`` also prunes
      whole folders. A file must match some ``include`` pattern when any are given.
    * Symlinked folders are not followed unless ``follow_symlinks``; when they are, each
      real folder is walked once and a link back to an ancestor is reported as
      ``Skipped(..., "symlink loop")``. Symlinked files are read, except one that points at a file the same walk reaches under its own name (read once, as that).
    * A file reached twice (overlapping arguments, links) is yielded once.
    * A missing path yields ``Skipped(path, "no such file or directory")``; unreadable
      folders yield a Skipped with the reason. Nothing here raises for a bad path.
    * ``"-"`` (stdin) is the caller's business and is ignored here.
    """
    inc = _compile_patterns(include)
    exc = _compile_patterns(exclude)
    seen_files: set[str] = set()
    visited_dirs: set[tuple[int, int]] = set()

    def first_time(p: Path) -> bool:
        try:
            key = os.path.realpath(p)
        except (OSError, ValueError):
            key = os.path.abspath(p)
        if key in seen_files:
            return False
        seen_files.add(key)
        return True

    for given in paths:
        if given == "-":
            continue
        top = Path(given)
        try:
            st = os.stat(top)
        except FileNotFoundError:
            if os.path.islink(top):
                yield Skipped(_display(given), "broken symlink")
            else:
                yield Skipped(_display(given), "no such file or directory")
            continue
        except OSError as e:
            yield Skipped(_display(given), _oserror_reason(e))
            continue
        except ValueError as e:  # e.g. embedded NUL in the argument
            yield Skipped(_display(given), f"invalid path: {_short(e)}")
            continue

        if stat.S_ISDIR(st.st_mode):
            yield from _walk(top, st, inc, exc, include_hidden, follow_symlinks, visited_dirs, first_time)
            continue

        root = top.parent
        suffix = _suffix(top.name)
        if suffix not in SUPPORTED_SUFFIXES:
            yield Skipped(_display(given), f"unsupported type {suffix or '(no extension)'}")
            continue
        if not stat.S_ISREG(st.st_mode):
            yield Skipped(_display(given), "not a regular file")
            continue
        if first_time(top):
            yield (top, root)


def _walk(
    root: Path,
    root_stat: os.stat_result,
    inc: tuple[tuple[str, ...], ...],
    exc: tuple[tuple[str, ...], ...],
    include_hidden: bool,
    follow_symlinks: bool,
    visited_dirs: set[tuple[int, int]],
    first_time: Callable[[Path], bool],
) -> Iterator[tuple[Path, Path] | Skipped]:
    root_key = (root_stat.st_dev, root_stat.st_ino)
    if root_key in visited_dirs:
        return
    visited_dirs.add(root_key)

    # Iterative depth-first walk (no recursion limit on deep trees). Each frame holds the
    # folder's path, its path relative to root, the sorted entries still to visit, and the
    # (dev, inode) keys of the folder and its ancestors (for loop detection).
    stack: list[tuple[Path, str, Iterator[os.DirEntry[str]], frozenset[tuple[int, int]]]] = []

    def open_dir(
        d: Path, rel: str, ancestors: frozenset[tuple[int, int]]
    ) -> Skipped | None:
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            if isinstance(e, FileNotFoundError):
                reason = "folder vanished during the run"
            elif isinstance(e, PermissionError):
                reason = "permission denied"
            else:
                reason = f"cannot list folder: {_short(e)}"
            return Skipped(_display(str(d)), reason)
        stack.append((d, rel, iter(entries), ancestors))
        return None

    real_root = os.path.realpath(root)
    problem = open_dir(root, "", frozenset({root_key}))
    if problem is not None:
        yield problem
        return

    while stack:
        d, rel_dir, entries, ancestors = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        name = entry.name
        rel = f"{rel_dir}/{name}" if rel_dir else name
        path = d / name
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=True)
            is_file = entry.is_file(follow_symlinks=True)
        except OSError as e:
            if _suffix(name) in SUPPORTED_SUFFIXES:
                yield Skipped(_display(str(path)), _oserror_reason(e))
            continue

        if is_dir:
            if not include_hidden and _hidden_or_tool_dir(name):
                continue
            if _dir_excluded(rel, name, exc):
                continue
            if is_link and not follow_symlinks:
                continue
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError as e:
                yield Skipped(_display(str(path)), _oserror_reason(e))
                continue
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                yield Skipped(_display(str(path)), "symlink loop")
                continue
            if key in visited_dirs:  # the same folder reached another way: walk it once
                continue
            visited_dirs.add(key)
            problem = open_dir(path, rel, ancestors | {key})
            if problem is not None:
                yield problem
            continue

        if not include_hidden and name.startswith("."):
            continue
        supported = _suffix(name) in SUPPORTED_SUFFIXES
        if not supported:
            continue
        if not _file_selected(rel, name, inc, exc):
            continue
        if not is_file:
            if is_link:
                # Dangling link, or a link loop (a -> b -> a).
                try:
                    os.stat(path)
                    reason = "not a regular file"
                except OSError as e:
                    reason = "symlink loop" if e.errno == errno.ELOOP else "broken symlink"
                yield Skipped(_display(str(path)), reason)
            else:
                yield Skipped(_display(str(path)), "not a regular file")
            continue
        if is_link and _link_target_walked(path, real_root, inc, exc, include_hidden):
            continue  # the same file is read under its own name (one document, one doc_id)
        if first_time(path):
            yield (path, root)


def _link_target_walked(
    link: Path, real_root: str, inc: tuple[tuple[str, ...], ...], exc: tuple[tuple[str, ...], ...], include_hidden: bool
) -> bool:
    """Whether a symlinked file points at a file this walk reaches under its own name."""
    try:
        target = os.path.realpath(link)
    except (OSError, ValueError):
        return False
    if not target.startswith(real_root.rstrip(os.sep) + os.sep):
        return False
    rel = Path(os.path.relpath(target, real_root))
    if not include_hidden and any(part.startswith(".") or _hidden_or_tool_dir(part) for part in rel.parts):
        return False
    if any(_dir_excluded(Path(*rel.parts[: i + 1]).as_posix(), rel.parts[i], exc) for i in range(len(rel.parts) - 1)):
        return False
    return _file_selected(rel.as_posix(), rel.name, inc, exc)


# --------------------------------------------------------------------------------------------
# Per-format parsers: bytes -> (title, text, extra metadata, warnings)
# --------------------------------------------------------------------------------------------


class _Parsed:
    """What a format parser extracted (a plain class: cheaper to define than a dataclass)."""

    __slots__ = ("title", "text", "metadata", "warnings")

    def __init__(
        self, title: str | None, text: str, metadata: dict[str, Any], warnings: list[str]
    ) -> None:
        self.title = title
        self.text = text
        self.metadata = metadata
        self.warnings = warnings


def _check_not_binary(data: bytes) -> None:
    kind = _binary_kind(data)
    if kind is not None:
        raise _Skip("binary file" if kind == "binary data" else f"binary file (looks like {kind})")


def _first_line_title(text: str) -> str | None:
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line if len(line) <= _TXT_TITLE_MAX_CHARS else None
    return None


def _parse_txt(data: bytes) -> _Parsed:
    _check_not_binary(data)
    text, warnings = decode_text(data)
    text = _finish_text(text, warnings)
    return _Parsed(_first_line_title(text), text, {}, warnings)


# --- Markdown ---

_FM_KEY_RE = re.compile(r"^([A-Za-z_][\w.\-]*)\s*:\s*(.*?)\s*$")
_FM_TOML_KEY_RE = re.compile(r"^([A-Za-z_][\w.\-]*)\s*=\s*(.*?)\s*$")
_ATX_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1_RE = re.compile(r"^ {0,3}=+[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS_RE = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split YAML (``---``) or TOML (``+++``) front matter; simple pairs only, else none."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() not in ("---", "+++"):
        return {}, text
    fence = lines[0].rstrip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    key_re = _FM_KEY_RE if fence == "---" else _FM_TOML_KEY_RE
    pairs: dict[str, str] = {}
    for i in range(1, min(len(lines), 1000)):
        line = lines[i]
        if line.rstrip() in closers:
            if not pairs:
                return {}, text
            return pairs, "\n".join(lines[i + 1 :])
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" or line.lstrip().startswith("- "):
            continue  # nested value / list item: accepted, not kept
        m = key_re.match(line)
        if not m:
            return {}, text  # not front matter after all (e.g. a thematic break)
        key, value = m.group(1), m.group(2)
        if value and value[0] not in "|>&*" and value not in ("[", "{"):
            pairs.setdefault(key, _unquote(value))
    return {}, text


def _md_inline_to_text(s: str) -> str:
    s = _MD_LINK_RE.sub(r"\1", s)
    for _ in range(3):
        new = _MD_EMPHASIS_RE.sub(r"\2", s)
        if new == s:
            break
        s = new
    return s


def _markdown_title(text: str) -> str | None:
    lines = text.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE_RE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        m = _ATX_H1_RE.match(line)
        if m:
            return _md_inline_to_text(m.group(1).strip())
        if (
            line.strip()
            and not line.startswith(("    ", "\t"))
            and i + 1 < len(lines)
            and _SETEXT_H1_RE.match(lines[i + 1])
        ):
            return _md_inline_to_text(line.strip())
    return None


def _parse_md(data: bytes) -> _Parsed:
    _check_not_binary(data)
    text, warnings = decode_text(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    front, body = _split_front_matter(text)
    body = _finish_text(body, warnings)
    title = _unquote(front.pop("title", "").strip()) or _markdown_title(body)
    return _Parsed(title, body, dict(front), warnings)


# --- reStructuredText ---

_RST_ADORNMENT_RE = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}[ \t]*$")


def _rst_title(text: str) -> str | None:
    lines = text.split("\n")
    n = len(lines)
    for i, line in enumerate(lines):
        over = _RST_ADORNMENT_RE.match(line)
        if over and i + 2 < n:
            title, under = lines[i + 1], lines[i + 2]
            m = _RST_ADORNMENT_RE.match(under)
            if title.strip() and not _RST_ADORNMENT_RE.match(title) and m and m.group(1) == over.group(1):
                return title.strip()
        if (
            line.strip()
            and not over
            and line[0] not in " \t"
            and not line.startswith("..")
            and (i == 0 or not lines[i - 1].strip())
            and i + 1 < n
        ):
            under_m = _RST_ADORNMENT_RE.match(lines[i + 1])
            if under_m and len(lines[i + 1].rstrip()) >= len(line.rstrip()):
                return line.strip()
    return None


def _parse_rst(data: bytes) -> _Parsed:
    _check_not_binary(data)
    text, warnings = decode_text(data)
    text = _finish_text(text, warnings)
    return _Parsed(_rst_title(text), text, {}, warnings)


# --- HTML ---

# Never visible, or page chrome rather than content.
_HTML_ALWAYS_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "iframe", "head", "title", "meta",
        "link", "object", "embed", "canvas", "audio", "video", "map", "select", "option",
        "datalist", "textarea", "button", "input",
    }
)
_HTML_CHROME = frozenset({"nav", "header", "footer", "aside", "form", "dialog", "menu"})
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_HTML_BLOCKS = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dir",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "hgroup", "hr", "html", "legend",
        "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "ul",
    }
)
# A table row containing any of these is layout, not data: render its cells as blocks.
_HTML_ROW_LAYOUT_MARKERS = sorted((_HTML_BLOCKS - {"td", "th", "tr"}) | set(_HTML_HEADINGS))
_HTML_CONTENT_MARKERS = ["p", "article", "main", "h1", "h2", "h3", "table", "ul", "ol", "pre"]
_HTML_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACES_RE = re.compile(r"\s+")


def _collapse(s: str) -> str:
    return _SPACES_RE.sub(" ", s).strip()


class _HtmlRenderer:
    """Renders a BeautifulSoup tree as text blocks, keeping headings as ``#`` lines."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict  # drop page chrome (nav/header/footer/...) too
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""
        self.ol_counts: dict[int, int] = {}

    # -- visibility --

    def _skip(self, tag: Tag, in_article: bool) -> bool:
        name = tag.name
        if name in _HTML_ALWAYS_DROP:
            return True
        if not self.strict:
            return False
        if tag.has_attr("hidden"):
            return True
        style = tag.get("style")
        if isinstance(style, str) and _HTML_HIDDEN_STYLE_RE.search(style):
            return True
        if name in _HTML_CHROME:
            if name == "header" and in_article:
                return False  # an article's own header carries its heading
            if name == "form" and tag.find(_HTML_CONTENT_MARKERS) is not None:
                return False  # whole-page forms (ASP.NET WebForms) wrap the real content
            return True
        return False

    def inline_text(self, node: Tag, keep_newlines: bool = False) -> str:
        from bs4.element import NavigableString, PreformattedString, Tag

        parts: list[str] = []
        stack: list[Any] = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, PreformattedString):
                continue
            if isinstance(cur, NavigableString):
                parts.append(str(cur))
                continue
            if isinstance(cur, str):  # separator pushed below
                parts.append(cur)
                continue
            if isinstance(cur, Tag):
                if cur is not node and self._skip(cur, True):
                    continue
                if cur.name == "br":
                    parts.append("\n" if keep_newlines else " ")
                    continue
                # Keep words of adjacent cells/blocks apart ("<td>a</td><td>b</td>").
                separate = cur is not node and not keep_newlines and (
                    cur.name in _HTML_BLOCKS or cur.name in _HTML_HEADINGS
                )
                if separate:
                    parts.append(" ")
                    stack.append(" ")
                stack.extend(reversed(cur.contents))
        text = "".join(parts)
        return text if keep_newlines else _collapse(text)

    # -- output --

    def flush(self) -> None:
        if not self.buf:
            return
        raw = "".join(self.buf)
        self.buf.clear()
        lines = [_collapse(line) for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(self.prefix + text)
            self.prefix = ""

    def render(self, root: Any) -> str:
        from bs4.element import NavigableString, PreformattedString, Tag

        # Explicit stack of (node, exiting, in_article) instead of recursion: broken pages
        # can nest thousands of levels deep.
        stack: list[tuple[Any, bool, bool]] = [(root, False, False)]
        while stack:
            node, exiting, in_article = stack.pop()
            if isinstance(node, PreformattedString):  # comments, CDATA, doctype, PIs
                continue
            if isinstance(node, NavigableString):
                self.buf.append(_SPACES_RE.sub(" ", str(node)))
                continue
            if not isinstance(node, Tag):
                continue
            name = node.name
            if exiting:
                if name in _HTML_BLOCKS:
                    self.flush()
                    if name == "li":
                        self.prefix = ""
                continue
            if node is not root and self._skip(node, in_article):
                continue
            if name == "br":
                self.buf.append("\n")
                continue
            if name in _HTML_HEADINGS:
                self.flush()
                text = self.inline_text(node)
                if text:
                    self.blocks.append("#" * _HTML_HEADINGS[name] + " " + text)
                continue
            if name == "pre":
                self.flush()
                text = _clean_text(self.inline_text(node, keep_newlines=True))
                if text:
                    self.blocks.append(text)
                continue
            if name == "tr" and node.find(_HTML_ROW_LAYOUT_MARKERS) is None and node.find("tr") is None:
                self.flush()
                cells = [self.inline_text(c) for c in node.find_all(["td", "th"], recursive=False)]
                row = " | ".join(c for c in cells if c)
                if row:
                    self.blocks.append(row)
                continue
            if name in _HTML_BLOCKS:
                self.flush()
                if name == "li":
                    parent = node.parent
                    if parent is not None and parent.name == "ol":
                        index = self.ol_counts.get(id(parent), 0) + 1
                        self.ol_counts[id(parent)] = index
                        self.prefix = f"{index}. "
                    else:
                        self.prefix = "- "
            child_in_article = in_article or name in ("article", "main")
            stack.append((node, True, in_article))
            for child in reversed(node.contents):
                stack.append((child, False, child_in_article))
        self.flush()
        return "\n\n".join(self.blocks)


def _make_soup(text: str) -> Any:
    """BeautifulSoup tree: lxml when installed (faster, HTML-aware recovery), else html.parser."""
    import warnings as _warnings

    from bs4 import BeautifulSoup

    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")  # MarkupResemblesLocator / XMLParsedAsHTML noise
        try:
            return BeautifulSoup(text, "lxml")
        except Exception:  # noqa: BLE001 - lxml missing (FeatureNotFound) or choked: fall back
            return BeautifulSoup(text, "html.parser")


def _parse_html(data: bytes) -> _Parsed:
    _check_not_binary(data)
    text, warnings = _decode_html(data)
    soup = _make_soup(text)

    title: str | None = None
    if soup.title is not None:
        title = _collapse(soup.title.get_text(" ")) or None
    if title is None:
        h1 = soup.find("h1")
        if h1 is not None:
            title = _collapse(h1.get_text(" ")) or None

    root = soup.body if soup.body is not None else soup
    body = _HtmlRenderer(strict=True).render(root)
    if not body.strip():
        # Everything was page chrome (or hidden): better some text than none.
        body = _HtmlRenderer(strict=False).render(root)
        if body.strip():
            warnings.append("no main content found; kept navigation/header/footer text")
    metadata: dict[str, Any] = {}
    html_tag = soup.find("html")
    if html_tag is not None:
        lang = html_tag.get("lang")
        if isinstance(lang, str) and lang.strip():
            metadata["lang"] = lang.strip()
    body = _finish_text(body, warnings)
    if not body:
        raise _Skip("empty file (no visible text)")
    return _Parsed(title, body, metadata, warnings)


# --- PDF ---

_pypdf_quieted = False


def _quiet_pypdf() -> None:
    global _pypdf_quieted
    if not _pypdf_quieted:
        import logging

        logging.getLogger("pypdf").setLevel(logging.CRITICAL)
        _pypdf_quieted = True


def _parse_pdf(data: bytes) -> _Parsed:
    import warnings as _warnings

    _quiet_pypdf()
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    warnings: list[str] = []
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
        except Exception as e:  # noqa: BLE001 - any pypdf failure means a broken file
            raise _Skip(f"broken PDF: {_short(e)}") from e
        try:
            encrypted = reader.is_encrypted
        except Exception as e:  # noqa: BLE001
            raise _Skip(f"broken PDF: {_short(e)}") from e
        if encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError as e:
                raise _Skip(f"encrypted PDF (cannot decrypt: {_short(e)})") from e
            except Exception as e:  # noqa: BLE001
                raise _Skip(f"encrypted PDF ({_short(e)})") from e
            if not ok:  # PasswordType.NOT_DECRYPTED == 0
                raise _Skip("encrypted PDF")
        try:
            pages = list(reader.pages)
        except Exception as e:  # noqa: BLE001
            raise _Skip(f"broken PDF: {_short(e)}") from e

        texts: list[str] = []
        failed: list[int] = []
        first_error: Exception | None = None
        for number, page in enumerate(pages, start=1):
            try:
                page_text = page.extract_text() or ""
            except Exception as e:  # noqa: BLE001
                failed.append(number)
                first_error = first_error or e
                continue
            page_text = _clean_text(_normalize_newlines(page_text))
            if page_text.strip():
                texts.append(page_text)
        if pages and len(failed) == len(pages) and first_error is not None:
            raise _Skip(f"broken PDF: {_short(first_error)}")
        if failed:
            shown = ", ".join(str(n) for n in failed[:10]) + (" ..." if len(failed) > 10 else "")
            warnings.append(f"text extraction failed on page(s) {shown}")

        title: str | None = None
        try:
            meta = reader.metadata
            raw_title = meta.title if meta is not None else None
        except Exception:  # noqa: BLE001 - a broken info dictionary is not fatal
            raw_title = None
        if raw_title:
            title = _clean_title(str(raw_title)) or None

    text = _finish_text("\n\n".join(texts), warnings)
    if not text.strip():
        raise _Skip("PDF has no text layer (scanned?)")
    return _Parsed(title, text, {"pages": len(pages)}, warnings)


_PARSERS = {"txt": _parse_txt, "md": _parse_md, "rst": _parse_rst, "html": _parse_html, "pdf": _parse_pdf}


def _parse_bytes(data: bytes, fmt: str) -> _Parsed:
    if not data.strip():
        raise _Skip("empty file")
    parsed = _PARSERS[fmt](data)
    if not parsed.text.strip():
        raise _Skip("empty file")
    return parsed


# --------------------------------------------------------------------------------------------
# JSONL
# --------------------------------------------------------------------------------------------


def _json_constant(_name: str) -> None:
    return None  # NaN / Infinity are not valid JSON for PostgreSQL's jsonb


def _iter_bounded_lines(f: io.TextIOBase, limit: int) -> Iterator[tuple[int, str | None]]:
    """Yield (line number, line) reading at most ``limit`` chars per line; None if longer."""
    lineno = 0
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if len(line) > limit and not line.endswith("\n"):
            while True:  # drain the rest of the over-long line
                more = f.readline(1 << 20)
                if not more or more.endswith("\n"):
                    break
            yield lineno, None
            continue
        yield lineno, line


def _jsonl_encoding(head: bytes) -> str:
    bom = _bom_encoding(head)
    if bom is not None:
        return bom
    return _utf16_without_bom(head[:_SNIFF_BYTES]) or "utf-8-sig"


def _jsonl_record(
    record: Any, lineno: int, *, line_ids_prefix: str, base_meta: dict[str, Any]
) -> SourceDocument | str:
    """One decoded JSONL record -> a document, or the reason it is skipped."""
    if not isinstance(record, dict):
        return f"line {lineno} is not a JSON object"
    warnings: list[str] = []
    raw_id = record.get("_id")
    if raw_id is None or raw_id == "":
        raw_id = record.get("id")
    if isinstance(raw_id, (bool, dict, list)):
        return f"invalid id on line {lineno}"
    doc_id = _scrub(str(raw_id)).strip() if raw_id is not None else ""
    if not doc_id:
        doc_id = f"{line_ids_prefix}#L{lineno}"
        warnings.append("record has no _id/id; using its line number as id")

    text_key = next(
        (k for k in _JSONL_TEXT_FIELDS if isinstance(record.get(k), str) and record[k].strip()),
        None,
    )
    if text_key is None:
        present = [k for k in _JSONL_TEXT_FIELDS if k in record]
        if not present:
            return f"missing text field on line {lineno}"
        if any(isinstance(record[k], str) for k in present):
            return f"empty text on line {lineno}"
        return f"text field is not a string on line {lineno}"
    text = _finish_text(record[text_key], warnings)
    if not text:
        return f"empty text on line {lineno}"

    raw_title = record.get("title")
    title = _clean_title(raw_title if isinstance(raw_title, str) else "" if raw_title is None else str(raw_title))
    metadata: dict[str, Any] = _scrub_json(
        {k: v for k, v in record.items() if k not in ("_id", "id", "title", text_key)}
    )
    metadata.update(base_meta)
    metadata["line"] = lineno
    return SourceDocument(
        doc_id=doc_id,
        source=f"{base_meta['path']}#L{lineno}",
        title=title,
        text=text,
        format="jsonl",
        metadata=metadata,
        warnings=tuple(warnings),
    )


def _jsonl_records(
    f: io.TextIOBase,
    *,
    display: str,
    line_ids_prefix: str,
    base_meta: dict[str, Any],
    max_bytes: int,
) -> Iterator[SourceDocument | Skipped]:
    """Records of a JSONL text stream; a Skipped (``display:LINE``) per bad line."""
    bad_lines = 0
    for lineno, line in _iter_bounded_lines(f, max_bytes):
        result: SourceDocument | str
        if line is None:
            result = f"line {lineno} is larger than max size (over {_human_size(max_bytes)})"
        elif not line.strip():
            continue
        else:
            try:
                record = json.loads(line, parse_constant=_json_constant)
            except json.JSONDecodeError as e:
                result = f"malformed JSON on line {lineno}: {e.msg} (col {e.colno})"
            except (ValueError, RecursionError) as e:
                result = f"malformed JSON on line {lineno}: {_short(e)}"
            else:
                result = _jsonl_record(
                    record, lineno, line_ids_prefix=line_ids_prefix, base_meta=base_meta
                )
        if isinstance(result, SourceDocument):
            yield result
            continue
        bad_lines += 1
        if bad_lines <= _MAX_REPORTED_BAD_LINES:
            yield Skipped(f"{display}:{lineno}", result)
    if bad_lines > _MAX_REPORTED_BAD_LINES:
        extra = bad_lines - _MAX_REPORTED_BAD_LINES
        yield Skipped(display, f"{extra} more bad line{'s' if extra != 1 else ''} not listed individually")


# --------------------------------------------------------------------------------------------
# parse_file()
# --------------------------------------------------------------------------------------------


def _doc_id_for(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root)
    except ValueError:
        try:
            rel = Path(os.path.relpath(path, root))
        except ValueError:
            rel = path
        if rel.parts[:1] == ("..",):
            rel = path
    return rel.as_posix()


def _peek(f: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes from the start of a seekable file, leaving the position at 0."""
    head = f.read(n)
    f.seek(0)
    return head


def _open_regular(path: Path, max_bytes: int | None) -> tuple[BinaryIO, os.stat_result]:
    """Open ``path`` for reading without blocking on FIFOs; reject non-regular/oversize files."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise _Skip("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise _Skip("not a regular file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise _Skip(_size_reason(st.st_size, max_bytes))
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return f, st


def parse_file(
    path: Path, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[SourceDocument | Skipped]:
    """Parse one file into documents. Never raises for a bad file.

    A ``.jsonl``/``.ndjson`` file yields one :class:`SourceDocument` per record (BEIR corpus
    form ``{"_id", "title", "text", ...}``; ``id`` and ``contents``/``body`` accepted too) and
    a :class:`Skipped` (``"path:LINE"``) per bad line while the other records are still
    yielded. JSONL is streamed line by line, so ``max_bytes`` limits each *line* there rather
    than the file. Every other format yields exactly one document or one Skipped. Vanished
    or unreadable files, binary content, oversize files and parser exceptions all become a
    Skipped with a short reason.
    """
    path = Path(path)
    root = Path(root)
    display = _display(str(path))
    suffix = _suffix(path.name)
    fmt = _SUFFIX_FORMAT.get(suffix)
    if fmt is None:
        yield Skipped(display, f"unsupported type {suffix or '(no extension)'}")
        return
    doc_id = _display(_doc_id_for(path, root))
    name_warnings = [] if display == str(path) else ["file name is not valid UTF-8"]

    if fmt == "jsonl":
        yield from _parse_jsonl_file(path, display, doc_id, max_bytes)
        return

    try:
        f, st = _open_regular(path, max_bytes)
        with f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:  # grew after fstat
            raise _Skip(_size_reason(len(data), max_bytes))
        parsed = _parse_bytes(data, fmt)
    except _Skip as e:
        yield Skipped(display, str(e))
        return
    except OSError as e:
        yield Skipped(display, _oserror_reason(e))
        return
    except Exception as e:  # noqa: BLE001 - a parser bug must not stop the run
        yield Skipped(display, f"{fmt} parse error: {type(e).__name__}: {_short(e)}")
        return

    metadata: dict[str, Any] = {k: v for k, v in parsed.metadata.items() if k not in ("path", "size", "mtime")}
    metadata.update({"path": display, "size": st.st_size, "mtime": st.st_mtime})
    yield SourceDocument(
        doc_id=doc_id,
        source=display,
        title=_clean_title(parsed.title or "") or _display(path.stem),
        text=parsed.text,
        format=fmt,
        metadata=metadata,
        warnings=tuple(name_warnings + parsed.warnings),
    )


def _parse_jsonl_file(
    path: Path, display: str, file_doc_id: str, max_bytes: int
) -> Iterator[SourceDocument | Skipped]:
    try:
        f, _st = _open_regular(path, None)
    except _Skip as e:
        yield Skipped(display, str(e))
        return
    except OSError as e:
        yield Skipped(display, _oserror_reason(e))
        return
    except Exception as e:  # noqa: BLE001
        yield Skipped(display, f"cannot open: {type(e).__name__}: {_short(e)}")
        return
    lineno_hint = "the start"
    try:
        with f:
            head = _peek(f, _SNIFF_BYTES)
            if not head.strip():
                yield Skipped(display, "empty file")
                return
            kind = _binary_kind(head)
            if kind is not None:
                yield Skipped(display, "binary file" if kind == "binary data" else f"binary file (looks like {kind})")
                return
            text_f = io.TextIOWrapper(f, encoding=_jsonl_encoding(head), errors="replace", newline=None)
            yielded = False
            for item in _jsonl_records(
                text_f,
                display=display,
                line_ids_prefix=file_doc_id,
                base_meta={"path": display},
                max_bytes=max_bytes,
            ):
                yielded = True
                lineno_hint = item.path if isinstance(item, Skipped) else f"line {item.metadata.get('line')}"
                yield item
            if not yielded:
                yield Skipped(display, "empty file")
    except OSError as e:
        yield Skipped(display, f"{_oserror_reason(e)} (after {lineno_hint})")
    except Exception as e:  # noqa: BLE001
        yield Skipped(display, f"jsonl read error: {type(e).__name__}: {_short(e)} (after {lineno_hint})")


# --------------------------------------------------------------------------------------------
# parse_stream()
# --------------------------------------------------------------------------------------------


class _PrefixedRaw(io.RawIOBase):
    """A raw stream that first returns ``prefix`` and then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        if len(self._prefix):
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        read1 = getattr(self._stream, "read1", None)
        data = read1(len(view)) if read1 is not None else self._stream.read(len(view))
        if not data:
            return 0
        n = len(data)
        view[:n] = data
        return n


def _read_up_to(stream: BinaryIO, n: int) -> bytes:
    chunks: list[bytes] = []
    remaining = n
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _sniff_format(name: str, head: bytes) -> str:
    fmt = _SUFFIX_FORMAT.get(_suffix(name))
    if fmt is not None:
        return fmt
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"%pdf-"):
        return "pdf"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "txt"


def parse_stream(
    stream: BinaryIO,
    *,
    name: str = "-",
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[SourceDocument | Skipped]:
    """Parse standard input (or any binary stream). Never raises for bad content.

    With ``fmt=None``: content whose first non-blank character is ``{`` is JSONL (one
    document per record, as for files); otherwise one document with ``doc_id`` ``name``
    (``"-"`` by default), its format taken from ``name``'s suffix or sniffed (PDF, HTML,
    else text). ``fmt`` forces one of ``txt md rst html pdf jsonl``.
    """
    source = "<stdin>"
    display = source if name == "-" else name
    if fmt is not None and fmt not in _FORMATS:
        yield Skipped(display, f"unsupported format {fmt!r}")
        return
    try:
        head = _read_up_to(stream, 65536)
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n\x0c")[:1]
        if fmt == "jsonl" or (fmt is None and first == b"{"):
            buffered = io.BufferedReader(_PrefixedRaw(head, stream))
            text_f = io.TextIOWrapper(buffered, encoding=_jsonl_encoding(head), errors="replace", newline=None)
            yielded = False
            for item in _jsonl_records(
                text_f,
                display=source,
                line_ids_prefix=name,
                base_meta={"path": source},
                max_bytes=max_bytes,
            ):
                yielded = True
                yield item
            if not yielded:
                yield Skipped(display, "empty input")
            return
        data = head + _read_up_to(stream, max_bytes + 1 - len(head)) if len(head) <= max_bytes else head
        if len(data) > max_bytes:
            yield Skipped(display, f"larger than max size (over {_human_size(max_bytes)})")
            return
        chosen = fmt or _sniff_format(name, data[:_SNIFF_BYTES])
        parsed = _parse_bytes(data, chosen)
    except _Skip as e:
        yield Skipped(display, str(e).replace("empty file", "empty input"))
        return
    except OSError as e:
        yield Skipped(display, f"cannot read input: {_short(e)}")
        return
    except Exception as e:  # noqa: BLE001
        yield Skipped(display, f"{fmt or 'input'} parse error: {type(e).__name__}: {_short(e)}")
        return

    fallback_title = "stdin" if name == "-" else (Path(name).stem or name)
    metadata: dict[str, Any] = {k: v for k, v in parsed.metadata.items() if k not in ("path", "size")}
    metadata.update({"path": source, "size": len(data)})
    yield SourceDocument(
        doc_id=name,
        source=source,
        title=_clean_title(parsed.title or "") or fallback_title,
        text=parsed.text,
        format=chosen,
        metadata=metadata,
        warnings=tuple(parsed.warnings),
    )

