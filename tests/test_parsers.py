"""Tests for pgvsearch.parsers (files -> text). Pure, fast, inputs built in tmp_path."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from pgvsearch.sources import formats
from pgvsearch.sources.formats import html as html_format
from pgvsearch.sources.formats import jsonl as jsonl_format
from pgvsearch.sources import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_SUFFIXES,
    Skipped,
    SourceDocument,
    decode_text,
    discover,
    is_binary,
    parse_file,
    parse_stream,
)

# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF with one Helvetica text line per page ("" = page without text)."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objects: dict[int, bytes] = {}
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[2] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(pages)
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    for pid, text in zip(page_ids, pages):
        content = (f"BT /F1 12 Tf 72 720 Td ({esc(text)}) Tj ET" if text else "").encode("latin-1")
        objects[pid] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pid + 1)
        )
        objects[pid + 1] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    info_id = None
    if title is not None:
        info_id = max(objects) + 1
        objects[info_id] = b"<< /Title (" + esc(title).encode("latin-1") + b") >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for num in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[num])
    info = b" /Info %d 0 R" % info_id if info_id else b""
    out.write(b"trailer\n<< /Size %d /Root 1 0 R" % size + info + b" >>\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypt_pdf(data: bytes, user_password: str, owner_password: str | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password=owner_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def parse_one(path: Path, root: Path | None = None, **kwargs: Any) -> SourceDocument | Skipped:
    items = list(parse_file(path, root or path.parent, **kwargs))
    assert len(items) == 1, items
    return items[0]


def parse_doc(path: Path, root: Path | None = None, **kwargs: Any) -> SourceDocument:
    item = parse_one(path, root, **kwargs)
    assert isinstance(item, SourceDocument), item
    return item


def parse_skip(path: Path, root: Path | None = None, **kwargs: Any) -> Skipped:
    item = parse_one(path, root, **kwargs)
    assert isinstance(item, Skipped), item
    return item


def only_docs(items: Iterable[SourceDocument | Skipped]) -> list[SourceDocument]:
    docs = list(items)
    assert all(isinstance(d, SourceDocument) for d in docs), docs
    return [d for d in docs if isinstance(d, SourceDocument)]


def found(root: Path, **kwargs: Any) -> list[str]:
    """Relative paths discover() yields under ``root`` (Skipped entries ignored)."""
    out = []
    for item in discover([str(root)], **kwargs):
        if not isinstance(item, Skipped):
            file_path, file_root = item
            out.append(file_path.relative_to(file_root).as_posix())
    return out


@pytest.fixture(params=["lxml", "html.parser"])
def html_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run an HTML test with each BeautifulSoup tree builder (lxml is optional)."""
    backend: str = request.param
    if backend == "lxml":
        pytest.importorskip("lxml")
    else:
        from bs4 import BeautifulSoup

        def soup(text: str) -> Any:
            return BeautifulSoup(text, "html.parser")

        monkeypatch.setattr(html_format, "_make_soup", soup)
    return backend


# ------------------------------------------------------------------------------------------
# module hygiene
# ------------------------------------------------------------------------------------------


def test_import_is_light() -> None:
    code = (
        "import sys, pgvsearch.sources; "
        "print(sorted(m for m in ('pypdf', 'bs4', 'lxml', 'charset_normalizer') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"


def test_constants() -> None:
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024
    assert SUPPORTED_SUFFIXES == frozenset(
        {".txt", ".text", ".md", ".markdown", ".rst", ".html", ".htm", ".pdf", ".jsonl", ".ndjson", ".json"}
    )


def test_dataclasses_are_frozen() -> None:
    doc = SourceDocument("a", "a", "t", "x", "txt", {})
    with pytest.raises(AttributeError):
        doc.text = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        Skipped("p", "r").reason = "z"  # type: ignore[misc]


# ------------------------------------------------------------------------------------------
# titles and text per format
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "title", "text_has", "text_lacks"),
    [
        ("notes.txt", "Shopping list\n\neggs\nmilk\n", "Shopping list", ["eggs\nmilk"], []),
        ("long.txt", "x" * 121 + "\nsecond\n", "long", ["second"], []),
        ("plain.text", "\n\n  First line  \nrest", "First line", ["rest"], []),
        ("a.md", "Intro\n\n# Main *Title*\n\n## Sub\n\nBody\n", "Main Title", ["# Main *Title*", "## Sub"], []),
        (
            "fm.md",
            '---\ntitle: "From Front Matter"\nauthor: Ada\n---\n# Heading\n\nBody\n',
            "From Front Matter",
            ["# Heading"],
            ["author: Ada", "---"],
        ),
        ("setext.markdown", "Big Title\n=========\n\nBody\n", "Big Title", ["Body"], []),
        ("fenced.md", "```\n# not a title\n```\n\n# Real\n", "Real", ["# not a title"], []),
        ("none.md", "just text, no heading\n", "none", ["just text"], []),
        ("doc.rst", "Doc Title\n=========\n\nBody text.\n", "Doc Title", ["Body text."], []),
        ("over.rst", "=======\n Over  \n=======\n\nSub\n---\n\ntext\n", "Over", ["text"], []),
        ("notitle.rst", "Just a paragraph.\nAnother line.\n", "notitle", ["Another line."], []),
        (
            "page.html",
            "<html><head><title>Page &amp; Title</title></head><body><h1>H</h1><p>Body</p></body></html>",
            "Page & Title",
            ["# H", "Body"],
            [],
        ),
        ("h1.htm", "<body><h1>First <em>H1</em></h1><p>text</p></body>", "First H1", ["# First H1"], []),
    ],
)
def test_title_and_text(
    tmp_path: Path, name: str, content: str, title: str, text_has: list[str], text_lacks: list[str]
) -> None:
    doc = parse_doc(write(tmp_path / name, content))
    assert doc.title == title
    for fragment in text_has:
        assert fragment in doc.text
    for fragment in text_lacks:
        assert fragment not in doc.text
    assert doc.format == formats.SUFFIX_FORMAT[Path(name).suffix]


