"""Markdown: front matter (simple YAML/TOML pairs) becomes metadata; attribute lists and inline
HTML are rendered to text outside code (:mod:`.markdown_text`); the title is the front
matter's ``title`` or the first level-1 heading outside code fences."""

from __future__ import annotations

import re

from ..decode import check_not_binary, decode_text
from ..document import Parsed
from ..reasons import short
from ..text import finish_text
from .markdown_text import render_markdown


_FM_KEY_RE = re.compile(r"^([A-Za-z_][\w.\-]*)\s*:\s*(.*?)\s*$")
_FM_TOML_KEY_RE = re.compile(r"^([A-Za-z_][\w.\-]*)\s*=\s*(.*?)\s*$")
_ATX_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1_RE = re.compile(r"^ {0,3}=+[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS_RE = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split YAML (``---``) or TOML (``+++``) front matter; simple pairs only, else none."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() not in ("---", "+++"):
        return {}, text
    fence = lines[0].rstrip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    key_re = _FM_KEY_RE if fence == "---" else _FM_TOML_KEY_RE
    pairs: dict[str, str] = {}
    for i in range(1, min(len(lines), 1000)):
        line = lines[i]
        if line.rstrip() in closers:
            if not pairs:
                return {}, text
            return pairs, "\n".join(lines[i + 1 :])
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" or line.lstrip().startswith("- "):
            continue  # nested value / list item: accepted, not kept
        m = key_re.match(line)
        if not m:
            return {}, text  # not front matter after all (e.g. a thematic break)
        key, value = m.group(1), m.group(2)
        if value and value[0] not in "|>&*" and value not in ("[", "{"):
            pairs.setdefault(key, _unquote(value))
    return {}, text


def _md_inline_to_text(s: str) -> str:
    s = _MD_LINK_RE.sub(r"\1", s)
    for _ in range(3):
        new = _MD_EMPHASIS_RE.sub(r"\2", s)
        if new == s:
            break
        s = new
    return s


def _markdown_title(text: str) -> str | None:
    lines = text.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE_RE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        m = _ATX_H1_RE.match(line)
        if m:
            return _md_inline_to_text(m.group(1).strip())
        if (
            line.strip()
            and not line.startswith(("    ", "\t"))
            and i + 1 < len(lines)
            and _SETEXT_H1_RE.match(lines[i + 1])
        ):
            return _md_inline_to_text(line.strip())
    return None


def parse(data: bytes) -> Parsed:
    check_not_binary(data)
    text, warnings = decode_text(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    front, body = _split_front_matter(text)
    try:
        body = render_markdown(body)
    except Exception as e:  # noqa: BLE001 - index the markup as written rather than lose the file
        warnings.append(f"Markdown markup not rendered ({short(e)}); indexed as written")
    body = finish_text(body, warnings)
    title = _unquote(front.pop("title", "").strip()) or _markdown_title(body)
    return Parsed(title, body, dict(front), warnings)
