"""A PDF's title: its metadata title unless that is a placeholder, else the first page's heading.

Producers fill the metadata title with whatever they had: ``Untitled Document``,
``Microsoft Word - paper.docx``, ``Document1``, ``Slide 1``, the source file's name
(``paper.dvi``). Such a title names nothing, so the first page's heading is used instead: the
text set in the page's largest font when that stands out from the body text, else the first
line that looks like a heading (short, not a sentence fragment, not a running header such as a
journal name with volume and pages). Failing both, the caller uses the file name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_DOC_SUFFIXES = r"docx?|dotx?|dvi|tex|pdf|pptx?|ppsx?|rtf|odt|odp|ps|eps|txt|html?|indd|qxd|pages|key|xlsx?|md|rst"
_PLACEHOLDER_RE = re.compile(
    r"""^(?:
        untitled(?:[\s_-]*(?:document|presentation|\d+))?
      | (?:new\s+)?(?:document|doc|book|presentation|workbook|drawing|layout|slide|template|title|page)[\s_-]*\d*
      | (?:no|without)\s+title | none | null | n/?a | unknown | default | blank | temp(?:late)?
      | (?:microsoft\s+)?(?:word|powerpoint|excel)\s*-\s*.*
      | powerpoint\s+presentation | title\s+of\s+(?:the\s+)?(?:paper|document|thesis)
      | .*\.(?:""" + _DOC_SUFFIXES + r""")
      | [\W\d_]*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Running headers and footers: a journal or proceedings name, volume, pages, a DOI, a licence.
_RUNNING_HEAD_RE = re.compile(
    r"\b(?:journal|proceedings|proc\.|transactions|conference|symposium|workshop|vol\.?\s*\d|volume\s*\d|"
    r"no\.\s*\d|pp\.\s*\d|issn|isbn|doi|arxiv|preprint|copyright|licen[cs]e|page\s+\d+)\b|©|https?://|www\.|@",
    re.IGNORECASE,
)
# Generic section names that start many first pages but name no document.
_GENERIC_HEADINGS = frozenset({
    "abstract", "contents", "table of contents", "introduction", "preface", "foreword", "summary",
    "executive summary", "overview", "draft", "confidential", "chapter 1", "part i", "acknowledgements",
})
_MAX_TITLE_CHARS = 150
_MAX_TITLE_WORDS = 20
_FIRST_LINES = 15
_LARGER_THAN_BODY = 1.15  # the title's font must stand out from the body text by this much


def is_placeholder(title: str) -> bool:
    """Whether a metadata title names nothing (``Untitled``, ``Document1``, ``paper.dvi`` ...)."""
    return bool(_PLACEHOLDER_RE.match(" ".join(title.split())))


def heading_like(line: str) -> bool:
    """A short line that reads as a title: not a sentence fragment, a running head or a number."""
    line = " ".join(line.split())
    words = line.split()
    if not (3 <= len(line) <= _MAX_TITLE_CHARS and 1 <= len(words) <= _MAX_TITLE_WORDS):
        return False
    if line.lower().rstrip(":.") in _GENERIC_HEADINGS or is_placeholder(line):
        return False
    if not (line[0].isupper() or line[0].isdigit()) or line[-1] in ",;-–(" or _RUNNING_HEAD_RE.search(line):
        return False
    if line.endswith(".") and len(words) > 3:
        return False  # a sentence, or its end
    letters = sum(c.isalpha() for c in line)
    return letters >= 3 and letters >= 0.6 * len(line.replace(" ", ""))


def first_heading_line(page_text: str) -> str | None:
    """The first heading-like line among the first lines of a page."""
    lines = [" ".join(line.split()) for line in page_text.split("\n") if line.strip()]
    return next((line for line in lines[:_FIRST_LINES] if heading_like(line)), None)


def largest_font_text(runs: Sequence[tuple[float, str]]) -> str | None:
    """The text set in the page's largest font, when that font is larger than the body's.

    ``runs`` are (font size, text) in reading order, as the PDF's text operators draw them."""
    sized = [(size, text) for size, text in runs if text.strip() and size > 0 and math.isfinite(size)]
    if not sized:
        return None
    body = _body_size(sized)
    largest = max(size for size, _ in sized)
    if largest < body * _LARGER_THAN_BODY:
        return None
    picked: list[str] = []
    for size, text in sized:
        if abs(size - largest) <= 0.05 * largest:
            picked.append(text)
        elif picked:
            break  # the first run of the largest font only: a title, not every big label
    title = " ".join(" ".join(picked).split())
    return title if heading_like(title) else None


def _body_size(runs: Sequence[tuple[float, str]]) -> float:
    """The font size carrying the most characters."""
    weight: dict[float, int] = {}
    for size, text in runs:
        key = round(size, 1)
        weight[key] = weight.get(key, 0) + len(text.strip())
    return max(weight, key=lambda k: weight[k])


def pick_title(metadata_title: str | None, runs: Sequence[tuple[float, str]], first_page: str) -> str | None:
    """The metadata title unless it is a placeholder, else the first page's heading, else None."""
    if metadata_title and not is_placeholder(metadata_title):
        return metadata_title
    return largest_font_text(runs) or first_heading_line(first_page)
