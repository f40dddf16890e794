"""Sphinx tolerance for docutils: every role and directive docutils lacks keeps its text.

Sphinx projects use roles and directives plain docutils does not know (``:class:``,
``.. code-block::``, ``.. versionadded::``, ``.. toctree::`` ...). While :func:`tolerant` is
active on a thread, docutils' two lookup functions answer for them: a role keeps its text
(``:class:`~flask.Flask``` -> ``Flask``), a directive keeps its arguments and content, code
directives become literal blocks, and navigation-only directives (toctrees, indexes, module
markers) contribute nothing. Directives that read files or define roles for the rest of the
process (``include``, ``raw``, ``role``, ``default-role``) are silenced.

Nothing is registered in docutils' global tables: the lookups are wrapped once, and the
wrappers answer differently only on a thread inside :func:`tolerant`, so any other user of
docutils in the process (a Sphinx build, another thread) sees docutils unchanged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Directives that steer navigation, indexing, rendering or read files: they carry no text a reader wants.
SILENT_DIRECTIVES = frozenset({
    "toctree", "index", "currentmodule", "module", "highlight", "sectionauthor", "codeauthor",
    "moduleauthor", "tabularcolumns", "contents", "sectnum", "header", "footer", "target-notes",
    "include", "literalinclude", "raw", "meta", "role", "default-role", "default-domain", "title",
    "graphviz", "graph", "digraph", "inheritance-diagram", "plot", "mermaid", "program",
    "testsetup", "testcleanup", "todolist",
})
#: Directives whose content is code: kept verbatim; the first argument names the language.
CODE_DIRECTIVES = frozenset({"code-block", "sourcecode", "code", "doctest", "testcode", "testoutput", "ipython"})
#: Sphinx's version notes, written as Sphinx renders them.
VERSION_LABELS = {
    "versionadded": "New in version {}.", "versionchanged": "Changed in version {}:",
    "deprecated": "Deprecated since version {}:", "versionremoved": "Removed in version {}:",
}
#: Directives whose arguments are markup, not text (conditions, classes, an image path): content only.
CONTENT_ONLY = frozenset({"only", "ifconfig", "rst-class", "cssclass", "hlist"})
#: Object descriptions (``.. function:: get(url, **kwargs)``): the signature is kept as written.
SIGNATURES = frozenset({
    "function", "class", "method", "attribute", "data", "exception", "decorator", "decoratormethod",
    "classmethod", "staticmethod", "property", "describe", "object", "option", "envvar", "type",
})
# A cross-reference with an explicit title: ``title <target>``.
_EXPLICIT_TITLE_RE = re.compile(r"^(.+?)\s*<([^<>]*)>$", re.DOTALL)
#: The node attribute that marks a ``:ref:`` without a title, resolved later to its section's title.
REF_LABEL = "pgvsearch_ref"

_scope = threading.local()
_install_lock = threading.Lock()
_wrapped: dict[str, Any] = {}  # the docutils lookups our wrappers delegate to


def _base_name(name: str) -> str:
    """``py:function`` -> ``function``; names are case-insensitive."""
    return name.lower().rsplit(":", 1)[-1]


def role_text(name: str, text: str) -> tuple[str, str | None]:
    """What a reader sees of a Sphinx role, and the label of a ``:ref:`` to resolve (or None).

    ``title <target>`` -> title; ``~a.b.c`` -> c; ``!x`` -> x; ``:doc:`/a/b``` -> b."""
    text = " ".join(text.split())
    m = _EXPLICIT_TITLE_RE.match(text)
    if m:
        return m.group(1), None
    text = text.lstrip("!")
    kind = _base_name(name)
    if text.startswith("~"):
        return text[1:].rsplit(".", 1)[-1], None
    if kind == "doc":
        return text.rstrip("/").rsplit("/", 1)[-1], None
    if kind == "menuselection":
        return text.replace("-->", "\u203a"), None
    return text, (text if kind in ("ref", "numref") else None)


def _generic_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
                  options: Any = None, content: Any = None) -> Any:
    from docutils import nodes, utils

    shown, label = role_text(name, utils.unescape(text))
    node = nodes.inline(rawtext, shown)
    if label:
        node[REF_LABEL] = label
    return [node], []


class _AnyOptions(dict):  # type: ignore[type-arg]
    """An option_spec accepting (and dropping) every option: Sphinx directives have many."""

    def __bool__(self) -> bool:
        return True  # docutils parses a directive's options only when its option_spec is truthy

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Any:
        return lambda value: value

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key]


def _directive_class() -> Any:
    """The one directive class answering for every directive docutils lacks (or we override)."""
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class Tolerant(Directive):  # type: ignore[misc]
        required_arguments = 0
        optional_arguments = 1
        final_argument_whitespace = True
        has_content = True
        option_spec = _AnyOptions()

        def run(self) -> list[Any]:
            name = _base_name(self.name)
            argument = " ".join(self.arguments[0].split()) if self.arguments else ""
            if name in SILENT_DIRECTIVES or name.startswith("auto"):
                return []  # auto*: text generated from code that is not here
            if name in CODE_DIRECTIVES:
                code = "\n".join(self.content)
                block = nodes.literal_block(code, code)
                block["language"] = argument.split(" ")[0] if name in ("code-block", "sourcecode", "code") else ""
                return [block]
            container = nodes.container()
            if name in VERSION_LABELS:
                version, _, rest = argument.partition(" ")
                argument = VERSION_LABELS[name].format(version) + (f" {rest}" if rest else "")
            if argument and name in SIGNATURES or ":" in self.name and argument:
                container += nodes.paragraph(argument, argument)
            elif argument and name not in CONTENT_ONLY:
                inline, _ = self.state.inline_text(argument, self.lineno)
                container += nodes.paragraph(argument, "", *inline)
            if self.content:
                self.state.nested_parse(self.content, self.content_offset, container)
            return [container]

    return Tolerant


def _lookup_directive(directive_name: str, language_module: Any, document: Any) -> Any:
    if getattr(_scope, "depth", 0):
        name = _base_name(directive_name)
        if name in SILENT_DIRECTIVES or name in CODE_DIRECTIVES or name in CONTENT_ONLY or name.startswith("auto"):
            return _wrapped["directive_class"], []
        found, messages = _wrapped["directive"](directive_name, language_module, document)
        return (found or _wrapped["directive_class"]), []
    return _wrapped["directive"](directive_name, language_module, document)


def _lookup_role(role_name: str, language_module: Any, lineno: int, reporter: Any) -> Any:
    if getattr(_scope, "depth", 0):
        found, messages = _wrapped["role"](role_name, language_module, lineno, reporter)
        return (found or _generic_role), []
    return _wrapped["role"](role_name, language_module, lineno, reporter)


def _install() -> None:
    """Wrap docutils' two lookups (once; again if someone, e.g. Sphinx, put theirs back over ours)."""
    from docutils.parsers.rst import directives, roles

    if directives.directive is _lookup_directive and roles.role is _lookup_role:
        return
    with _install_lock:
        if "directive_class" not in _wrapped:
            _wrapped["directive_class"] = _directive_class()
        if directives.directive is not _lookup_directive:
            _wrapped["directive"] = directives.directive
            directives.directive = _lookup_directive
        if roles.role is not _lookup_role:
            _wrapped["role"] = roles.role
            roles.role = _lookup_role


@contextmanager
def tolerant() -> Iterator[None]:
    """Within this block, on this thread, docutils accepts Sphinx's roles and directives."""
    _install()
    _scope.depth = getattr(_scope, "depth", 0) + 1
    try:
        yield
    finally:
        _scope.depth -= 1
