"""reStructuredText: the title is the first section heading (over- and underlined, or underlined)."""

from __future__ import annotations

import re

from ..decode import check_not_binary, decode_text
from ..document import Parsed
from ..text import finish_text


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


def parse(data: bytes) -> Parsed:
    check_not_binary(data)
    text, warnings = decode_text(data)
    text = finish_text(text, warnings)
    return Parsed(_rst_title(text), text, {}, warnings)
