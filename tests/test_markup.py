"""Markup rendered, not indexed: reStructuredText (Sphinx), Markdown (MkDocs) and PDF titles.

Fixtures are shaped like real documentation sets: Flask's and Requests' Sphinx docs
(tests/fixtures/pydocs, tests/fixtures/markup/sphinx), FastAPI's MkDocs docs
(tests/fixtures/webdocs, tests/fixtures/markup/mkdocs).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pgvsearch.chunking import Chunker
from pgvsearch.sources import Skipped, SourceDocument, parse_file
from pgvsearch.sources.formats import markdown, pdf, rst
from pgvsearch.sources.formats.pdf_title import first_heading_line, is_placeholder

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# reStructuredText syntax a reader never sees: roles, directives, underlines, substitutions, targets.
RST_SYNTAX = re.compile(r":\w+:`|^\.\. |::$|^[=\-~^\"']{3,}$|\|\w+\||`_", re.MULTILINE)


def parse_one(path: Path) -> SourceDocument | Skipped:
    items = list(parse_file(path, path.parent))
    assert len(items) == 1, items
    return items[0]


def parse(path: Path) -> SourceDocument:
    doc = parse_one(path)
    assert isinstance(doc, SourceDocument), doc
    return doc


def fences(text: str) -> list[str]:
    """The fenced code blocks of a text, fences included."""
    return re.findall(r"^ *(```[^\n]*\n.*?\n *```)$", text, re.DOTALL | re.MULTILINE)


def word_chunker(max_tokens: int = 60) -> Chunker:
    return Chunker(lambda s: len(s.split()), max_tokens=max_tokens, overlap=0)


# ------------------------------------------------------------------------------------------
# reStructuredText
# ------------------------------------------------------------------------------------------


def test_rst_is_rendered_not_indexed_as_markup() -> None:
    doc = parse(FIXTURES / "pydocs" / "flask" / "blueprints.rst")
    assert doc.title == "Modular Applications with Blueprints"
    assert RST_SYNTAX.search(doc.text) is None, RST_SYNTAX.search(doc.text)
    for gone in ("toctree", "currentmodule", "maxdepth", "autoclass", "views\n", "|project|", "rst-class"):
        assert gone not in doc.text
    text = doc.text
    assert text.startswith("# Modular Applications with Blueprints\n")
    assert "\n## Registering Blueprints\n" in text
    assert "New in version 0.7." in text  # a Sphinx directive keeps its text
    assert "A Blueprint object works similarly to a Flask application object" in text  # roles keep theirs
    assert "(see Flask.url_map and Building URLs)" in text  # :ref: shows the section it names
    assert "Flask handles them per blueprint." in text  # |project| substituted
    assert "- Factor an application into a set of blueprints.\n- Register a blueprint" in text
    assert "```python\nfrom flask import Flask\n" in text and "app.register_blueprint(simple_page)\n```" in text
    assert "```\n>>> app.url_map\nMap([<Rule '/static/<filename>' (HEAD, OPTIONS, GET) -> static>])\n```" in text


def test_rst_navigation_only_directives_contribute_nothing() -> None:
    doc = parse(FIXTURES / "pydocs" / "flask" / "index.rst")
    assert doc.text == (
        "# Welcome to Flask\n\nWelcome to Flask's documentation. Flask is a lightweight WSGI web "
        "application framework.\n\n## User's Guide"
    )


def test_rst_sphinx_api_page() -> None:
    doc = parse(FIXTURES / "markup" / "sphinx" / "api.rst")
    text = doc.text
    assert doc.title == "Developer Interface"
    assert RST_SYNTAX.search(text) is None, RST_SYNTAX.search(text)
    for gone in ("On this page", "autofunction", "api/sessions", "requests.RequestException", ":hidden:"):
        assert gone not in text
    assert "get(url, params=None, **kwargs)\n\nSends a GET request. Returns a Response." in text
    assert "Changed in version 2.28: params may be a list of tuples." in text
    assert "ConnectTimeout: The request timed out while trying to connect" in text  # glossary
    assert "```console\n$ curl -I https://httpbin.org/status/307\n```" in text
    assert "ok | 200 | The request succeeded." in text  # table rows
    assert "see Developer Interface and quickstart for version changes" in text
    assert "use Ctrl+C to stop a Run \u203a Stop loop. See the RFC notes" in text
    assert "Report problems on the issue tracker." in text
    # a code block inside a numbered item stays in the item, and a comment in it is code, not a heading
    assert "1. Response.json is now a callable:\n\n   ```python\n   # Configure the session" in text
    assert "\n2. Streaming is off by default" in text


def test_rst_sections_are_the_chunkers_heading_path() -> None:
    doc = parse(FIXTURES / "pydocs" / "flask" / "blueprints.rst")
    chunks = word_chunker().split(doc.text, title=doc.title, markdown=True)
    assert len(chunks) > 2
    registering = next(c for c in chunks if "app.register_blueprint" in c.content)
    assert registering.content.startswith("## Registering Blueprints\n")  # its heading, or:
    url_map = next(c for c in chunks if "app.url_map" in c.content and "## Registering" not in c.content)
    assert url_map.context == "Modular Applications with Blueprints > Registering Blueprints"


def test_rst_title_falls_back_to_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.rst"
    path.write_text("Just a paragraph with :func:`print`.\n", encoding="utf-8")
    doc = parse(path)
    assert (doc.title, doc.text) == ("notes", "Just a paragraph with print.")


def test_rst_only_navigation_is_skipped_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "contents.rst"
    path.write_text(".. toctree::\n   :maxdepth: 2\n\n   intro\n   api\n", encoding="utf-8")
    item = parse_one(path)
    assert isinstance(item, Skipped)
    assert item.reason == "no text: only markup such as toctree or comments"


HOSTILE_RST = {
    "include": ".. include:: /etc/passwd\n\nafter\n",
    "literalinclude": ".. literalinclude:: /etc/passwd\n\nafter\n",
    "raw-file": ".. raw:: html\n   :file: /etc/passwd\n\nafter\n",
    "raw-inline": ".. raw:: html\n\n   <script>alert(1)</script>\n\nafter\n",
    "csv-url": ".. csv-table:: T\n   :url: http://127.0.0.1:9/x.csv\n\nafter\n",
    "csv-file": ".. csv-table:: T\n   :file: /etc/passwd\n\nafter\n",
    "role-directive": ".. role:: custom\n\n.. default-role:: math\n\n:custom:`hello` and `x` after\n",
    "broken-table": "+---+---+\n| a | b\n+---+\n\nafter\n",
    "unknown": ".. frobnicate:: arg\n   :opt: 1\n\n   body\n\n:nosuchrole:`x <y>` |undefined| `nowhere`_ after\n",
    "bad-option": ".. code-block:: python\n   :linenos: yes please\n   :emphasize-lines: x\n\n   x = 1\n\nafter\n",
    "tabs": "Title\n=====\n\n\tTabbed\tparagraph after\n",
    "unterminated": "*emphasis ``literal :role:`x\n\nafter\n",
    "deep-lists": "".join("  " * i + "- item\n\n" for i in range(300)) + "after\n",
    "binary-ish": "T\n=\n\n\x0b\x0c\u202e\ufeff after\n",
}


@pytest.mark.parametrize("source", HOSTILE_RST.values(), ids=HOSTILE_RST.keys())
def test_rst_never_raises_reads_no_file_and_no_network(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import docutils.parsers.rst.directives.misc as misc
    import docutils.parsers.rst.directives.tables as tables

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("docutils opened a URL")

    monkeypatch.setattr(tables, "urlopen", no_network)
    monkeypatch.setattr(misc, "urlopen", no_network)
    parsed = rst.parse(source.encode("utf-8"))
    assert "after" in parsed.text
    assert "root:" not in parsed.text and "<script>" not in parsed.text


def test_rst_docutils_failure_falls_back_to_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(source: str) -> tuple[str, str | None]:
        raise RuntimeError("docutils exploded")

    monkeypatch.setattr(rst, "render", broken)
    parsed = rst.parse(b"Title\n=====\n\nSee :class:`Flask`.\n")
    assert parsed.text == "Title\n=====\n\nSee :class:`Flask`."
    assert parsed.title == "Title"
    assert parsed.warnings == ["reStructuredText not rendered (docutils exploded); indexed as written"]


def test_rst_tolerance_does_not_leak_into_other_docutils_users() -> None:
    """Parsing our way registers nothing in docutils: a plain docutils parse still reports
    Sphinx's roles and directives as unknown, and a `.. default-role::` in a document does
    not change the next document."""
    from docutils.core import publish_doctree
    from docutils.parsers.rst import directives, roles

    rst.parse(b".. default-role:: math\n\n.. toctree::\n\n   a\n\n:class:`Flask` and `x`\n\nT\n=\n")
    assert "class" not in roles._roles and "" not in roles._roles  # type: ignore[attr-defined]
    assert "toctree" not in directives._directives  # type: ignore[attr-defined]
    plain = publish_doctree(
        ":class:`Flask`\n\n.. toctree::\n",
        settings_overrides={"report_level": 5, "halt_level": 5, "_disable_config": True},
    )
    messages = " ".join(m.astext() for m in plain.findall(lambda n: n.tagname == "system_message"))
    assert 'Unknown interpreted text role "class"' in messages
    assert 'Unknown directive type "toctree"' in messages


def test_rst_parses_the_same_on_several_threads() -> None:
    sources = [p.read_bytes() for p in sorted((FIXTURES / "pydocs").rglob("*.rst"))]
    sources.append((FIXTURES / "markup" / "sphinx" / "api.rst").read_bytes())
    expected = [rst.parse(s).text for s in sources]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append([rst.parse(s).text for s in sources * 3][: len(sources)])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [expected] * 4


def test_markup_parsers_are_imported_lazily() -> None:
    code = "import sys, pgvsearch.sources; print(sorted(m for m in ('docutils', 'markdown_it') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------


def test_markdown_attribute_lists_and_html_rendered() -> None:
    path = FIXTURES / "webdocs" / "cors.md"
    doc = parse(path)
    assert doc.title == "CORS (Cross-Origin Resource Sharing)"
    assert "{ #" not in doc.text and "<abbr" not in doc.text and "</abbr>" not in doc.text
    assert doc.text.startswith(
        "# CORS (Cross-Origin Resource Sharing)\n\nCORS (Cross-Origin Resource Sharing) refers to the situations"
    )
    assert "\n## Use `CORSMiddleware`\n" in doc.text  # code spans in headings stay
    assert fences(doc.text) == fences(path.read_text(encoding="utf-8"))  # code byte for byte


def test_markdown_heading_path_has_no_attribute_list() -> None:
    doc = parse(FIXTURES / "webdocs" / "cors.md")
    chunks = word_chunker(50).split(doc.text, title=doc.title, markdown=True)
    assert len(chunks) > 1
    assert all("{" not in c.context for c in chunks)
    assert any(c.context == "CORS (Cross-Origin Resource Sharing) > Use `CORSMiddleware`" for c in chunks)


def test_markdown_mkdocs_page() -> None:
    path = FIXTURES / "markup" / "mkdocs" / "settings.md"
    source = path.read_text(encoding="utf-8")
    doc = parse(path)
    text = doc.text
    prose = re.sub(r"```.*?```|^    .*$", "", text, flags=re.DOTALL | re.MULTILINE)
    assert doc.title == "Settings and Environment Variables"
    for gone in ("{ #", "{: .note }", "{.internal-link", "<a ", "<kbd>", "<br>", "<!--", "TODO", "<script",
                 "tracking", "<details>", "<summary>", "<dfn", "<strong>", "///", "!!!", "&mdash;"):
        assert gone not in prose, gone
    assert "for example secret keys (a secret value used to sign tokens), database credentials" in text
    assert 'If you already know what "environment variables" are, you can skip' in text
    assert "Press Ctrl+C to stop the server." in text
    assert "Values are strings\n\nEvery environment variable is a string, even `\"42\"`." in text
    assert "## Environment Variables\n" in text and "### Read env vars in Python\n" in text
    assert "Full example\n\nCreate a `.env` file \u2014 one KEY=value per line." in text
    # code: fenced, indented, in an admonition, and code spans stay byte for byte
    assert '```html\n<abbr title="kept">HTML inside a fence stays</abbr> { #kept }\n```' in text
    assert "    <b>An indented code block stays too</b> {: .kept }" in text
    assert "# Convert it yourself: <int> is not applied for you {#no-attrs}\n" in text
    assert "`dict[str, List<int>]`-typed value, or a plain `{email}` placeholder." in text
    assert "[Pydantic Settings](https://docs.pydantic.dev/latest/concepts/pydantic_settings/) reads" in text
    assert 'Values are read with `os.getenv("MY_NAME", "World")`.' in source
    assert 'Values are read with `os.getenv("MY_NAME", "World")`.' in text


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# T {#t}\n\nx\n", "# T\n\nx"),
        ("# T { #t .c key=\"v w\" }\n", "# T"),
        ("Para\n{: .lead }\n", "Para"),
        ("[a](b){: target=\"_blank\" } and {name} and {\"k\": 1} and {x}\n", "[a](b) and {name} and {\"k\": 1} and {x}"),
        ("List<T> and <https://example.com> and 3 < 4 > 2\n", "List<T> and <https://example.com> and 3 < 4 > 2"),
        ("a <b>bold</b> <i>it</i> <img src='x.png' alt=\"Logo\"> c\n", "a bold it Logo c"),
        ("`<b>x</b>` and ``a `<i>` b`` stay\n", "`<b>x</b>` and ``a `<i>` b`` stay"),
        ("~~~\n<b>{#x}</b>\n~~~\n", "~~~\n<b>{#x}</b>\n~~~"),
        ("<pre>\n<b>x</b>\n</pre>\n", "<pre>\n<b>x</b>\n</pre>"),
        ("- item <a href='x'>Celery</a>\n\n      <i>code in item</i>\n", "- item Celery\n\n      <i>code in item</i>"),
        ("x &amp; y &lt;z&gt; &copy;\n", "x & y <z> \u00a9"),
        ("no markup at all\n", "no markup at all"),
    ],
)
def test_markdown_rendering_cases(source: str, expected: str) -> None:
    assert markdown.parse(source.encode("utf-8")).text == expected


# ------------------------------------------------------------------------------------------
# PDF titles
# ------------------------------------------------------------------------------------------


def make_pdf(lines: list[tuple[float, str]], title: str | None = None) -> bytes:
    """A one-page PDF drawing each (font size, text) line below the previous one."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops, y = [], 740
    for size, text in lines:
        ops.append(f"BT /F1 {size:g} Tf 72 {y} Td ({esc(text)}) Tj ET")
        y -= int(size * 1.6)
    content = "\n".join(ops).encode("latin-1")
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        5: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    }
    if title is not None:
        objects[6] = b"<< /Title (" + esc(title).encode("latin-1") + b") /Producer (dvips) >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for num in sorted(objects):
        out.write(b"%010d 00000 n \n" % offsets[num])
    info = b" /Info 6 0 R" if title is not None else b""
    out.write(b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref))
    return out.getvalue()


