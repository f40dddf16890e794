"""The format registry: one row per format a file can have.

Each row names the format, the file suffixes that select it, the function that turns a file's
bytes into a :class:`~pgvsearch.sources.document.Parsed` (None for JSON Lines, which is read as
a stream of records by :mod:`.jsonl`), and whether the chunker reads the text as Markdown
(headings become chunk context). Every table of formats elsewhere is derived from this one:
adding ``.docx`` is a ``docx.py`` module with a ``parse(data) -> Parsed`` and one row here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ..document import Parsed, SkipInput
from . import html, markdown, pdf, rst, txt


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]
    parse: Callable[[bytes], Parsed] | None  # None: one document per record (jsonl streamed, json whole)
    markdown: bool  # the chunker reads the text as Markdown


FORMATS: tuple[Format, ...] = (
    Format("txt", (".txt", ".text"), txt.parse, markdown=True),
    Format("md", (".md", ".markdown"), markdown.parse, markdown=True),
    Format("rst", (".rst",), rst.parse, markdown=True),
    Format("html", (".html", ".htm"), html.parse, markdown=True),
    Format("pdf", (".pdf",), pdf.parse, markdown=True),
    Format("jsonl", (".jsonl", ".ndjson"), None, markdown=True),
    Format("json", (".json",), None, markdown=True),  # parsed whole into records by .json
)

BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}
SUFFIX_FORMAT: dict[str, str] = {suffix: f.name for f in FORMATS for suffix in f.suffixes}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(SUFFIX_FORMAT)
#: name -> bytes parser, for the formats read whole (looked up at each parse).
PARSERS: dict[str, Callable[[bytes], Parsed]] = {f.name: f.parse for f in FORMATS if f.parse is not None}


def suffix_of(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def is_markdown(fmt: str) -> bool:
    """Whether the chunker reads a document of this format as Markdown."""
    found = BY_NAME.get(fmt)
    return found is not None and found.markdown


def parse_bytes(data: bytes, fmt: str) -> Parsed:
    """One whole input of a format read whole -> its parsed text (raises SkipInput)."""
    if not data.strip():
        raise SkipInput("empty file")
    parsed = PARSERS[fmt](data)
    if not parsed.text.strip():
        raise SkipInput("empty file")
    return parsed
