"""Table sources on Cranfield: the same texts as a JSON Lines file and as a table, through the CLI.

Measures, in a private embedded PostgreSQL (every figure is a whole `pgvsearch` process):
first sync chunks/s (file vs table), a re-sync of the unchanged table without tracking, a
tracked run with nothing queued, a tracked run after 10 updated and 10 deleted rows (what was
re-embedded and deleted), and `eval` nDCG@10 of both collections (the table's doc_ids are
`bench.cranfield:<id>`: the qrels are mapped to them). Usage:

    .venv/bin/python benchmarks/tables.py [--dataset DIR] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "pgvsearch"]
TABLE = "bench.cranfield"


def run(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"{' '.join(args)} exited {done.returncode}: {done.stderr}")
    return elapsed, done


def report(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    elapsed, done = run([*args, "--format", "json", "-q"], env)
    return elapsed, json.loads(done.stdout)


def ndcg(collection: str, dataset: Path, qrels: Path, env: dict[str, str]) -> dict[str, float]:
    _, done = run(["eval", "-c", collection, "--queries", str(dataset / "queries.jsonl"), "--qrels", str(qrels), "--format", "json"], env)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {row.get("mode") or row.get("variant", "?"): round(float(row["ndcg@10"]), 4) for row in rows}


def load_table(env: dict[str, str], dataset: Path) -> None:
    import psycopg

    from pgvsearch.config import resolve_settings
    from pgvsearch.store import connect

    records = [json.loads(line) for line in (dataset / "corpus.jsonl").open(encoding="utf-8")]
    os.environ.update(env)
    with connect(resolve_settings()) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
        conn.execute("CREATE TABLE bench.cranfield (id text PRIMARY KEY, title text, text text)")
        with conn.cursor().copy("COPY bench.cranfield (id, title, text) FROM STDIN") as copy:
            for r in records:
                copy.write_row((str(r["_id"]), r.get("title") or "", r.get("text") or ""))
    del psycopg


def edit_rows(env: dict[str, str]) -> None:
    from pgvsearch.config import resolve_settings
    from pgvsearch.store import connect

    with connect(resolve_settings()) as conn:
        conn.execute("UPDATE bench.cranfield SET text = text || ' (revised)' WHERE id IN (SELECT id FROM bench.cranfield ORDER BY id LIMIT 10)")
        # rows with text (Cranfield has two empty abstracts, which have no document to delete)
        conn.execute("DELETE FROM bench.cranfield WHERE id IN (SELECT id FROM bench.cranfield WHERE text <> '' ORDER BY id DESC LIMIT 10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "cranfield")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "tables.json")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="pgvsearch-tables-"))
    env = dict(os.environ, PGVSEARCH_HOME=str(home), PGVSEARCH_CONFIG=str(home / "none.toml"), HF_HUB_OFFLINE="1",
               PYTHONPATH=str(ROOT), TOKENIZERS_PARALLELISM="false")
    for name in ("PGVSEARCH_DSN", "PGVSEARCH_COLLECTION", "PGHOST", "PGDATABASE"):
        env.pop(name, None)
    run(["init", "-c", "files"], env)
    run(["init", "-c", "tbl"], env)
    load_table(env, args.dataset)
    results: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}"}

    file_s, files = report(["ingest", str(args.dataset / "corpus.jsonl"), "-c", "files"], env)
    table = ["--table", TABLE, "-c", "tbl"]
    first_s, first = report(["ingest", *table, "--id", "id", "--text", "text", "--title", "title"], env)
    results["first_sync"] = {
        "file_chunks_per_s": files["chunks_per_second"], "table_chunks_per_s": first["chunks_per_second"],
        "file_wall_s": round(file_s, 2), "table_wall_s": round(first_s, 2), "file_chunks": files["chunks"], "table_chunks": first["chunks"],
    }
    resync_s, resync = report(["ingest", *table], env)
    results["resync_unchanged"] = {"wall_s": round(resync_s, 2), "of_first_sync": round(resync_s / first_s, 3), "embedded_chunks": resync["embedded_chunks"]}

    run(["track", *table], env)
    report(["ingest", *table], env)  # the first tracked run reads every row (all unchanged)
    quiet_s, quiet = report(["ingest", *table], env)
    results["tracked_nothing_queued"] = {"wall_s": round(quiet_s, 3), "embedded_chunks": quiet["embedded_chunks"]}
    edit_rows(env)
    edited_s, edited = report(["ingest", *table], env)
    results["tracked_10_updated_10_deleted"] = {
        "wall_s": round(edited_s, 2), "updated": edited["updated"], "deleted": edited["deleted"], "added": edited["added"],
        "unchanged": edited["unchanged"], "embedded_chunks": edited["embedded_chunks"],
    }

    qrels = home / "qrels-table.tsv"
    lines = (args.dataset / "qrels" / "test.tsv").read_text().splitlines()
    qrels.write_text("\n".join([lines[0]] + [f"{q}\t{TABLE}:{d}\t{s}" for q, d, s in (line.split("\t") for line in lines[1:] if line)]) + "\n")
    run(["untrack", *table], env)
    # eval on the table as first loaded: put the 20 edited rows back as they were, then re-sync
    results["ndcg@10"] = {"files": ndcg("files", args.dataset, args.dataset / "qrels" / "test.tsv", env)}
    load_back(env, args.dataset)
    report(["ingest", *table, "--prune"], env)
    results["ndcg@10"]["table"] = ndcg("tbl", args.dataset, qrels, env)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    run(["server", "stop"], env)


def load_back(env: dict[str, str], dataset: Path) -> None:
    from pgvsearch.config import resolve_settings
    from pgvsearch.store import connect

    records = [json.loads(line) for line in (dataset / "corpus.jsonl").open(encoding="utf-8")]
    with connect(resolve_settings()) as conn:
        conn.execute("TRUNCATE bench.cranfield")
        with conn.cursor().copy("COPY bench.cranfield (id, title, text) FROM STDIN") as copy:
            for r in records:
                copy.write_row((str(r["_id"]), r.get("title") or "", r.get("text") or ""))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
