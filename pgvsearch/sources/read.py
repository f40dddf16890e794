"""Reading inputs: a file (:func:`parse_file`) or a stream such as stdin (:func:`parse_stream`)
-> documents. Files are opened without blocking on FIFOs; every problem with one input becomes
a :class:`Skipped` with a short reason, never an exception."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from .decode import SNIFF_BYTES, binary_kind, binary_reason
from .doc_ids import STDIN, doc_id_for
from .document import DEFAULT_MAX_BYTES, SkipInput, Skipped, SourceDocument
from .formats import BY_NAME, SUFFIX_FORMAT, jsonl, parse_bytes, suffix_of
from .formats.json import records as json_records
from .reasons import human_size, oserror_reason, short, size_reason
from .text import clean_title
from .text import display as display_path


def _reason(exc: Exception, unexpected: str) -> str:
    """Why reading a file failed: the parser's reason, the OS error, or ``unexpected`` and the exception."""
    if isinstance(exc, SkipInput):
        return str(exc)
    if isinstance(exc, OSError):
        return oserror_reason(exc)
    return f"{unexpected}: {type(exc).__name__}: {short(exc)}"


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
            raise SkipInput("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise SkipInput("not a regular file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise SkipInput(size_reason(st.st_size, max_bytes))
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return f, st


def parse_file(
    path: Path, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, fmt: str | None = None
) -> Iterator[SourceDocument | Skipped]:
    """Parse one file into documents. Never raises for a bad file.

    A ``.jsonl``/``.ndjson`` file yields one :class:`SourceDocument` per record (BEIR corpus
    form ``{"_id", "title", "text", ...}``; ``id`` and ``contents``/``body`` accepted too) and
    a :class:`Skipped` (with its ``line``) per bad line while the other records are still
    yielded. JSONL is streamed line by line, so ``max_bytes`` limits each *line* there rather
    than the file. Every other format yields exactly one document or one Skipped. Vanished
    or unreadable files, binary content, oversize files and parser exceptions all become a
    Skipped with a short reason. A ``.json`` file (an object or an array of objects) yields one
    document per object, as records. ``fmt`` forces a format (``txt`` for ``--text`` files).
    """
    path = Path(path)
    root = Path(root)
    display = display_path(str(path))
    suffix = suffix_of(path.name)
    fmt = fmt or SUFFIX_FORMAT.get(suffix)
    if fmt is None:
        yield Skipped(display, f"unsupported type {suffix or '(no extension)'}")
        return
    doc_id = display_path(doc_id_for(path, root))
    name_warnings = [] if display == str(path) else ["file name is not valid UTF-8"]

    if fmt == "jsonl":
        yield from _parse_jsonl_file(path, display, doc_id, max_bytes)
        return

    try:
        data, st = _read_whole(path, max_bytes)
        if fmt == "json":
            yield from json_records(_json_text(data), path=display, file_doc_id=doc_id)
            return
        parsed = parse_bytes(data, fmt)
    except Exception as e:  # noqa: BLE001 - a parser bug must not stop the run
        yield Skipped(display, _reason(e, f"{fmt} parse error"))
        return

    metadata: dict[str, Any] = {k: v for k, v in parsed.metadata.items() if k not in ("path", "size", "mtime")}
    metadata.update({"path": display, "size": st.st_size, "mtime": st.st_mtime})
    yield SourceDocument(
        doc_id=doc_id,
        source=display,
        title=clean_title(parsed.title or "") or display_path(path.stem),
        text=parsed.text,
        format=fmt,
        metadata=metadata,
        warnings=tuple(name_warnings + parsed.warnings),
        path=display,
    )


def _read_whole(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result]:
    f, st = _open_regular(path, max_bytes)
    with f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew after fstat
        raise SkipInput(size_reason(len(data), max_bytes))
    return data, st


def _json_text(data: bytes) -> str:
    """A JSON file's text (any Unicode encoding JSON allows); SkipInput for an empty or binary one."""
    if not data.strip():
        raise SkipInput("empty file")
    kind = binary_kind(data[:SNIFF_BYTES])
    if kind is not None:
        raise SkipInput(binary_reason(kind))
    return data.decode(jsonl.encoding(data[:SNIFF_BYTES]), errors="replace")


def _parse_jsonl_file(
    path: Path, display: str, file_doc_id: str, max_bytes: int
) -> Iterator[SourceDocument | Skipped]:
    try:
        f, _st = _open_regular(path, None)
    except Exception as e:  # noqa: BLE001
        yield Skipped(display, _reason(e, "cannot open"))
        return
    lineno_hint = "the start"
    try:
        with f:
            head = _peek(f, SNIFF_BYTES)
            if not head.strip():
                yield Skipped(display, "empty file")
                return
            kind = binary_kind(head)
            if kind is not None:
                yield Skipped(display, binary_reason(kind))
                return
            text_f = io.TextIOWrapper(f, encoding=jsonl.encoding(head), errors="replace", newline=None)
            yielded = False
            for item in jsonl.records(text_f, path=display, file_doc_id=file_doc_id, max_bytes=max_bytes):
                yielded = True
                lineno_hint = item.label if isinstance(item, Skipped) else f"line {item.line}"
                yield item
            if not yielded:
                yield Skipped(display, "empty file")
    except OSError as e:
        yield Skipped(display, f"{oserror_reason(e)} (after {lineno_hint})")
    except Exception as e:  # noqa: BLE001
        yield Skipped(display, f"jsonl read error: {type(e).__name__}: {short(e)} (after {lineno_hint})")


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
    fmt = SUFFIX_FORMAT.get(suffix_of(name))
    if fmt is not None:
        return fmt
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"%pdf-"):
        return "pdf"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "txt"


