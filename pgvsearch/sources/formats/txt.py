"""Plain text: the title is the first line, when it is short enough to be one."""

from __future__ import annotations

from ..decode import check_not_binary, decode_text
from ..document import Parsed
from ..text import finish_text

_TXT_TITLE_MAX_CHARS = 120


def _first_line_title(text: str) -> str | None:
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line if len(line) <= _TXT_TITLE_MAX_CHARS else None
    return None


def parse(data: bytes) -> Parsed:
    check_not_binary(data)
    text, warnings = decode_text(data)
    text = finish_text(text, warnings)
    return Parsed(_first_line_title(text), text, {}, warnings)
