"""JSON files: an object, or an array of objects, with the JSON Lines conventions.

Each object is one document (``_id``/``id``, ``title``, ``text``/``contents``/``body``; the
other fields are metadata), named and stored as a JSON Lines record: its ``line`` is the line
where the object starts, so its doc_id without an ``_id`` is ``<file's doc_id>#L<line>`` and
prune removes an object that left the file. A JSON file that holds no text field at all
(``package.json``, a settings file) is not a document: it is ignored with that reason, not a
failure of the run. The file is parsed whole, so ``--max-size`` limits the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..document import Skipped, SourceDocument
from ..reasons import short
from .jsonl import TEXT_FIELDS, json_constant, record

NOT_A_DOCUMENT = "JSON without a text field (text, contents or body) is not a document"


_SPACE = re.compile(r"\s*")  # what str.strip removes: the whitespace read between values


class _Lines:
    """Line numbers of increasing offsets, counted once over the text (not from the start each time)."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _objects(text: str) -> Iterator[tuple[int, Any]]:
    """(line where it starts, value) of the top-level object, or of each element of the top-level array.

    Linear in the file's size: positions move forward through the text, which is never sliced
    (a 50 MB array of small objects took hours when each step copied the rest of the text)."""
    decoder = json.JSONDecoder(parse_constant=json_constant)
    lines = _Lines(text)
    skip = _SPACE.match
    start = skip(text, 0).end()
    if text[start : start + 1] != "[":
        value, end = decoder.raw_decode(text, start)
        if skip(text, end).end() != len(text):
            raise json.JSONDecodeError("extra data after the JSON value", text, end)
        yield lines.at(start), value
        return
    position = start + 1
    while True:
        position = skip(text, position).end()
        if text[position : position + 1] == "]":
            if skip(text, position + 1).end() != len(text):
                raise json.JSONDecodeError("extra data after the JSON array", text, position + 1)
            return
        value, end = decoder.raw_decode(text, position)
        yield lines.at(position), value
        position = skip(text, end).end()
        if text[position : position + 1] == ",":
            position += 1
        elif text[position : position + 1] != "]":
            raise json.JSONDecodeError("expected ',' or ']' in the JSON array", text, position)


def records(text: str, *, path: str, file_doc_id: str) -> Iterator[SourceDocument | Skipped]:
    """The documents of a JSON text read from ``path``; a Skipped (``line`` set) per bad object,
    one Skipped for a malformed file, and one marked ignored for a file without any text field."""
    try:
        objects = list(_objects(text))
    except json.JSONDecodeError as e:
        yield Skipped(path, f"malformed JSON: {e.msg} (line {e.lineno}, col {e.colno})")
        return
    except (ValueError, RecursionError) as e:
        yield Skipped(path, f"malformed JSON: {short(e)}")
        return
    if not any(isinstance(value, dict) and any(k in value for k in TEXT_FIELDS) for _, value in objects):
        yield Skipped(path, NOT_A_DOCUMENT, ignored=True)
        return
    for line, value in objects:
        result = record(value, line, path=path, file_doc_id=file_doc_id, fmt="json")
        yield result if isinstance(result, SourceDocument) else Skipped(path, result, line=line)
