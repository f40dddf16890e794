"""HTML: visible text with headings kept as ``#`` lines; page chrome (nav, header, footer,
hidden elements) is dropped unless nothing else is left. ``bs4`` is imported lazily."""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING, Any

from ..decode import bom_encoding, check_not_binary, decode_text
from ..document import Parsed, SkipInput
from ..text import clean_text, finish_text, normalize_newlines

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bs4 import Tag


_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)


def _decode_html(data: bytes) -> tuple[str, list[str]]:
    """Like :func:`decode_text` but honours a ``<meta charset>`` when the bytes aren't UTF-8."""
    if bom_encoding(data) is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            match = _META_CHARSET_RE.search(data[:4096])
            if match:
                name = match.group(1).decode("ascii", "replace").lower()
                # WHATWG: labels for latin-1/ascii mean windows-1252.
                if name in ("iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
                    name = "cp1252"
                try:
                    codec = codecs.lookup(name)
                except LookupError:
                    codec = None
                if codec is not None and codec.name not in ("utf-8", "utf-16", "utf-32"):
                    warnings: list[str] = []
                    nuls = data.count(0)
                    text = data.replace(b"\x00", b"").decode(codec.name, errors="replace")
                    warnings.append(f"decoded as {codec.name} (from <meta charset>)")
                    if nuls:
                        warnings.append(f"removed {nuls} NUL byte{'s' if nuls != 1 else ''}")
                    return normalize_newlines(text), warnings
    return decode_text(data)


# Never visible, or page chrome rather than content.
_HTML_ALWAYS_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "iframe", "head", "title", "meta",
        "link", "object", "embed", "canvas", "audio", "video", "map", "select", "option",
        "datalist", "textarea", "button", "input",
    }
)
_HTML_CHROME = frozenset({"nav", "header", "footer", "aside", "form", "dialog", "menu"})
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_HTML_BLOCKS = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dir",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "hgroup", "hr", "html", "legend",
        "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "ul",
    }
)
# A table row containing any of these is layout, not data: render its cells as blocks.
_HTML_ROW_LAYOUT_MARKERS = sorted((_HTML_BLOCKS - {"td", "th", "tr"}) | set(_HTML_HEADINGS))
_HTML_CONTENT_MARKERS = ["p", "article", "main", "h1", "h2", "h3", "table", "ul", "ol", "pre"]
_HTML_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACES_RE = re.compile(r"\s+")


def _collapse(s: str) -> str:
    return _SPACES_RE.sub(" ", s).strip()