@pytest.mark.parametrize(
    ("html", "title", "text"),
    [
        ("<title> Spaced\n Title </title><h1>H</h1>", "Spaced Title", "# H"),
        ("<body><h1>Only <em>H1</em></h1><p>p</p></body>", "Only H1", "# Only H1\n\np"),
        ("<p>unclosed<p>paragraphs<li>and<li>items", "x", "unclosed\n\nparagraphs\n\n- and\n\n- items"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "x", "a | b\n\nc | d"),
        (
            "<table><tr><td><h2>Layout</h2><p>cell one</p></td><td><p>cell two</p></td></tr></table>",
            "x",
            "## Layout\n\ncell one\n\ncell two",
        ),
        ("<ol><li>first</li><li>second</li></ol>", "x", "1. first\n\n2. second"),
        ("<pre>  code\n    indented</pre>", "x", "  code\n    indented"),
        ("<p>a&nbsp;b &mdash; &#x41;&#66;</p>", "x", "a b \u2014 AB"),
    ],
)
def test_html_rendering(tmp_path: Path, html_backend: str, html: str, title: str, text: str) -> None:
    doc = parse_doc(write(tmp_path / "x.html", html))
    assert doc.text == text
    assert doc.title == title


def test_html_unclosed_table_cells_stay_apart(tmp_path: Path, html_backend: str) -> None:
    doc = parse_doc(write(tmp_path / "t.html", "<table><tr><td>a<td>b<tr><td>c<td>d</table>"))
    if html_backend == "lxml":
        assert doc.text == "a | b\n\nc | d"
    else:  # html.parser nests unclosed cells; words must still not run together
        assert doc.text.split() == ["a", "b", "c", "d"]


def test_file_document_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "sub" / "dir" / "n.md", "# T\n\nbody   \r\n\r\n\r\n\r\nmore\t \n\n\n")
    doc = parse_doc(path, tmp_path)
    assert doc.doc_id == "sub/dir/n.md"
    assert doc.source == str(path)
    assert doc.text == "# T\n\nbody\n\nmore"  # CRLF normalised, trailing blanks trimmed, runs collapsed
    st = path.stat()
    assert doc.metadata == {"path": str(path), "size": st.st_size, "mtime": st.st_mtime}
    assert doc.warnings == ()
    json.dumps(doc.metadata)


def test_markdown_front_matter_goes_to_metadata(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.md",
        "---\ntitle: Post\ndate: 2024-01-02\ntags:\n  - a\n  - b\nsummary: 'quoted'\n---\nBody\n",
    )
    doc = parse_doc(path)
    assert doc.title == "Post"
    assert doc.text == "Body"
    assert doc.metadata["date"] == "2024-01-02"
    assert doc.metadata["summary"] == "quoted"
    assert "tags" not in doc.metadata  # nested values are not "simple key: value" pairs
    assert "title" not in doc.metadata


def test_markdown_thematic_break_is_not_front_matter(tmp_path: Path) -> None:
    doc = parse_doc(write(tmp_path / "hr.md", "---\nSome text here.\n---\n\nMore\n"))
    assert doc.text.startswith("---\nSome text here.")


