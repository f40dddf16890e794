"""JSON Lines: one document per record, streamed line by line; a bad line is one Skipped
(``line`` set) while the other records still go in."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from ..decode import SNIFF_BYTES, bom_encoding, utf16_without_bom
from ..document import Skipped, SourceDocument
from ..reasons import human_size, short
from ..doc_ids import record_doc_id, record_source
from ..text import clean_title, finish_text, scrub_json

MAX_REPORTED_BAD_LINES = 50  # per JSONL file; further bad lines are summarised once
TEXT_FIELDS = ("text", "contents", "body")


def json_constant(_name: str) -> None:
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


def encoding(head: bytes) -> str:
    """The text encoding of a JSONL stream that starts with ``head``."""
    bom = bom_encoding(head)
    if bom is not None:
        return bom
    return utf16_without_bom(head[:SNIFF_BYTES]) or "utf-8-sig"


def record(value: Any, lineno: int, *, path: str, file_doc_id: str, fmt: str = "jsonl") -> SourceDocument | str:
    """One decoded record (a JSONL line, or an object of a JSON file) -> a document, or the reason it is skipped."""
    if not isinstance(value, dict):
        return f"line {lineno} is not a JSON object"
    warnings: list[str] = []
    named = record_doc_id(value, file_doc_id, lineno)
    if named is None:
        return f"invalid id on line {lineno}"
    doc_id, from_line = named
    if from_line:
        warnings.append("record has no _id/id; using its line number as id")

    text_key = next(
        (k for k in TEXT_FIELDS if isinstance(value.get(k), str) and value[k].strip()),
        None,
    )
    if text_key is None:
        present = [k for k in TEXT_FIELDS if k in value]
        if not present:
            return f"missing text field on line {lineno}"
        if any(isinstance(value[k], str) for k in present):
            return f"empty text on line {lineno}"
        return f"text field is not a string on line {lineno}"
    text = finish_text(value[text_key], warnings)
    if not text:
        return f"empty text on line {lineno}"

    raw_title = value.get("title")
    title = clean_title(raw_title if isinstance(raw_title, str) else "" if raw_title is None else str(raw_title))
    metadata: dict[str, Any] = scrub_json(
        {k: v for k, v in value.items() if k not in ("_id", "id", "title", text_key)}
    )
    metadata["path"] = path
    metadata["line"] = lineno
    return SourceDocument(
        doc_id=doc_id,
        source=record_source(path, lineno),
        title=title,
        text=text,
        format=fmt,
        metadata=metadata,
        warnings=tuple(warnings),
        path=path,
        line=lineno,
    )


def records(f: io.TextIOBase, *, path: str, file_doc_id: str, max_bytes: int) -> Iterator[SourceDocument | Skipped]:
    """Records of a JSONL text stream read from ``path`` (as displayed, or ``"<stdin>"``); a
    Skipped (``line`` set) per bad line. ``max_bytes`` limits each line."""
    bad_lines = 0
    for lineno, line in _iter_bounded_lines(f, max_bytes):
        result: SourceDocument | str
        if line is None:
            result = f"line {lineno} is larger than max size (over {human_size(max_bytes)})"
        elif not line.strip():
            continue
        else:
            try:
                decoded = json.loads(line, parse_constant=json_constant)
            except json.JSONDecodeError as e:
                result = f"malformed JSON on line {lineno}: {e.msg} (col {e.colno})"
            except (ValueError, RecursionError) as e:
                result = f"malformed JSON on line {lineno}: {short(e)}"
            else:
                result = record(decoded, lineno, path=path, file_doc_id=file_doc_id)
        if isinstance(result, SourceDocument):
            yield result
            continue
        bad_lines += 1
        if bad_lines <= MAX_REPORTED_BAD_LINES:
            yield Skipped(path, result, line=lineno)
    if bad_lines > MAX_REPORTED_BAD_LINES:
        extra = bad_lines - MAX_REPORTED_BAD_LINES
        yield Skipped(path, f"{extra} more bad line{'s' if extra != 1 else ''} not listed individually")