def _stream_records(head: bytes, stream: BinaryIO, name: str, display: str, max_bytes: int) -> Iterator[SourceDocument | Skipped]:
    """The JSON Lines records of a stream whose first bytes (``head``) were read already."""
    buffered = io.BufferedReader(_PrefixedRaw(head, stream))
    text_f = io.TextIOWrapper(buffered, encoding=jsonl.encoding(head), errors="replace", newline=None)
    yielded = False
    for item in jsonl.records(text_f, path=STDIN, file_doc_id=name, max_bytes=max_bytes):
        yielded = True
        yield item
    if not yielded:
        yield Skipped(display, "empty input")


def parse_stream(
    stream: BinaryIO,
    *,
    name: str = "-",
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[SourceDocument | Skipped]:
    """Parse standard input (or any binary stream). Never raises for bad content.

    With ``fmt=None``: content named ``*.jsonl``/``*.ndjson``, or whose first non-blank
    character is ``{``, is JSONL (one document per record, as for files); otherwise one
    document with ``doc_id`` ``name`` (``"-"`` by default), its format taken from ``name``'s
    suffix or sniffed (PDF, HTML, else text). ``fmt`` forces one of ``txt md rst html pdf jsonl``.
    """
    source = STDIN
    display = source if name == "-" else name
    if fmt is not None and fmt not in BY_NAME:
        yield Skipped(display, f"unsupported format {fmt!r}")
        return
    try:
        head = _read_up_to(stream, 65536)
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n\x0c")[:1]
        named_jsonl = fmt is None and SUFFIX_FORMAT.get(suffix_of(name)) == "jsonl"
        if fmt == "jsonl" or named_jsonl or (fmt is None and first == b"{"):
            yield from _stream_records(head, stream, name, display, max_bytes)
            return
        data = head + _read_up_to(stream, max_bytes + 1 - len(head)) if len(head) <= max_bytes else head
        if len(data) > max_bytes:
            yield Skipped(display, f"larger than max size (over {human_size(max_bytes)})")
            return
        chosen = fmt or _sniff_format(name, data[:SNIFF_BYTES])
        parsed = parse_bytes(data, chosen)
    except SkipInput as e:
        yield Skipped(display, str(e).replace("empty file", "empty input"))
        return
    except OSError as e:
        yield Skipped(display, f"cannot read input: {short(e)}")
        return
    except Exception as e:  # noqa: BLE001
        yield Skipped(display, f"{fmt or 'input'} parse error: {type(e).__name__}: {short(e)}")
        return

    fallback_title = "stdin" if name == "-" else (Path(name).stem or name)
    metadata: dict[str, Any] = {k: v for k, v in parsed.metadata.items() if k not in ("path", "size")}
    metadata.update({"path": source, "size": len(data)})
    yield SourceDocument(
        doc_id=name,
        source=source,
        title=clean_title(parsed.title or "") or fallback_title,
        text=parsed.text,
        format=chosen,
        metadata=metadata,
        warnings=tuple(parsed.warnings),
        path=source,
    )
