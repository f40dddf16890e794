"""The offline answer (`ask` with no language model) on real-world-shaped documentation.

Fixtures: FastAPI-docs-shaped Markdown (tests/fixtures/webdocs) and Flask/Requests-docs-shaped
reStructuredText (tests/fixtures/pydocs), ingested into the real embedded server with the real
packaged model. The judged questions of tests/fixtures/answers.json are what
benchmarks/answers.py counts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, make_collection, run_cli, unique_name

FIXTURES = ROOT / "tests" / "fixtures"
CITATION_RE = re.compile(r" \[(\d+)\]$")


@pytest.fixture(scope="module")
def docs(settings: Any, embedder: Any) -> dict[str, Any]:
    """The two documentation sets, each in its own collection, ingested once for this module."""
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.store import connect

    collections = {}
    with connect(settings) as connection:
        for name in ("webdocs", "pydocs"):
            coll = make_collection(connection, embedder, unique_name(name))
            report = ingest_paths(connection, coll, embedder, [str(FIXTURES / name)])
            assert report.added >= 2 and not report.skipped, report.skipped
            collections[name] = coll
    return collections


def _prose(answer: str) -> list[str]:
    """The answer's quoted lines (not the lines of its code blocks)."""
    lines, in_code = [], False
    for line in answer.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code:
            lines.append(line)
    return lines


# --- reading a passage ---------------------------------------------------------------------
def test_heading_lines_written_by_the_passage_builder_are_never_sentences() -> None:
    from pgvsearch.ask import read_units, split_sentences, window_text

    parts = [
        (2, "CORS { #cors } > Origin { #origin }", "So, all these are different origins and ports."),
        (3, "CORS { #cors } > Use `CORSMiddleware` { #use-corsmiddleware }", "You can configure it in your application using the middleware."),
    ]
    window = window_text(parts, "CORS { #cors }")
    assert window.headings == tuple(p[1] for p in parts)
    assert window.text.splitlines()[0] == parts[0][1], "the heading path is still written for the model"
    sentences = split_sentences(window.text, window.headings)
    assert sentences == ["So, all these are different origins and ports.", "You can configure it in your application using the middleware."]
    assert all(unit.kind == "sentence" for unit in read_units(window.text, window.headings))


def test_code_blocks_are_read_as_code_in_markdown_rest_and_plain_text() -> None:
    from pgvsearch.ask import read_units

    markdown = "# Title\n\nRun the live server:\n\n```console\n$ fastapi dev main.py\n```\n\nThen open the docs page in a browser."
    units = read_units(markdown)
    assert [(u.kind, u.text) for u in units] == [
        ("sentence", "Run the live server:"), ("code", "$ fastapi dev main.py"), ("sentence", "Then open the docs page in a browser.")]
    assert units[1].lang == "console" and units[1].intro == "Run the live server:"

    rest = ("Registering Blueprints\n----------------------\n\nSo how do you register that blueprint?  Like this:\n\n"
            ".. code-block:: python\n\n    app = Flask(__name__)\n    app.register_blueprint(simple_page)\n\n"
            "You will find these rules::\n\n    >>> app.url_map\n\n.. toctree::\n   :maxdepth: 2\n\n   views\n")
    units = read_units(rest)
    assert [u.kind for u in units] == ["sentence", "sentence", "code", "sentence", "code"]
    assert units[0].asks and not units[1].asks and "Registering" not in " ".join(u.text for u in units)
    assert units[2].text == "app = Flask(__name__)\napp.register_blueprint(simple_page)" and units[2].lang == "python"
    assert units[3].text == "You will find these rules:", "'::' reads as ':' and announces the literal block"

    plain = "To reset the cache, run:\n\n    pgvsearch cache clear --all\n\nIt takes a second."
    assert [u.kind for u in read_units(plain)] == ["sentence", "code", "sentence"]
    # A passage that starts inside a code block (chunks are cut anywhere) starts with the rest of it.
    cut = "    return {'ok': True}\n```\n\nFastAPI creates the object for you and passes it on."
    assert [u.kind for u in read_units(cut)] == ["code", "sentence"]


