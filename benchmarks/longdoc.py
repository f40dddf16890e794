"""Does one very long document crowd the results? A judged set with a 2,000-chunk changelog.

The corpus is sample_data/ (32 support articles), tests/fixtures/webdocs (three FastAPI pages)
and tests/fixtures/pydocs (Flask and Requests pages), plus a generated release-notes.md of
about 350 KB of changelog bullets that name the same topics (CORS, background tasks, routers,
logging, ...). Every question asks about one of the other documents, so the changelog is never
relevant. For each ranking it prints nDCG@10, MRR@10 and how many questions have the changelog
in their top 5 (docs/quality.md, "Very long documents"). Usage:

    .venv/bin/python benchmarks/longdoc.py [--home DIR] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

LONG_DOC = "webdocs/release-notes.md"
QUESTIONS: list[tuple[str, str]] = [
    ("How do I allow requests from a frontend running on another origin?", "webdocs/cors.md"),
    ("add CORSMiddleware with a list of allowed origins", "webdocs/cors.md"),
    ("what makes two origins different: protocol, domain and port", "webdocs/cors.md"),
    ("run a task after returning a response", "webdocs/background-tasks.md"),
    ("send an email notification in the background after the request", "webdocs/background-tasks.md"),
    ("declare a BackgroundTasks parameter in a path operation function", "webdocs/background-tasks.md"),
    ("What does the simplest FastAPI application look like?", "webdocs/first-steps.md"),
    ("start the live development server with fastapi dev", "webdocs/first-steps.md"),
    ("where do I find the interactive API documentation?", "webdocs/first-steps.md"),
    ("How do I register a blueprint?", "pydocs/flask/blueprints.rst"),
    ("split a Flask application into modular components", "pydocs/flask/blueprints.rst"),
    ("configure logging in flask", "pydocs/flask/logging.rst"),
    ("remove the default log handler of app.logger", "pydocs/flask/logging.rst"),
    ("set a timeout on an HTTP request so it does not hang", "pydocs/requests/timeouts.rst"),
    ("separate connect and read timeouts", "pydocs/requests/timeouts.rst"),
    ("I was charged twice, how do I get a refund?", "sample_data/billing/refunds-and-duplicate-charges.md"),
    ("reset my password", "sample_data/account/password-reset.md"),
    ("the API returns 429 too many requests", "sample_data/api/rate-limits.md"),
    ("receive events with webhooks", "sample_data/api/webhooks.html"),
    ("create an API key and authenticate requests", "sample_data/api/api-keys-and-authentication.md"),
    ("page through list results with a cursor", "sample_data/api/pagination.txt"),
    ("log in with single sign-on through SAML", "sample_data/account/single-sign-on-saml.md"),
    ("which client libraries and SDKs are available?", "sample_data/api/sdks-and-client-libraries.html"),
    ("where is my order? tracking a shipment", "sample_data/shipping/tracking-your-order.txt"),
]

TOPICS = [
    "blueprint-like routers with `APIRouter`", "OpenAPI schema generation", "form data parsing",
    "`Depends()` in WebSockets", "SQL databases tutorial", "custom request classes", "Starlette version bump",
    "`UploadFile` with spooled files", "testing with `TestClient`", "security scopes in OAuth2",
    "background tasks in sub-dependencies", "Pydantic v2 serialization", "logging configuration in `uvicorn`",
    "`response_model_exclude_unset`", "lifespan events", "CORS middleware defaults",
]
VERBS = ["Fix", "Refactor", "Remove", "Upgrade", "Deprecate", "Update docs for", "Improve typing of", "Add support for", "Add docs for"]


def release_notes(size: int = 350_000, seed: int = 14) -> str:
    """A FastAPI-style changelog of about ``size`` characters (the same text for the same seed)."""
    rng = random.Random(seed)
    lines = ["# Release Notes { #release-notes }", ""]
    minor = 130
    while sum(len(line) + 1 for line in lines) < size:
        lines += [f"## 0.{minor}.0 {{ #0{minor}00 }}", ""]
        for section in ("Features", "Fixes", "Docs"):
            lines += [f"### {section}", ""]
            for _ in range(rng.randint(2, 6)):
                pr, dev = rng.randint(1000, 12000), rng.randint(1, 300)
                lines.append(f"* {rng.choice(VERBS)} {rng.choice(TOPICS)}. PR [#{pr}](https://github.com/fastapi/fastapi/pull/{pr}) "
                             f"by [@dev{dev}](https://github.com/dev{dev}).")
            lines.append("")
        minor -= 1 if minor > 1 else 0
    return "\n".join(lines) + "\n"


def build_corpus(folder: Path) -> None:
    shutil.copytree(ROOT / "sample_data", folder / "sample_data")
    shutil.copytree(ROOT / "tests" / "fixtures" / "webdocs", folder / "webdocs")
    shutil.copytree(ROOT / "tests" / "fixtures" / "pydocs", folder / "pydocs")
    (folder / LONG_DOC).write_text(release_notes(), encoding="utf-8")


def measure(searcher: Any, mode: str, options: Any) -> dict[str, Any]:
    from pgvsearch.evaluate import mrr_at, ndcg_at

    ndcg = mrr = 0.0
    intrusions = 0
    for question, relevant in QUESTIONS:
        ranked = [hit.doc_id for hit in searcher.run(question, mode, options)]
        ndcg += ndcg_at(ranked, {relevant: 1.0}, 10)
        mrr += mrr_at(ranked, {relevant: 1.0}, 10)
        intrusions += LONG_DOC in ranked[:5]
    n = len(QUESTIONS)
    return {"ndcg@10": round(ndcg / n, 4), "mrr@10": round(mrr / n, 4), "long doc in top 5": f"{intrusions}/{n}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None, help="PGVSEARCH_HOME to use (default: a new temporary one)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "longdoc.json")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="pgvsearch-longdoc-"))
    os.environ["PGVSEARCH_HOME"] = str(home)
    from pgvsearch.config import resolve_settings
    from pgvsearch.embedding import load_embedder
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import Searcher, SearchOptions
    from pgvsearch.store import connect, init_collection, stop_server

    settings = resolve_settings(home=home)
    embedder = load_embedder("all-MiniLM-L6-v2", cache_dir=settings.model_cache, precision="int8")
    query_embedder = load_embedder("all-MiniLM-L6-v2", cache_dir=settings.model_cache, precision="fp32")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, connect(settings) as conn:
        corpus = Path(tmp) / "corpus"
        build_corpus(corpus)
        coll = init_collection(conn, "longdoc", model="all-MiniLM-L6-v2", dimension=embedder.dimension,
                               max_seq_length=embedder.max_seq_length, precision="int8").collection
        ingest_paths(conn, coll, embedder, [str(corpus)])
        searcher = Searcher(conn, coll, query_embedder)
        for mode, fusion in (("semantic", "rrf"), ("keyword", "rrf"), ("hybrid", "rrf"), ("hybrid", "dbsf")):
            rows.append({"mode": mode if mode != "hybrid" else f"hybrid {fusion}",
                         **measure(searcher, mode, SearchOptions(k=10, fusion=fusion))})
            print(json.dumps(rows[-1]))
    if args.home is None:
        stop_server(settings.pgdata)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
