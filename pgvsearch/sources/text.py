"""Text hygiene for everything the sources hand on: PostgreSQL and UTF-8 accept it, whitespace is tidy.

:func:`scrub` is the one home of NUL / lone-surrogate removal (ingest uses it too);
:func:`display` makes a file name printable and storable.
"""

from __future__ import annotations

import os
import re
from typing import Any

_TITLE_MAX_CHARS = 300
_SURROGATES_RE = re.compile("[\ud800-\udfff]")
_MANY_BLANK_LINES_RE = re.compile(r"\n{3,}")


def display(s: str) -> str:
    """A str that can always be encoded as UTF-8 (file names may carry undecodable bytes)."""
    if not _SURROGATES_RE.search(s):
        return s
    try:
        return os.fsencode(s).decode("utf-8", "replace")
    except (UnicodeError, ValueError):
        return _SURROGATES_RE.sub("\ufffd", s)


def scrub(s: str) -> str:
    """Remove NUL characters and lone surrogates (PostgreSQL and UTF-8 reject both)."""
    if "\x00" in s:
        s = s.replace("\x00", "")
    if _SURROGATES_RE.search(s):
        s = _SURROGATES_RE.sub("\ufffd", s)
    return s


def scrub_json(value: Any) -> Any:
    """Recursively scrub strings inside a JSON value (keys included); non-finite numbers
    (``1e400`` parses as infinity) become null, as PostgreSQL's jsonb rejects them."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {scrub(str(k)): scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v) for v in value]
    return value


def normalize_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def clean_text(text: str) -> str:
    """Strip trailing whitespace per line, collapse runs of blank lines, trim the ends."""
    text = normalize_newlines(text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _MANY_BLANK_LINES_RE.sub("\n\n", text)
    return text.strip("\n")


def finish_text(text: str, warnings: list[str]) -> str:
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
    return clean_text(text)


def clean_title(title: str) -> str:
    title = " ".join(scrub(title).split())
    if len(title) > _TITLE_MAX_CHARS:
        title = title[: _TITLE_MAX_CHARS - 1].rstrip() + "\u2026"
    return title