PAPER = [
    (9, "Journal of Documentation, Vol. 13, pp. 1-18"),
    (17, "Relevance Feedback in Information Retrieval"),
    (11, "Jane Doe and John Roe"),
    (10, "Abstract"),
    (10, "We describe a method of query reformulation that uses the documents judged relevant,"),
    (10, "and we measure it on the Cranfield collection of aeronautics abstracts."),
]


@pytest.mark.parametrize(
    ("metadata", "lines", "title"),
    [
        ("Untitled Document", PAPER, "Relevance Feedback in Information Retrieval"),
        ("Microsoft Word - relevance_final.docx", PAPER, "Relevance Feedback in Information Retrieval"),
        ("paper.dvi", PAPER, "Relevance Feedback in Information Retrieval"),
        ("", PAPER, "Relevance Feedback in Information Retrieval"),
        (None, PAPER, "Relevance Feedback in Information Retrieval"),
        ("A Real Title", PAPER, "A Real Title"),  # a real metadata title wins
        # one font everywhere: the first heading-like line, past the running head
        ("Document1", [(10, size_text) for _, size_text in PAPER], "Relevance Feedback in Information Retrieval"),
        # nothing heading-like: the file name
        ("untitled", [(10, "we describe a method of query reformulation that uses the documents judged,")], "paper"),
    ],
)
def test_pdf_placeholder_title_falls_back(tmp_path: Path, metadata: str | None, lines: list[tuple[float, str]], title: str) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(make_pdf(lines, title=metadata))
    assert parse(path).title == title


@pytest.mark.parametrize(
    "placeholder",
    ["Untitled Document", "untitled", "Untitled-1", "", "  ", "Microsoft Word - x.docx", "Microsoft PowerPoint - deck.pptx",
     "Document1", "Title", "No Title", "paper.dvi", "main.tex", "Slide 1", "PowerPoint Presentation", "1", "-", "Unknown"],
)
def test_pdf_placeholder_titles(placeholder: str) -> None:
    assert is_placeholder(placeholder)


@pytest.mark.parametrize("title", ["Attention Is All You Need", "Report 2024", "The Cranfield Experiments", "Untitled Film Stills: A Catalogue"])
def test_pdf_real_titles_are_not_placeholders(title: str) -> None:
    assert not is_placeholder(title)


def test_pdf_heading_line_skips_page_headers_and_fragments() -> None:
    page = "12\nProc. of the ACM SIGIR Conference, 1998\nand the results were\nA Language Modeling Approach\nJay Ponte"
    assert first_heading_line(page) == "A Language Modeling Approach"
    assert first_heading_line("abstract\nthis sentence goes on and on, until\n") is None
    assert pdf.parse(make_pdf([(10, "Hello (page) one")])).title == "Hello (page) one"