def test_html_boilerplate_removed_structure_kept(tmp_path: Path, html_backend: str) -> None:
    html = """<!DOCTYPE html>
<html lang="en"><head><title>T</title><style>body { color: red }</style>
<script>var tracking = "SCRIPTTEXT";</script></head>
<body>
<nav><a href="/">NAVTEXT Home</a></nav>
<header><p>SITEHEADER</p></header>
<noscript>NOSCRIPTTEXT</noscript>
<!-- COMMENTTEXT -->
<main>
  <article>
    <header><h1>Article  Title</h1></header>
    <p>First &amp; foremost,
       a paragraph.</p>
    <h2>Section</h2>
    <p>Second<br>line two &lt;ok&gt; &eacute;t&eacute;</p>
    <ul><li>item one</li><li>item two</li></ul>
    <table><tr><th>k</th><th>v</th></tr><tr><td>1</td><td>2</td></tr></table>
    <div hidden>HIDDENTEXT</div>
    <template>TEMPLATETEXT</template>
    <svg><text>SVGTEXT</text></svg>
  </article>
</main>
<aside>ASIDETEXT</aside>
<form><input name="q"><button>FORMTEXT</button></form>
<iframe src="x">IFRAMETEXT</iframe>
<footer>FOOTERTEXT (c) 2024</footer>
</body></html>"""
    doc = parse_doc(write(tmp_path / "a.html", html))
    for junk in (
        "SCRIPTTEXT", "color: red", "NAVTEXT", "SITEHEADER", "NOSCRIPTTEXT", "COMMENTTEXT",
        "HIDDENTEXT", "TEMPLATETEXT", "SVGTEXT", "ASIDETEXT", "FORMTEXT", "IFRAMETEXT", "FOOTERTEXT",
    ):
        assert junk not in doc.text, junk
    assert doc.text.split("\n\n") == [
        "# Article Title",
        "First & foremost, a paragraph.",
        "## Section",
        "Second\nline two <ok> été",
        "- item one",
        "- item two",
        "k | v",
        "1 | 2",
    ]
    assert doc.title == "T"
    assert doc.metadata["lang"] == "en"


def test_html_meta_charset_and_fallback(tmp_path: Path, html_backend: str) -> None:
    data = '<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body><p>cr\xe8me br\xfbl\xe9e</p></body></html>'
    doc = parse_doc(write(tmp_path / "l.html", data.encode("latin-1")))
    assert doc.title == "Café"
    assert doc.text == "crème brûlée"


def test_html_only_chrome_falls_back_to_some_text(tmp_path: Path, html_backend: str) -> None:
    doc = parse_doc(write(tmp_path / "sitemap.html", "<body><nav><ul><li>Only links</li></ul></nav></body>"))
    assert "Only links" in doc.text


def test_html_whole_page_form_keeps_content(tmp_path: Path, html_backend: str) -> None:
    html = "<body><form id=form1><h1>Title</h1><p>Real content</p><input value=x></form></body>"
    doc = parse_doc(write(tmp_path / "aspx.html", html))
    assert doc.text == "# Title\n\nReal content"


def test_html_deep_nesting_does_not_recurse(tmp_path: Path, html_backend: str) -> None:
    html = "<div>" * 5000 + "deep text" + "</div>" * 5000
    doc = parse_doc(write(tmp_path / "deep.html", html))
    assert doc.text == "deep text"


def test_pdf_text_and_metadata_title(tmp_path: Path) -> None:
    path = write(tmp_path / "r.pdf", make_pdf(["Hello (page) one", "Second page"], title="Report 2024"))
    doc = parse_doc(path)
    assert doc.title == "Report 2024"
    assert doc.text == "Hello (page) one\n\nSecond page"
    assert doc.format == "pdf"
    assert doc.metadata["pages"] == 2


def test_pdf_without_title_uses_stem(tmp_path: Path) -> None:
    assert parse_doc(write(tmp_path / "my-report.pdf", make_pdf(["x y"]))).title == "my-report"


def test_pdf_encrypted_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.pdf", encrypt_pdf(make_pdf(["classified"]), "hunter2"))
    assert parse_skip(path).reason == "encrypted PDF"


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "open.pdf", encrypt_pdf(make_pdf(["readable"]), "", owner_password="owner"))
    assert parse_doc(path).text == "readable"


@pytest.mark.parametrize(
    "data",
    [
        make_pdf(["Hello world"])[:250],
        make_pdf(["Hello world"])[:30],
        b"%PDF-1.4\nthis is not really a pdf\n",
        b"<html>saved with the wrong extension</html>",
    ],
    ids=["truncated-half", "truncated-header", "junk-after-header", "not-a-pdf"],
)
def test_pdf_broken_is_skipped(tmp_path: Path, data: bytes) -> None:
    skipped = parse_skip(write(tmp_path / "bad.pdf", data))
    assert skipped.reason.startswith("broken PDF: ")
    assert len(skipped.reason) < 200


