"""Answer benchmark: how many offline (extractive) answers contain the answer.

Each set of tests/fixtures/answers.json (sample_data/, FastAPI-docs-shaped Markdown,
Flask/Requests-docs-shaped reStructuredText) is ingested into its own collection of an
embedded server in a temporary PGVSEARCH_HOME; every question is asked with no language
model, and an answer counts as correct when it contains every judged substring
(case-insensitive). Passage retrieval is the same hybrid ranking `pgvsearch ask` uses.

    .venv/bin/python benchmarks/answers.py [--show] [--json] [--set webdocs]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
JUDGED = ROOT / "tests" / "fixtures" / "answers.json"


def is_correct(answer: str, contains: list[str]) -> bool:
    return all(part.lower() in answer.lower() for part in contains)


def run_set(conn: Any, embedder: Any, name: str, spec: dict[str, Any], show: bool) -> dict[str, Any]:
    from pgvsearch.ask import ask
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.store import init_collection

    coll = init_collection(conn, name, model=embedder.model_name, dimension=embedder.dimension,
                           max_seq_length=embedder.max_seq_length, precision=embedder.precision).collection
    ingest_paths(conn, coll, embedder, [str(ROOT / p) for p in spec["paths"]])
    rows = []
    for item in spec["questions"]:
        answer = ask(conn, coll, embedder, item["q"]).answer
        rows.append({"question": item["q"], "contains": item["contains"], "correct": is_correct(answer, item["contains"]), "answer": answer})
        if show:
            mark = "ok  " if rows[-1]["correct"] else "MISS"
            print(f"--- {mark} [{name}] {item['q']}  (wants {item['contains']})\n{answer}\n", file=sys.stderr)
    return {"set": name, "correct": sum(r["correct"] for r in rows), "questions": len(rows), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", help="only these sets (default: all)")
    parser.add_argument("--show", action="store_true", help="print every answer on stderr")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    sets = json.loads(JUDGED.read_text())["sets"]
    with tempfile.TemporaryDirectory(prefix="pgvs-answers-") as work:
        os.environ["PGVSEARCH_HOME"] = str(Path(work) / "home")
        os.environ["PGVSEARCH_CONFIG"] = str(Path(work) / "none.toml")
        for var in ("PGVSEARCH_DSN", "OPENAI_BASE_URL", "PGVSEARCH_LLM_MODEL"):
            os.environ.pop(var, None)
        from pgvsearch.config import resolve_settings
        from pgvsearch.embedding import DEFAULT_MODEL, load_embedder
        from pgvsearch.store import connect, ensure_server, stop_server

        pgdata = Path(work) / "home" / "pgdata"
        ensure_server(pgdata)
        try:
            settings = resolve_settings()
            embedder = load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache)
            with connect(settings) as conn:
                results = [run_set(conn, embedder, name, spec, args.show) for name, spec in sets.items() if not args.set or name in args.set]
        finally:
            stop_server(pgdata)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"{r['set']:10} {r['correct']:3d} / {r['questions']} answers contain the answer")
    print(f"{'total':10} {sum(r['correct'] for r in results):3d} / {sum(r['questions'] for r in results)}")


if __name__ == "__main__":
    main()
