"""Bytes -> text: binary sniffing (magic numbers, control bytes), BOMs, charset guessing.

``charset_normalizer`` is imported lazily, only for bytes that are neither UTF-8 nor
plausible Western European text.
"""

from __future__ import annotations

import codecs
import re

from .document import SkipInput
from .text import normalize_newlines

SNIFF_BYTES = 8192

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


def bom_encoding(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def utf16_without_bom(sample: bytes) -> str | None:
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


def binary_kind(data: bytes) -> str | None:
    """What binary thing ``data`` looks like ("PNG image", "binary data"), or None for text."""
    sample = data[:SNIFF_BYTES]
    if not sample:
        return None
    if bom_encoding(sample) in ("utf-16", "utf-32"):
        return None
    kind = _magic_kind(sample)
    if kind:
        return kind
    if utf16_without_bom(sample):
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
    return binary_kind(data) is not None


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
    bom = bom_encoding(data)
    if bom is not None:
        if bom != "utf-8-sig":
            warnings.append(f"decoded as {bom.upper()}")
        try:
            return data.decode(bom)
        except UnicodeDecodeError:
            warnings.append("replaced invalid byte sequences")
            return data.decode(bom, errors="replace")
    utf16 = utf16_without_bom(data[:SNIFF_BYTES])
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
    if bom_encoding(data) not in ("utf-16", "utf-32") and not utf16_without_bom(
        data[:SNIFF_BYTES]
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
    return normalize_newlines(text), warnings


def check_not_binary(data: bytes) -> None:
    kind = binary_kind(data)
    if kind is not None:
        raise SkipInput(binary_reason(kind))


def binary_reason(kind: str) -> str:
    return "binary file" if kind == "binary data" else f"binary file (looks like {kind})"
