"""A docutils document tree -> Markdown-shaped text, as the chunker and the answer reader expect it.

Section titles become ``#`` headings (their depth is the section's), literal blocks become
```` ``` ```` fences (with their language when the markup names one), lists stay lists (nested
items indented), definition and field lists become ``term: definition`` lines, table rows
``a | b``. Inline markup keeps only its text. Comments, targets, substitution definitions and
docutils' own messages contribute nothing.
"""

from __future__ import annotations

import re
from typing import Any

from .rst_sphinx import REF_LABEL

_FOOTNOTE_REF_RE = re.compile(r"\[[^\]\s]*\]_")
_UNRESOLVED_RE = re.compile(r"\|(.+)\|_{0,2}|`(.+)`_{1,2}|([^\s`|]+?)_{1,2}", re.DOTALL)
_EXPLICIT_TARGET_RE = re.compile(r"(.+?)\s*<[^<>]*>", re.DOTALL)

# Nodes that carry no text a reader sees.
_SKIP = frozenset({
    "comment", "substitution_definition", "target", "system_message", "raw", "pending", "meta",
    "decoration", "label", "transition",
})
# Nodes shown as one line of running text.
_PARAGRAPHS = frozenset({"paragraph", "rubric", "caption", "attribution", "subtitle", "line"})


class TextWriter:
    """Walks a doctree into blocks separated by blank lines; ``headings`` lists (depth, title)."""

    def __init__(self) -> None:
        self.headings: list[tuple[int, str]] = []

    def write(self, document: Any) -> str:
        resolve_refs(document)
        blocks = self.blocks(document, 0)
        return "\n\n".join(b for b in blocks if b.strip())

    def blocks(self, node: Any, depth: int) -> list[str]:
        out: list[str] = []
        for child in node.children:
            out.extend(self.block(child, depth))
        return out

    def block(self, node: Any, depth: int) -> list[str]:  # noqa: C901 - one branch per node kind, flat
        from docutils import nodes

        name = node.tagname
        if name in _SKIP or isinstance(node, nodes.Invisible):
            return []
        if isinstance(node, nodes.Text):
            return [_words(node.astext())]
        if name == "section":
            return self.blocks(node, depth + 1)
        if name == "title":
            if isinstance(node.parent, nodes.section):
                heading = _words(node.astext())
                self.headings.append((depth, heading))
                return ["#" * min(max(depth, 1), 6) + " " + heading]
            return [_words(node.astext())]
        if name in ("literal_block", "doctest_block"):
            return [_fence(node.astext(), node.get("language") or _language(node))]
        if name == "math_block":
            return [node.astext()]
        if name in ("bullet_list", "enumerated_list"):
            return [self.list_items(node, depth)]
        if name == "definition_list":
            return [b for item in node.children for b in self.labelled(item, ("term", "classifier"), "definition", depth)]
        if name == "field_list":
            return [b for field in node.children for b in self.labelled(field, ("field_name",), "field_body", depth)]
        if name == "option_list":
            return [b for item in node.children for b in self.labelled(item, ("option_group",), "description", depth)]
        if name == "table":
            return self.blocks_of_table(node)
        if name == "line_block":
            return ["\n".join(_words(line.astext()) for line in node.findall(nodes.line))]
        if name in _PARAGRAPHS:
            return [_words(node.astext())]
        if name == "image":
            return [node["alt"]] if node.get("alt") else []
        return self.blocks(node, depth)  # containers, admonitions, block quotes, footnotes, topics

    def list_items(self, node: Any, depth: int) -> str:
        enumerated = node.tagname == "enumerated_list"
        start = node.get("start", 1) if enumerated else 1
        items = []
        for number, item in enumerate(node.children, start=start):
            marker = f"{number}." if enumerated else "-"
            items.append(_hang(marker, "\n\n".join(b for b in self.blocks(item, depth) if b.strip())))
        return "\n".join(items)

    def labelled(self, item: Any, label_tags: tuple[str, ...], body_tag: str, depth: int) -> list[str]:
        """``label: first block`` then the body's other blocks (definition, field and option lists)."""
        label = " : ".join(_words(c.astext()) for c in item.children if c.tagname in label_tags)
        body = [b for c in item.children if c.tagname == body_tag for b in self.blocks(c, depth) if b.strip()]
        if body and not body[0].startswith(("```", "- ", "#")):
            return [f"{label}: {body[0]}", *body[1:]]
        return [label, *body] if label else body

    def blocks_of_table(self, table: Any) -> list[str]:
        from docutils import nodes

        out = [_words(t.astext()) for t in table.children if t.tagname == "title"]
        for row in table.findall(nodes.row):
            out.append(" | ".join(_words(entry.astext()) for entry in row.children))
        return out


def resolve_refs(document: Any) -> None:
    """A ``:ref:`label``` without a title shows the title of the section it names, as Sphinx does,
    when that section is in the same document; otherwise the label stays. Markup docutils could
    not resolve (a substitution or link target defined in Sphinx's configuration) keeps its text."""
    from docutils import nodes

    for problem in list(document.findall(nodes.problematic)):
        problem.children = []
        problem += nodes.Text(_unmarked(problem.rawsource))
    for node in list(document.findall(nodes.inline)):
        label = node.get(REF_LABEL)
        if not label:
            continue
        target_id = document.nameids.get(nodes.fully_normalize_name(label))
        target = document.ids.get(target_id) if target_id else None
        if isinstance(target, nodes.section) and target.children and isinstance(target[0], nodes.title):
            node.children = []
            node += nodes.Text(_words(target[0].astext()))


def _unmarked(raw: str) -> str:
    """``|name|`` -> name, a link to a missing target -> its text, a footnote reference -> nothing."""
    if _FOOTNOTE_REF_RE.fullmatch(raw):
        return ""
    m = _UNRESOLVED_RE.fullmatch(raw)
    if not m:
        return raw
    inner = next(g for g in m.groups() if g)
    explicit = _EXPLICIT_TARGET_RE.fullmatch(inner)
    return explicit.group(1) if explicit else inner


def _words(text: str) -> str:
    return " ".join(text.split())


def _language(node: Any) -> str:
    classes = [c for c in node.get("classes", []) if c != "code"]
    return classes[0] if classes else ""


def _fence(code: str, language: str) -> str:
    code = code.rstrip("\n")
    longest = max((len(run) for run in code.split("\n") if run.strip("`") == "" and run), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def _hang(marker: str, body: str) -> str:
    """``marker body``, the body's later lines indented under its first (a list item)."""
    pad = " " * (len(marker) + 1)
    lines = body.split("\n") if body else [""]
    return "\n".join([f"{marker} {lines[0]}".rstrip(), *((pad + line) if line else "" for line in lines[1:])])