def test_pdf_without_text_layer_is_skipped(tmp_path: Path) -> None:
    skipped = parse_skip(write(tmp_path / "scan.pdf", make_pdf(["", ""])))
    assert skipped.reason == "PDF has no text layer (scanned?)"


def test_pdf_parsing_does_not_print_warnings(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    parse_skip(write(tmp_path / "bad.pdf", make_pdf(["Hello"])[:250]))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# ------------------------------------------------------------------------------------------
# JSONL
# ------------------------------------------------------------------------------------------


def test_jsonl_beir_records_with_metadata(tmp_path: Path) -> None:
    lines = [
        {"_id": "d1", "title": "First", "text": "Alpha text", "metadata": {"url": "http://x"}, "year": 2020},
        {"id": 42, "contents": "Beta text"},
        {"_id": "d3", "title": "", "body": "Gamma text", "lang": "en"},
    ]
    path = write(tmp_path / "corpus.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    docs = only_docs(parse_file(path, tmp_path))
    d1, d2, d3 = docs
    assert (d1.doc_id, d1.title, d1.text, d1.format) == ("d1", "First", "Alpha text", "jsonl")
    assert d1.metadata == {"metadata": {"url": "http://x"}, "year": 2020, "path": str(path), "line": 1}
    assert d1.source == f"{path}#L1"
    assert (d2.doc_id, d2.text, d2.title) == ("42", "Beta text", "")
    assert d2.metadata == {"path": str(path), "line": 2}
    assert (d3.doc_id, d3.text) == ("d3", "Gamma text")
    assert d3.metadata["lang"] == "en"
    for d in docs:
        json.dumps(d.metadata)


def test_jsonl_bad_lines_reported_with_line_numbers_others_kept(tmp_path: Path) -> None:
    content = "\n".join(
        [
            '{"_id": "a", "text": "ok a"}',
            '{"_id": "b", "text": "broken',  # line 2: malformed
            "",  # blank lines are ignored
            '{"_id": "c", "title": "no text"}',  # line 4: missing text field
            '{"_id": "d", "text": "   "}',  # line 5: empty text
            "[1, 2, 3]",  # line 6: not an object
            '{"_id": "e", "text": "ok e"}',
        ]
    )
    path = write(tmp_path / "c.ndjson", content)
    items = list(parse_file(path, tmp_path))
    docs = [i for i in items if isinstance(i, SourceDocument)]
    skips = [i for i in items if isinstance(i, Skipped)]
    assert [d.doc_id for d in docs] == ["a", "e"]
    assert docs[1].metadata["line"] == 7
    assert [(s.path, s.line) for s in skips] == [(str(path), 2), (str(path), 4), (str(path), 5), (str(path), 6)]
    assert skips[0].reason.startswith("malformed JSON on line 2: ")
    assert skips[1].reason == "missing text field on line 4"
    assert skips[2].reason == "empty text on line 5"
    assert skips[3].reason == "line 6 is not a JSON object"


def test_jsonl_record_details(tmp_path: Path) -> None:
    content = "\n".join(
        [
            '{"text": "no id here"}',
            '{"_id": "n", "text": "nul\\u0000inside", "score": NaN}',
        ]
    )
    path = write(tmp_path / "sub" / "x.jsonl", content)
    d1, d2 = list(parse_file(path, tmp_path))
    assert isinstance(d1, SourceDocument) and isinstance(d2, SourceDocument)
    assert d1.doc_id == "sub/x.jsonl#L1"
    assert d1.warnings
    assert d2.text == "nulinside"
    assert "removed 1 NUL byte" in d2.warnings
    assert d2.metadata["score"] is None  # NaN is not valid JSON for jsonb
    json.dumps(d2.metadata, allow_nan=False)


def test_jsonl_overlong_line_skipped_others_kept(tmp_path: Path) -> None:
    content = '{"_id": "big", "text": "' + "x" * 500 + '"}\n{"_id": "small", "text": "fine"}\n'
    path = write(tmp_path / "c.jsonl", content)
    items = list(parse_file(path, tmp_path, max_bytes=200))
    assert isinstance(items[0], Skipped) and (items[0].path, items[0].line) == (str(path), 1)
    assert "larger than max size" in items[0].reason
    assert isinstance(items[1], SourceDocument) and items[1].doc_id == "small"


def test_jsonl_binary_or_empty_file_skipped(tmp_path: Path) -> None:
    assert "binary" in parse_skip(write(tmp_path / "b.jsonl", b"\x1f\x8b\x08\x00" + bytes(200))).reason
    assert parse_skip(write(tmp_path / "e.jsonl", "\n\n  \n")).reason == "empty file"


# ------------------------------------------------------------------------------------------
# decoding and binary detection
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text", "warning"),
    [
        (b"plain ascii", "plain ascii", None),
        ("héllo wörld".encode(), "héllo wörld", None),
        (b"\xef\xbb\xbfbom utf8", "bom utf8", None),
        (b"caf\xe9 cr\xe8me", "café crème", "decoded as"),
        ("“Smart” quotes – dash".encode("cp1252"), "“Smart” quotes – dash", "decoded as"),
        ("Grüße aus München".encode("latin-1"), "Grüße aus München", "decoded as"),
        ("Привет, как дела? Это тест.".encode("cp1251"), "Привет, как дела? Это тест.", "decoded as"),
        ("utf16 text".encode("utf-16"), "utf16 text", "UTF-16"),
        ("utf16le no bom, mostly ascii".encode("utf-16-le"), "utf16le no bom, mostly ascii", "utf-16-le"),
        (b"a\r\nb\rc\n", "a\nb\nc\n", None),
        (b"nul\x00in\x00side", "nulinside", "removed 2 NUL bytes"),
    ],
    ids=[
        "ascii", "utf8", "utf8-bom", "latin1", "cp1252", "latin1-german", "cp1251",
        "utf16-bom", "utf16le-nobom", "newlines", "nul",
    ],
)
def test_decode_text(data: bytes, text: str, warning: str | None) -> None:
    got, warnings = decode_text(data)
    assert got == text
    if warning is None:
        assert warnings == []
    else:
        assert any(warning in w for w in warnings), warnings


def test_decode_text_never_fails() -> None:
    for data in (bytes(range(256)), b"\x81\x8d\x8f\x90\x9d", b"\xff" * 10, b""):
        text, _ = decode_text(data)
        assert isinstance(text, str)
        assert "\x00" not in text


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), True),
        (b"\x7fELF\x02\x01\x01" + bytes(100), True),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", True),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
        (b"GIF89a\x01\x00", True),
        (b"PK\x03\x04\x14\x00\x06\x00", True),
        (b"\x1f\x8b\x08\x00\x00\x00", True),
        (b"MZ\x90\x00\x03\x00\x00\x00", True),
        (bytes(range(32)) * 20, True),
        (bytes(range(256)) * 32, True),
        (bytes(range(256)), True),
        (b"MZ is just how this sentence starts.", False),
        (b"hello world\n" * 100, False),
        (b"hello world\n" * 100 + b"\x00\x00\x00", False),  # a few stray NULs: text
        (b"Title\nsome\x00 text\x00\x00 here\n", False),  # even in a tiny file
        (b"caf\xe9 cr\xe8me\nmore\x00text", False),  # latin-1 with a stray NUL
        ("na\u00efve caf\u00e9 \u2014 text".encode(), False),
        ("utf16 with bom".encode("utf-16"), False),
        ("utf16 without bom".encode("utf-16-le"), False),
        (b"", False),
    ],
)
def test_is_binary(data: bytes, binary: bool) -> None:
    assert is_binary(data) is binary


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG"),
        ("program.md", b"\x7fELF\x02\x01\x01\x00" + bytes(64), "ELF"),
        ("paper.txt", make_pdf(["looks like text?"]), "PDF"),
        ("page.html", b"PK\x03\x04" + bytes(64), "ZIP"),
        ("noise.rst", bytes(range(32)) * 10, None),
    ],
)
def test_binary_files_skipped(tmp_path: Path, name: str, data: bytes, kind: str | None) -> None:
    reason = parse_skip(write(tmp_path / name, data)).reason
    assert reason.startswith("binary file")
    if kind:
        assert f"looks like {kind}" in reason


