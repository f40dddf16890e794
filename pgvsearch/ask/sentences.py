"""Reading a passage for the extractive answer: its sentences, list items, table rows and code
blocks in reading order, without its headings.

Headings are recognised by their structure, never guessed from punctuation: Markdown ``#``
lines, the heading-path lines the passage builder wrote into a window
(``Passage.headings``), and titles underlined (or overlined) with a row of one punctuation
character (reStructuredText, Markdown setext). Code is a fenced block (```` ``` ```` or
``~~~``), the literal block after a reStructuredText ``::`` or ``.. code-block::``, or an
indented block after a line that ends in ``:``. Other reStructuredText directive lines and
their options are markup, not text; navigation-only directives (``toctree``, ``image``,
``autoclass`` ...) contribute nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

SENTENCE, ITEM, ROW, CODE = "sentence", "item", "row", "code"

_LIST_MARKER_RE = re.compile(r"^(?:[-*+•]|\d+[.)])\s+")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])")
_TERMINAL_RE = re.compile(r"[.!?:;][\"')\]”]*$")
_FENCE_RE = re.compile(r"^(`{3,}|~{3,})\s*\{?\s*\.?([\w+#.-]*)")
_ADORNMENT_RE = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}$")
_DIRECTIVE_RE = re.compile(r"^\.\.\s+([\w:-]+)::\s*(.*)$")
_ATTRIBUTES_RE = re.compile(r"\s*\{[^{}]*\}\s*$")  # a Markdown attribute list: "{ #cors }"
_OPTION_RE = re.compile(r"^:[\w -]+:(?:\s|$)")
_CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "highlight-code", "doctest", "testcode"}
_SILENT_DIRECTIVES = {"toctree", "image", "figure", "include", "literalinclude", "raw", "only", "contents",
                      "autoclass", "automodule", "autofunction", "automethod", "autoattribute", "autodata",
                      "autoexception", "autosummary", "rst-class", "meta", "tabularcolumns"}


@dataclass(frozen=True)
class Unit:
    """One sentence, list item (or one sentence of one) or table row, or one code block."""

    kind: str
    text: str
    """Sentences, items and rows with whitespace collapsed and bold marks removed; code as written."""
    intro: str = ""
    """For a code block: the (at most two) sentences just before it, which usually introduce it."""
    lang: str = ""
    """For a code block: its language, when the markup names one."""
    section: str = ""
    """The title of the section the unit is in, when the passage shows it (to score by, never to quote)."""

    @property
    def asks(self) -> bool:
        """A question, like the docs' own rhetorical ``So how do you register that blueprint?``.
        A list item or table row ending in '?' quotes a label (``Click **Forgot password?**``)."""
        return self.kind == SENTENCE and self.text.rstrip("\"')]”*_` ").endswith("?")

    @property
    def quotable(self) -> bool:
        """A sentence, item or row worth quoting: short unpunctuated lines are the titles and
        headings of plain-text documents, not answers."""
        words = len(self.text.split())
        return self.kind != CODE and words >= 3 and bool(_TERMINAL_RE.search(self.text) or words >= 6 or " — " in self.text)


def clean(text: str) -> str:
    return " ".join(text.replace("**", "").replace("__", "").split())


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" \t"))


class _Reader:
    """A line-by-line reader of one passage text (helpers keep each step short)."""

    def __init__(self, lines: Sequence[str], headings: Iterable[str]) -> None:
        self.lines = lines
        self.headings = {h.strip() for h in headings if h.strip()}
        self.units: list[Unit] = []
        self.paragraph: list[str] = []
        self.kind = SENTENCE
        self.recent: list[Unit] = []  # sentences since the last heading or code block: a block's intro
        self.code_next: str | None = None  # a literal block is announced (its language, maybe "")
        self.options = False  # directly after a directive: ":maxdepth: 2" lines are its options
        self.section = ""
        self.blank = True

    def flush(self) -> None:
        if not self.paragraph:
            return
        text = clean(" ".join(self.paragraph))
        self.paragraph.clear()
        if text.endswith("::"):  # reStructuredText: "like this::" reads "like this:" and announces a literal block
            self.code_next = ""
            text = text[:-1] if not text[:-2].endswith(" ") else text[:-2].rstrip()
        for sentence in _SENTENCE_SPLIT_RE.split(text) if text else []:
            self.emit(Unit(self.kind, sentence, section=self.section))
        self.kind = SENTENCE

    def emit(self, unit: Unit) -> None:
        self.units.append(unit)
        self.recent = [] if unit.kind == CODE else (self.recent + [unit])[-2:]

    def heading(self, title: str = "") -> None:
        self.flush()
        self.recent = []
        title = clean(_ATTRIBUTES_RE.sub("", title.split(" > ")[-1].lstrip("#")))
        self.section = title or self.section

    def code(self, lines: Sequence[str], lang: str) -> None:
        self.flush()
        body = "\n".join(lines).strip("\n")
        if body.strip():
            self.emit(Unit(CODE, body, intro=" ".join(u.text for u in self.recent), lang=lang))
        self.code_next = None

    def read(self) -> list[Unit]:
        i = self.cut_block()
        while i < len(self.lines):
            raw = self.lines[i]
            i = self.step(raw, raw.strip(), i)
        self.flush()
        return self.units

    def cut_block(self) -> int:
        """A passage that starts inside a code block (chunks are cut anywhere) starts with the rest
        of it: an odd number of fences whose first is a bare closing fence after some lines.
        Those lines are code; the index of the first line after them."""
        fences = [i for i, raw in enumerate(self.lines) if _FENCE_RE.match(raw.strip())]
        if len(fences) % 2 == 0 or not any(raw.strip() for raw in self.lines[: fences[0]]):
            return 0
        match = _FENCE_RE.match(self.lines[fences[0]].strip())
        if match is None or match.group(2) or self.lines[fences[0]].strip() != match.group(1):
            return 0
        self.code(self.lines[: fences[0]], "")
        return fences[0] + 1

    def step(self, raw: str, line: str, i: int) -> int:
        """Read the line at ``i`` (and any block it opens); the index of the next line to read."""
        was_blank, self.blank = self.blank, not line
        if not line:
            self.flush()
            self.options = False
            return i + 1
        fence = _FENCE_RE.match(line)
        if fence:
            return self.fenced(i, fence.group(1), fence.group(2))
        if was_blank and _indent(raw) > 0 and self.announces_code(raw):
            return self.indented(i)
        if line.startswith(".."):
            return self.directive(i, line)
        if self.options and _OPTION_RE.match(line):
            return i + 1
        self.options = False
        if line in self.headings or line.startswith("#"):
            self.heading(line)
        elif _ADORNMENT_RE.match(line):
            self.heading(self.paragraph.pop() if self.paragraph else "")  # the title this line underlines
        else:
            self.text_line(raw, line)
        return i + 1

    def announces_code(self, raw: str) -> bool:
        if self.code_next is not None:
            return True
        last = self.units[-1] if self.units and not self.paragraph else None
        return (last is not None and last.kind != CODE and last.text.endswith(":") and _indent(raw) >= 4
                and not _LIST_MARKER_RE.match(raw.strip()))

    def text_line(self, raw: str, line: str) -> None:
        if line.startswith("|"):
            self.flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            if any(c and set(c) - set("-: ") for c in cells):
                self.emit(Unit(ROW, clean(" — ".join(c for c in cells if c))))
            return
        marker = _LIST_MARKER_RE.match(line)
        if marker:
            self.flush()
            self.kind = ITEM
            self.paragraph.append(line[marker.end():])
            return
        if self.kind == ITEM and _indent(raw) == 0:
            self.flush()  # an item continues on indented lines only
        self.paragraph.append(line)

    def fenced(self, i: int, fence: str, lang: str) -> int:
        body: list[str] = []
        j = i + 1
        while j < len(self.lines) and not self.lines[j].strip().startswith(fence):
            body.append(self.lines[j])
            j += 1
        self.code(body, lang)
        self.blank = False
        return j + 1

    def indented(self, i: int) -> int:
        """An indented block (until a line less indented than its first), as code."""
        base = _indent(self.lines[i])
        body: list[str] = []
        j = i
        while j < len(self.lines) and (not self.lines[j].strip() or _indent(self.lines[j]) >= base):
            body.append(self.lines[j][base:])
            j += 1
        self.code(body, self.code_next or "")
        self.blank = True
        return j

    def directive(self, i: int, line: str) -> int:
        """A reStructuredText directive, target or comment: markup, not text."""
        self.flush()
        match = _DIRECTIVE_RE.match(line)
        name = match.group(1).lower() if match else ""
        if name in _CODE_DIRECTIVES:
            self.code_next = (match.group(2) if match else "").strip()
        self.options = True
        if match and name not in _SILENT_DIRECTIVES:
            return i + 1  # a note, warning, versionadded ...: its indented body is text
        j = i + 1  # a comment or a navigation-only directive: its indented body is dropped too
        while j < len(self.lines) and (not self.lines[j].strip() or _indent(self.lines[j]) > 0):
            j += 1
        return j


def open_fence(text: str) -> bool:
    """Whether ``text`` ends inside a fenced code block (it has an odd number of fence lines)."""
    return sum(1 for line in text.splitlines() if _FENCE_RE.match(line.strip())) % 2 == 1


def read_units(text: str, headings: Iterable[str] = ()) -> list[Unit]:
    """The sentences, list items, table rows and code blocks of ``text`` in reading order,
    without headings (``headings``: lines the passage builder wrote as heading paths)."""
    return _Reader(text.splitlines(), headings).read()


def split_sentences(text: str, headings: Iterable[str] = ()) -> list[str]:
    """Sentences of a chunk worth quoting: headings and code dropped, list items and table rows taken one by one."""
    return [unit.text for unit in read_units(text, headings) if unit.quotable]
