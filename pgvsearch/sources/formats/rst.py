"""reStructuredText: rendered to Markdown-shaped text with docutils (imported lazily).

Section titles become ``#`` headings (the chunker's heading path), literal and code blocks
``` fences, lists stay lists; Sphinx's roles and directives keep their text and lose their
syntax, and navigation-only ones (``toctree`` ...) contribute nothing (see :mod:`.rst_sphinx`).
Nothing is read from disk or the network (``include``, ``raw`` and file insertion are off, and
no docutils configuration file is read). docutils never raises out of here: a document it
cannot render is indexed as written, with a warning. The title is the first section title,
else the first underlined line, else (by the caller) the file name.
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

from ..decode import check_not_binary, decode_text
from ..document import Parsed, SkipInput
from ..reasons import short
from ..text import finish_text

_RST_ADORNMENT_RE = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}[ \t]*$")

#: docutils settings over its defaults (no configuration file is read): quiet, no file or
#: network access, the tree as written.
SETTINGS = {
    "report_level": 5, "halt_level": 5, "warning_stream": False,
    "file_insertion_enabled": False, "raw_enabled": False, "input_encoding": "unicode",
    "doctitle_xform": False, "sectsubtitle_xform": False, "docinfo_xform": False,
    "character_level_inline_markup": False, "syntax_highlight": "none", "smart_quotes": False,
    "pep_references": False, "rfc_references": False, "language_code": "en", "tab_width": 8,
    "id_prefix": "", "auto_id_prefix": "id", "traceback": True, "exit_status_level": 5,
}


def _rst_title(text: str) -> str | None:
    """The first over- and underlined or underlined line (used when docutils cannot render)."""
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


_settings: Any = None
_settings_lock = threading.Lock()


def _docutils_settings() -> Any:
    """A fresh copy of the settings, built once (docutils' option parser is slow and deprecated)."""
    global _settings
    with _settings_lock:
        if _settings is None:
            from docutils.frontend import get_default_settings
            from docutils.parsers.rst import Parser
            from docutils.readers.standalone import Reader

            settings = get_default_settings(Parser, Reader)
            for name, value in SETTINGS.items():
                setattr(settings, name, value)
            _settings = settings
        return copy.deepcopy(_settings)


def render(source: str) -> tuple[str, str | None]:
    """(text with ``#`` headings, the first section title or None); raises what docutils raises."""
    from docutils.core import publish_doctree

    from .rst_sphinx import tolerant
    from .rst_text import TextWriter

    with tolerant():
        document = publish_doctree(source, settings=_docutils_settings())
    writer = TextWriter()
    text = writer.write(document)
    return text, (writer.headings[0][1] if writer.headings else None)


def parse(data: bytes) -> Parsed:
    check_not_binary(data)
    source, warnings = decode_text(data)
    source = finish_text(source, warnings)
    try:
        text, title = render(source)
    except Exception as e:  # noqa: BLE001 - any docutils failure: index the markup as written
        warnings.append(f"reStructuredText not rendered ({short(e)}); indexed as written")
        return Parsed(_rst_title(source), source, {}, warnings)
    text = finish_text(text, warnings)
    if not text.strip() and source.strip():
        raise SkipInput("no text: only markup such as toctree or comments")
    return Parsed(title or _rst_title(source), text, {}, warnings)