def test_nul_bytes_removed_with_warning(tmp_path: Path) -> None:
    doc = parse_doc(write(tmp_path / "n.txt", b"Title\nsome\x00 text\x00\x00 here\n"))
    assert doc.text == "Title\nsome text here"
    assert "removed 3 NUL bytes" in doc.warnings


def test_latin1_file_decoded(tmp_path: Path) -> None:
    doc = parse_doc(write(tmp_path / "l.txt", b"caf\xe9 cr\xe8me\n"))
    assert doc.text == "café crème"
    assert any("decoded as" in w for w in doc.warnings)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("blank.md", b"  \n\t\n\r\n"),
        ("nuls.txt", b"  \x00\n\n   \n"),
        ("fm-only.md", b"---\ntitle: x\n---\n\n"),
        ("blank.html", b"<html><head><title>t</title><script>x()</script></head><body> </body></html>"),
        ("empty.pdf", b""),
    ],
)
def test_empty_files_skipped(tmp_path: Path, name: str, data: bytes) -> None:
    assert parse_skip(write(tmp_path / name, data)).reason.startswith("empty file")


def test_oversize_file_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "a" * 3000)
    skipped = parse_skip(path, max_bytes=1024)
    assert skipped.reason == "larger than max size (2.9 KB > 1 KB)"
    big = write(tmp_path / "big2.txt", "a" * (1024 * 1024 + 1))
    assert parse_skip(big, max_bytes=1024 * 1024).reason == (
        "larger than max size (1048577 bytes > 1048576 bytes)"
    )