class _HtmlRenderer:
    """Renders a BeautifulSoup tree as text blocks, keeping headings as ``#`` lines."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict  # drop page chrome (nav/header/footer/...) too
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""
        self.ol_counts: dict[int, int] = {}

    # -- visibility --

    def _skip(self, tag: Tag, in_article: bool) -> bool:
        name = tag.name
        if name in _HTML_ALWAYS_DROP:
            return True
        if not self.strict:
            return False
        if tag.has_attr("hidden"):
            return True
        style = tag.get("style")
        if isinstance(style, str) and _HTML_HIDDEN_STYLE_RE.search(style):
            return True
        if name in _HTML_CHROME:
            if name == "header" and in_article:
                return False  # an article's own header carries its heading
            if name == "form" and tag.find(_HTML_CONTENT_MARKERS) is not None:
                return False  # whole-page forms (ASP.NET WebForms) wrap the real content
            return True
        return False

    def inline_text(self, node: Tag, keep_newlines: bool = False) -> str:
        from bs4.element import NavigableString, PreformattedString, Tag

        parts: list[str] = []
        stack: list[Any] = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, PreformattedString):
                continue
            if isinstance(cur, NavigableString):
                parts.append(str(cur))
                continue
            if isinstance(cur, str):  # separator pushed below
                parts.append(cur)
                continue
            if isinstance(cur, Tag):
                if cur is not node and self._skip(cur, True):
                    continue
                if cur.name == "br":
                    parts.append("\n" if keep_newlines else " ")
                    continue
                # Keep words of adjacent cells/blocks apart ("<td>a</td><td>b</td>").
                separate = cur is not node and not keep_newlines and (
                    cur.name in _HTML_BLOCKS or cur.name in _HTML_HEADINGS
                )
                if separate:
                    parts.append(" ")
                    stack.append(" ")
                stack.extend(reversed(cur.contents))
        text = "".join(parts)
        return text if keep_newlines else _collapse(text)

    # -- output --

    def flush(self) -> None:
        if not self.buf:
            return
        raw = "".join(self.buf)
        self.buf.clear()
        lines = [_collapse(line) for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(self.prefix + text)
            self.prefix = ""

    def render(self, root: Any) -> str:
        from bs4.element import NavigableString, PreformattedString, Tag

        # Explicit stack of (node, exiting, in_article) instead of recursion: broken pages
        # can nest thousands of levels deep.
        stack: list[tuple[Any, bool, bool]] = [(root, False, False)]
        while stack:
            node, exiting, in_article = stack.pop()
            if isinstance(node, PreformattedString):  # comments, CDATA, doctype, PIs
                continue
            if isinstance(node, NavigableString):
                self.buf.append(_SPACES_RE.sub(" ", str(node)))
                continue
            if not isinstance(node, Tag):
                continue
            name = node.name
            if exiting:
                if name in _HTML_BLOCKS:
                    self.flush()
                    if name == "li":
                        self.prefix = ""
                continue
            if node is not root and self._skip(node, in_article):
                continue
            if name == "br":
                self.buf.append("\n")
                continue
            if name in _HTML_HEADINGS:
                self.flush()
                text = self.inline_text(node)
                if text:
                    self.blocks.append("#" * _HTML_HEADINGS[name] + " " + text)
                continue
            if name == "pre":
                self.flush()
                text = clean_text(self.inline_text(node, keep_newlines=True))
                if text:
                    self.blocks.append(text)
                continue
            if name == "tr" and node.find(_HTML_ROW_LAYOUT_MARKERS) is None and node.find("tr") is None:
                self.flush()
                cells = [self.inline_text(c) for c in node.find_all(["td", "th"], recursive=False)]
                row = " | ".join(c for c in cells if c)
                if row:
                    self.blocks.append(row)
                continue
            if name in _HTML_BLOCKS:
                self.flush()
                if name == "li":
                    parent = node.parent
                    if parent is not None and parent.name == "ol":
                        index = self.ol_counts.get(id(parent), 0) + 1
                        self.ol_counts[id(parent)] = index
                        self.prefix = f"{index}. "
                    else:
                        self.prefix = "- "
            child_in_article = in_article or name in ("article", "main")
            stack.append((node, True, in_article))
            for child in reversed(node.contents):
                stack.append((child, False, child_in_article))
        self.flush()
        return "\n\n".join(self.blocks)


def _make_soup(text: str) -> Any:
    """BeautifulSoup tree: lxml when installed (faster, HTML-aware recovery), else html.parser."""
    import warnings as _warnings

    from bs4 import BeautifulSoup

    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")  # MarkupResemblesLocator / XMLParsedAsHTML noise
        try:
            return BeautifulSoup(text, "lxml")
        except Exception:  # noqa: BLE001 - lxml missing (FeatureNotFound) or choked: fall back
            return BeautifulSoup(text, "html.parser")


def parse(data: bytes) -> Parsed:
    check_not_binary(data)
    text, warnings = _decode_html(data)
    soup = _make_soup(text)

    title: str | None = None
    if soup.title is not None:
        title = _collapse(soup.title.get_text(" ")) or None
    if title is None:
        h1 = soup.find("h1")
        if h1 is not None:
            title = _collapse(h1.get_text(" ")) or None

    root = soup.body if soup.body is not None else soup
    body = _HtmlRenderer(strict=True).render(root)
    if not body.strip():
        # Everything was page chrome (or hidden): better some text than none.
        body = _HtmlRenderer(strict=False).render(root)
        if body.strip():
            warnings.append("no main content found; kept navigation/header/footer text")
    metadata: dict[str, Any] = {}
    html_tag = soup.find("html")
    if html_tag is not None:
        lang = html_tag.get("lang")
        if isinstance(lang, str) and lang.strip():
            metadata["lang"] = lang.strip()
    body = finish_text(body, warnings)
    if not body:
        raise SkipInput("empty file (no visible text)")
    return Parsed(title, body, metadata, warnings)
