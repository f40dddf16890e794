"""Markdown as a reader sees it: attribute lists removed, inline HTML rendered to its text.

MkDocs and Pandoc write attribute lists (``# CORS { #cors-cross-origin-resource-sharing }``,
``{: .class }``, ``{#id .class key=value}``) that would otherwise stay in titles and heading
paths, and documentation sets mix in HTML (``<abbr title="...">CORS</abbr>``, ``<a href=...>``,
``<kbd>``, ``<br>``, comments). Outside code both become text; code blocks (fenced or
indented), ``<pre>`` blocks and code spans stay byte for byte. The block structure comes from
markdown-it-py (CommonMark, imported lazily); the text is kept line for line otherwise.
"""

from __future__ import annotations

import html
import re
from typing import Any

_ATTR_TOKEN = r"""(?:[#.][\w:-]+|[\w:-]+=(?:"[^"\n]*"|'[^'\n]*'|[^\s"'{}]+)|-)"""
_ATTR_LIST_RE = re.compile(r"[ \t]*\{:?[ \t]*" + _ATTR_TOKEN + r"(?:[ \t]+" + _ATTR_TOKEN + r")*[ \t]*\}")
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_HIDDEN_ELEMENT_RE = re.compile(r"<(script|style|template)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_ATTRS = r"""(?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*"""
_TAG_RE = re.compile(r"(?<!\\)<(/?)([A-Za-z][A-Za-z0-9-]*)(" + _ATTRS + r")\s*/?>")
_ABBR_RE = re.compile(r"<abbr\b(" + _ATTRS + r")\s*>(.*?)</abbr\s*>", re.DOTALL | re.IGNORECASE)
_ATTR_VALUE_RE = r"""\b{}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TICKS_RE = re.compile(r"(?<![`\\])`+")
_ADMONITION_RE = re.compile(r"^ {0,3}(?:!!!|\?\?\?\+?|===)\s")  # MkDocs: content indented under it
# Block markers of MkDocs admonitions and tabs (``!!! tip "Title"``, ``=== "Tab"``) and of
# pymdownx blocks (``/// note | Title`` ... ``///``): only their title is text.
_BLOCK_MARKER_RE = re.compile(
    r"""^(?P<indent>[ \t]*)(?:(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+[\w-]+)*(?:[ \t]+"(?P<title>[^"]*)")?"""
    r"""|===\+?[ \t]+"(?P<tab>[^"]*)"|/{3,}(?:[ \t]*[\w-]+(?:[ \t]*\|[ \t]*(?P<block>.*?))?)?)[ \t]*$""",
    re.MULTILINE,
)
_SPACE = "\ue000"  # a tag that separates words: a space, unless it is next to whitespace already
_SPACES_RE = re.compile("^\ue000+|\ue000+$|\ue000+(?=\\s)|(?<=\\s)\ue000+", re.MULTILINE)

# Elements rendered to nothing but their text (other <names> are left alone: "List<T>" is prose).
_HTML_TAGS = frozenset("""
a abbr acronym address article aside b bdi bdo big blockquote body br caption center cite code col
colgroup dd del details dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6 head header hr
html i img ins kbd label li mark nav ol p picture q s samp section small source span strike strong sub
summary sup table tbody td tfoot th thead time tr tt u ul var video wbr
""".split())
_BREAKS = frozenset({"br", "hr", "p", "div", "li", "td", "th", "tr", "dt", "dd", "summary", "details"})


def render_markdown(text: str) -> str:
    """``text`` with attribute lists removed and HTML rendered outside code."""
    if "<" not in text and "{" not in text and "&" not in text:
        return text
    from markdown_it import MarkdownIt

    lines = text.split("\n")
    kept: set[int] = set()  # code lines: byte for byte
    dropped: set[int] = set()  # comments and scripts
    nested: dict[int, tuple[int, str]] = {}  # first line -> (end, rendered body) of an admonition
    for token in MarkdownIt("commonmark").parse(text):
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "code_block" and token.level == 0 and _under_admonition(lines, start):
            body = render_markdown("\n".join(line[4:] for line in lines[start:end]))
            nested[start] = (end, body)  # dedented: with its marker gone, the body is plain text
        elif token.type in ("fence", "code_block"):
            kept.update(range(start, end))
        elif token.type == "html_block":
            head = token.content.lstrip().lower()
            if head.startswith(("<!--", "<script", "<style", "<template")) and _closed_in_block(token.content):
                dropped.update(range(start, end))
            elif head.startswith(("<pre", "<textarea")):
                kept.update(range(start, end))
    return "\n".join(_render_lines(lines, kept, dropped, nested))


def _under_admonition(lines: list[str], start: int) -> bool:
    """An indented block under ``!!! note`` (MkDocs admonitions, tabs) is text, not code."""
    before = start - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    return before >= 0 and bool(_ADMONITION_RE.match(lines[before])) and len(lines) > start


def _closed_in_block(content: str) -> bool:
    """A comment or script whose end is inside its HTML block (else it is left to the text pass)."""
    lower = content.lower()
    return "-->" in lower if lower.lstrip().startswith("<!--") else "</" in lower


def _render_lines(lines: list[str], kept: set[int], dropped: set[int], nested: dict[int, tuple[int, str]]) -> list[str]:
    """Render each run of text lines (paragraphs: code spans cannot cross a blank line)."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(render_inline("\n".join(run)))
            run.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if i in nested:
            flush()
            i, body = nested[i]
            out.append(body)
            continue
        if i in kept or i in dropped or not line.strip():
            flush()
            if i not in dropped:
                out.append(line)
        else:
            run.append(line)
        i += 1
    flush()
    return out


def render_inline(text: str) -> str:
    """One paragraph: attribute lists and HTML rendered outside its code spans."""
    pieces: list[str] = []
    start = i = 0
    while True:
        opening = _TICKS_RE.search(text, i)
        if opening is None:
            break
        run = opening.group(0)
        closing = re.compile(r"(?<!`)" + run + r"(?!`)").search(text, opening.end())
        if closing is None:  # an unmatched run of backticks is literal text
            i = opening.end()
            continue
        pieces.append(_render_text(text[start : opening.start()]))
        pieces.append(text[opening.start() : closing.end()])
        start = i = closing.end()
    pieces.append(_render_text(text[start:]))
    return "".join(pieces)


def _render_text(text: str) -> str:
    if "!!!" in text or "???" in text or "===" in text or "///" in text:
        text = _BLOCK_MARKER_RE.sub(_block_title, text)
    if "{" in text:
        text = _ATTR_LIST_RE.sub("", text)
    if "<" in text:
        text = _COMMENT_RE.sub("", text)
        text = _HIDDEN_ELEMENT_RE.sub("", text)
        text = _ABBR_RE.sub(_abbr, text)
        text = _TAG_RE.sub(_tag, text)
        if _SPACE in text:
            text = _SPACES_RE.sub("", text).replace(_SPACE, " ")
    if "&" in text:
        text = _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)
    return text


def _attribute(attrs: str, name: str) -> str | None:
    m = re.search(_ATTR_VALUE_RE.format(name), attrs, re.IGNORECASE)
    return next((g for g in m.groups() if g is not None), None) if m else None


def _abbr(m: Any) -> str:
    """``<abbr title="Cross-Origin Resource Sharing">CORS</abbr>`` -> CORS (Cross-Origin Resource Sharing)."""
    shown = _render_text(m.group(2))
    title = _attribute(m.group(1), "title")
    return f"{shown} ({title})" if title and title.strip() and title.strip() != shown.strip() else shown


def _tag(m: Any) -> str:
    name = m.group(2).lower()
    if name not in _HTML_TAGS:
        return m.group(0)
    if name == "img":
        return _attribute(m.group(3), "alt") or ""
    return _SPACE if name in _BREAKS else ""


def _block_title(m: Any) -> str:
    title = m.group("title") or m.group("tab") or m.group("block") or ""
    return m.group("indent") + title.strip() if title.strip() else ""