def test_oversize_read_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that grows after fstat() is still never read past max_bytes + 1."""
    path = write(tmp_path / "grow.txt", "a" * 100)
    real_fstat = os.fstat

    def small_fstat(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        values = list(st)
        values[6] = 10  # st_size
        return os.stat_result(values)

    monkeypatch.setattr(os, "fstat", small_fstat)
    assert parse_skip(path, max_bytes=50).reason.startswith("larger than max size")


def test_long_single_word_is_kept(tmp_path: Path) -> None:
    word = "a" * 5000
    assert parse_doc(write(tmp_path / "w.txt", word)).text == word


def test_unsupported_suffix_in_parse_file(tmp_path: Path) -> None:
    assert parse_skip(write(tmp_path / "x.png", b"\x89PNG")).reason == "unsupported type .png"


def test_parser_bug_becomes_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: bytes) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setitem(formats.PARSERS, "txt", boom)
    reason = parse_skip(write(tmp_path / "x.txt", "hi")).reason
    assert "RuntimeError" in reason and "kaboom" in reason


# ------------------------------------------------------------------------------------------
# unreadable / vanished / special files
# ------------------------------------------------------------------------------------------


def test_unreadable_file_chmod(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not prevent reading")
    path = write(tmp_path / "locked.txt", "secret")
    path.chmod(0)
    try:
        assert parse_skip(path).reason == "permission denied"
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("name", ["locked.txt", "locked.jsonl"])
def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    path = write(tmp_path / name, '{"_id": "x", "text": "y"}')
    real_open = os.open

    def fake_open(p: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(p) == str(path):
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    skipped = parse_skip(path)
    assert skipped == Skipped(str(path), "permission denied")


@pytest.mark.parametrize("name", ["gone.md", "gone.jsonl", "gone.pdf"])
def test_file_deleted_between_discover_and_parse(tmp_path: Path, name: str) -> None:
    write(tmp_path / name, "# x\n")
    (item,) = list(discover([str(tmp_path)]))
    assert not isinstance(item, Skipped)
    item[0].unlink()
    assert parse_skip(*item).reason == "file vanished during the run"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert parse_skip(fifo).reason == "not a regular file"  # must not block
    items = list(discover([str(tmp_path)]))
    assert items == [Skipped(str(fifo), "not a regular file")]


def test_directory_named_like_a_file(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    assert parse_skip(tmp_path / "folder.md").reason == "is a directory"


# ------------------------------------------------------------------------------------------
# discover()
# ------------------------------------------------------------------------------------------


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    for rel in [
        "b.md",
        "a.txt",
        "guide/intro.rst",
        "guide/deep/page.html",
        "guide/deep/report.pdf",
        "data/corpus.jsonl",
        "drafts/wip.md",
        "image.png",
        "README",
        ".hidden.md",
        ".obsidian/cfg.md",
        ".git/HEAD.txt",
        "node_modules/pkg/readme.md",
        "__pycache__/x.txt",
        ".venv/lib/site.txt",
    ]:
        write(root / rel, "x")
    return root


def test_discover_skips_hidden_and_vcs_sorted(tree: Path) -> None:
    items = list(discover([str(tree)]))
    assert all(not isinstance(i, Skipped) for i in items)
    assert all(r == tree for _, r in items)  # type: ignore[misc]
    assert found(tree) == [
        "a.txt",
        "b.md",
        "data/corpus.jsonl",
        "drafts/wip.md",
        "guide/deep/page.html",
        "guide/deep/report.pdf",
        "guide/intro.rst",
    ]


def test_discover_include_hidden(tree: Path) -> None:
    got = found(tree, include_hidden=True)
    for rel in [".hidden.md", ".obsidian/cfg.md", ".git/HEAD.txt", "node_modules/pkg/readme.md"]:
        assert rel in got


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (["*.md"], [], ["b.md", "drafts/wip.md"]),
        (["**/*.md"], [], ["b.md", "drafts/wip.md"]),
        (["guide/**"], [], ["guide/deep/page.html", "guide/deep/report.pdf", "guide/intro.rst"]),
        (["intro.rst", "*.pdf"], [], ["guide/deep/report.pdf", "guide/intro.rst"]),
        ([], ["drafts"], ["a.txt", "b.md", "data/corpus.jsonl", "guide/deep/page.html", "guide/deep/report.pdf", "guide/intro.rst"]),
        ([], ["**/deep/**", "*.jsonl"], ["a.txt", "b.md", "drafts/wip.md", "guide/intro.rst"]),
        ([], ["guide/"], ["a.txt", "b.md", "data/corpus.jsonl", "drafts/wip.md"]),
        (["*.md", "*.txt"], ["drafts/*"], ["a.txt", "b.md"]),
    ],
)
def test_discover_include_exclude(tree: Path, include: list[str], exclude: list[str], expected: list[str]) -> None:
    assert found(tree, include=include, exclude=exclude) == expected


def test_discover_named_files_and_missing_paths(tree: Path, tmp_path: Path) -> None:
    items = list(
        discover([str(tree / "guide" / "intro.rst"), str(tree / "image.png"), str(tmp_path / "nope"), "-"])
    )
    assert items[0] == (tree / "guide" / "intro.rst", tree / "guide")
    assert items[1] == Skipped(str(tree / "image.png"), "unsupported type .png")
    assert items[2] == Skipped(str(tmp_path / "nope"), "no such file or directory")
    assert len(items) == 3  # "-" is the caller's business


def test_discover_named_files_bypass_hidden_and_globs(tree: Path) -> None:
    assert list(discover([str(tree / ".hidden.md")])) == [(tree / ".hidden.md", tree)]
    assert list(discover([str(tree / "b.md")], include=["*.txt"], exclude=["b.md"])) == [(tree / "b.md", tree)]


def test_discover_yields_each_file_once(tree: Path) -> None:
    items = list(discover([str(tree), str(tree / "guide"), str(tree / "b.md")]))
    paths = [str(f) for f, _ in items]  # type: ignore[misc]
    assert len(paths) == len(set(paths)) == 7


def test_discover_symlink_loop_terminates(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "a" / "doc.md", "# hi")
    os.symlink(root, root / "a" / "loop")  # a/loop -> root (an ancestor)
    os.symlink("self", root / "self")  # self -> self
    os.symlink(root / "missing.md", root / "dangling.md")

    default = list(discover([str(root)]))
    assert [i for i in default if not isinstance(i, Skipped)] == [(root / "a" / "doc.md", root)]
    reasons = {i.path: i.reason for i in default if isinstance(i, Skipped)}
    assert reasons == {str(root / "dangling.md"): "broken symlink"}

    followed = list(discover([str(root)], follow_symlinks=True))
    docs = [i for i in followed if not isinstance(i, Skipped)]
    assert docs == [(root / "a" / "doc.md", root)]
    assert Skipped(str(root / "a" / "loop"), "symlink loop") in followed


def test_discover_symlinked_dir_followed_only_when_asked(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "ext.md", "x")
    root = tmp_path / "root"
    write(root / "own.md", "x")
    os.symlink(outside, root / "linked")
    assert found(root) == ["own.md"]
    assert found(root, follow_symlinks=True) == ["linked/ext.md", "own.md"]


def test_discover_unreadable_directory(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_scandir = os.scandir
    blocked = str(tree / "guide")

    def fake_scandir(p: Any = ".") -> Any:
        if os.fspath(p) == blocked:
            raise PermissionError(13, "Permission denied", blocked)
        return real_scandir(p)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    items = list(discover([str(tree)]))
    assert Skipped(blocked, "permission denied") in items
    assert "b.md" in [f.name for f, _ in (i for i in items if not isinstance(i, Skipped))]


def test_discover_then_parse_doc_ids(tree: Path) -> None:
    write(tree / "guide" / "intro.rst", "Intro\n=====\n\ntext\n")
    (item,) = [i for i in discover([str(tree)], include=["intro.rst"])]
    doc = parse_doc(*item)  # type: ignore[misc]
    assert doc.doc_id == "guide/intro.rst"
    assert doc.title == "Intro"


# ------------------------------------------------------------------------------------------
# parse_stream()
# ------------------------------------------------------------------------------------------


def test_parse_stream_text() -> None:
    (doc,) = list(parse_stream(io.BytesIO(b"Stdin title\r\nbody\x00\n")))
    assert isinstance(doc, SourceDocument)
    assert (doc.doc_id, doc.source, doc.title, doc.text, doc.format) == (
        "-", "<stdin>", "Stdin title", "Stdin title\nbody", "txt",
    )
    assert "removed 1 NUL byte" in doc.warnings


def test_parse_stream_named_and_sniffed() -> None:
    (md,) = list(parse_stream(io.BytesIO(b"# Named\n\ntext"), name="notes.md"))
    assert isinstance(md, SourceDocument) and (md.doc_id, md.format, md.title) == ("notes.md", "md", "Named")
    (html,) = list(parse_stream(io.BytesIO(b"<!DOCTYPE html><title>X</title><p>hi</p>")))
    assert isinstance(html, SourceDocument) and (html.format, html.text) == ("html", "hi")
    (pdf,) = list(parse_stream(io.BytesIO(make_pdf(["from a pipe"]))))
    assert isinstance(pdf, SourceDocument) and pdf.text == "from a pipe"
    (forced,) = list(parse_stream(io.BytesIO(b'{"not": "jsonl"}'), fmt="txt"))
    assert isinstance(forced, SourceDocument) and forced.format == "txt"


def test_parse_stream_jsonl() -> None:
    data = b'\n  {"_id": "s1", "text": "one"}\n{bad\n{"_id": "s2", "text": "two", "k": 1}\n'
    items = list(parse_stream(io.BytesIO(data)))
    assert [type(i).__name__ for i in items] == ["SourceDocument", "Skipped", "SourceDocument"]
    s1, bad, s2 = items
    assert isinstance(s1, SourceDocument) and s1.doc_id == "s1" and s1.source == "<stdin>#L2"
    assert bad == Skipped("<stdin>", bad.reason, line=3) and "line 3" in bad.reason  # type: ignore[union-attr]
    assert isinstance(s2, SourceDocument) and s2.metadata == {"k": 1, "path": "<stdin>", "line": 4}


def test_parse_stream_large_jsonl_spans_prefix_boundary() -> None:
    lines = [json.dumps({"_id": str(i), "text": f"text {i} " + "y" * 100}) for i in range(2000)]
    items = list(parse_stream(io.BytesIO("\n".join(lines).encode())))
    assert len(items) == 2000
    assert all(isinstance(i, SourceDocument) for i in items)
    assert [i.doc_id for i in items] == [str(i) for i in range(2000)]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty input"), (b" \n ", "empty input"), (b"\x89PNG\r\n\x1a\n" + bytes(20), "binary file (looks like PNG image)")],
)
def test_parse_stream_skips(data: bytes, reason: str) -> None:
    assert list(parse_stream(io.BytesIO(data))) == [Skipped("<stdin>", reason)]


def test_parse_stream_oversize() -> None:
    (item,) = list(parse_stream(io.BytesIO(b"a" * 5000), max_bytes=1000))
    assert isinstance(item, Skipped) and item.reason.startswith("larger than max size")


def test_parse_stream_read_error() -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            raise OSError(5, "Input/output error")

    (item,) = list(parse_stream(Broken()))  # type: ignore[arg-type]
    assert isinstance(item, Skipped) and "Input/output error" in item.reason


def test_jsonl_many_bad_lines_are_summarised(tmp_path: Path) -> None:
    bad = jsonl_format.MAX_REPORTED_BAD_LINES + 7
    content = "\n".join(["not json"] * bad + ['{"_id": "ok", "text": "survivor"}'])
    path = write(tmp_path / "mostly-bad.jsonl", content)
    items = list(parse_file(path, tmp_path))
    docs = [i for i in items if isinstance(i, SourceDocument)]
    skips = [i for i in items if isinstance(i, Skipped)]
    assert [d.doc_id for d in docs] == ["ok"]
    assert len(skips) == jsonl_format.MAX_REPORTED_BAD_LINES + 1
    assert skips[-1] == Skipped(str(path), "7 more bad lines not listed individually")


def test_metadata_is_json_serialisable_everywhere(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\nk: v\n---\n# A\n")
    write(tmp_path / "b.html", "<html lang=de><p>x</p></html>")
    write(tmp_path / "c.pdf", make_pdf(["pdf text"]))
    write(tmp_path / "d.jsonl", '{"_id": "1", "text": "t", "nested": {"a": [1, 2.5, null, true]}}\n')
    docs = [d for item in discover([str(tmp_path)]) if not isinstance(item, Skipped) for d in parse_file(*item)]
    assert len(docs) == 4 and all(isinstance(d, SourceDocument) for d in docs)
    for d in docs:
        json.dumps(d.metadata, allow_nan=False)  # type: ignore[union-attr]