def test_questions_and_restatements_are_not_quoted_but_steps_ending_in_a_label_are() -> None:
    from pgvsearch.ask import read_units
    from pgvsearch.ask.extractive import restates

    units = read_units("So how do you register that blueprint? Like this.\n\n1. Click **Forgot password?**\n")
    assert [u.asks for u in units] == [True, False, False]
    assert units[2].kind == "item" and units[2].text == "Click Forgot password?"
    assert restates("You register a blueprint.", "How do I register a blueprint?")
    assert not restates("Call app.register_blueprint on the application object.", "How do I register a blueprint?")


# --- answers from the fixtures -----------------------------------------------------------------
@pytest.mark.parametrize(("name", "question", "code_line", "heading"), [
    ("pydocs", "How do I register a blueprint?", "app.register_blueprint(simple_page)", "Registering Blueprints"),
    ("webdocs", "How do I enable CORS in FastAPI?", "app.add_middleware(", "CORS (Cross-Origin Resource Sharing)"),
    ("webdocs", "How do I add a background task?", "background_tasks.add_task(", "Background Tasks"),
])
def test_the_offline_answer_shows_the_code_and_never_a_question_or_heading(
        conn: Any, embedder: Any, docs: dict[str, Any], name: str, question: str, code_line: str, heading: str) -> None:
    from pgvsearch.ask import ask

    result = ask(conn, docs[name], embedder, question)
    assert result.mode == "extractive"
    assert code_line in result.answer
    assert "```" in result.answer, "code is shown as a fenced block"
    prose = _prose(result.answer)
    assert not prose[0].startswith(heading) and "{ #" not in result.answer and " > " not in prose[0]
    assert not any(CITATION_RE.sub("", line).endswith("?") for line in prose), "no question is quoted as an answer"
    assert all(CITATION_RE.search(line) for line in prose), "every quoted line carries its citation"
    assert CITATION_RE.search(prose[0]).group(1) == "1", "the first citation is [1]"  # type: ignore[union-attr]


def test_citations_are_numbered_by_first_use_and_sources_follow(docs: dict[str, Any]) -> None:
    result = run_cli("ask", "How do I set a timeout on a request?", "-c", docs["pydocs"].name, "-f", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    cited = [int(CITATION_RE.search(line).group(1)) for line in _prose(data["answer"])]  # type: ignore[union-attr]
    first_use = list(dict.fromkeys(cited))
    assert first_use == list(range(1, len(first_use) + 1)), data["answer"]
    assert [s["n"] for s in data["sources"]] == first_use, "the sources are the cited passages, as numbered in the answer"
    by_n = {s["n"]: s for s in data["sources"]}
    for line in _prose(data["answer"]):
        n = int(CITATION_RE.search(line).group(1))  # type: ignore[union-attr]
        sentence = CITATION_RE.sub("", line)
        if sentence != "Example:":
            assert sentence.rstrip(":") in " ".join(by_n[n]["text"].replace("**", "").split()), (n, sentence)


def test_renumbered_passages_keep_their_text(conn: Any, embedder: Any, docs: dict[str, Any]) -> None:
    """Answer.passages is renumbered with the sources: [n] is passage n, in table and JSON output alike."""
    from pgvsearch.ask import ask, retrieve

    question = "What should I use for heavy background computation?"
    ranked = retrieve(conn, docs["webdocs"], embedder, question)
    result = ask(conn, docs["webdocs"], embedder, question)
    assert sorted(p.n for p in result.passages) == list(range(1, len(ranked) + 1))
    assert {(p.doc_id, p.chunk, p.text) for p in result.passages} == {(p.doc_id, p.chunk, p.text) for p in ranked}
    assert result.sources == result.passages[: len(result.sources)]
    assert "Celery" in result.answer


def test_judged_questions_are_well_formed() -> None:
    judged = json.loads((FIXTURES / "answers.json").read_text())["sets"]
    assert 15 <= sum(len(s["questions"]) for s in judged.values()) <= 25
    for spec in judged.values():
        assert all((ROOT / p).exists() for p in spec["paths"])
        for item in spec["questions"]:
            text = " ".join(p.read_text() for path in spec["paths"] for p in Path(ROOT / path).rglob("*") if p.is_file())
            assert all(part.lower() in text.lower() for part in item["contains"]), item
