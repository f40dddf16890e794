"""Table sources against files: the same texts as a JSON Lines file and as a table, through the CLI.

Measures, in a private embedded PostgreSQL (every figure is a whole `pgvsearch` process):

* first sync chunks/s, file against table: ``--repeat`` runs of each into fresh collections,
  alternating (file, table, table, file, ...) so that a busy machine weighs on both alike;
  the medians are compared;
* a re-sync of the unchanged table without tracking (its share of the first sync);
* a tracked run with nothing queued (wall time of the whole process);
* a tracked run after 10 updated and 10 deleted rows (what was re-embedded and deleted);
* for Cranfield, ``eval`` nDCG@10 of both collections (the table's doc_ids are
  ``bench.cranfield:<id>``: the qrels are mapped to them).

Two datasets: Cranfield (1,400 abstracts, ``--dataset``) and, with ``--synthetic-rows N``, a
synthetic table of N short rows (support-ticket-like: a title and 12-30 words drawn from a Zipfian
vocabulary, and a category), written to a JSON Lines file for the file side. Usage:

    .venv/bin/python benchmarks/tables.py [--dataset DIR] [--repeat 3] [--synthetic-rows 100000] [--skip-cranfield]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "pgvsearch"]


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


def connection(env: dict[str, str]) -> Any:
    from pgvsearch.config import resolve_settings
    from pgvsearch.store import connect

    os.environ.update(env)
    return connect(resolve_settings())


def load_table(env: dict[str, str], table: str, rows: Iterable[tuple[str, str, str, str]], *, replace: bool = False) -> None:
    """(id, title, text, category) rows into ``table`` (created, or emptied with ``replace``)."""
    from psycopg import sql

    name = sql.Identifier(*table.split("."))
    with connection(env) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(table.split(".")[0])))
        if replace:
            conn.execute(sql.SQL("TRUNCATE {}").format(name))
        else:
            conn.execute(sql.SQL("CREATE TABLE {} (id text PRIMARY KEY, title text, text text, category text)").format(name))
        with conn.cursor().copy(sql.SQL("COPY {} (id, title, text, category) FROM STDIN").format(name)) as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute(sql.SQL("ANALYZE {}").format(name))


def edit_rows(env: dict[str, str], table: str) -> None:
    """10 rows updated (the first 10 keys), 10 rows with text deleted (the last 10)."""
    from psycopg import sql

    name = sql.Identifier(*table.split("."))
    with connection(env) as conn:
        conn.execute(sql.SQL("UPDATE {0} SET text = text || ' (revised)' WHERE id IN (SELECT id FROM {0} ORDER BY id LIMIT 10)").format(name))
        conn.execute(sql.SQL("DELETE FROM {0} WHERE id IN (SELECT id FROM {0} WHERE text <> '' ORDER BY id DESC LIMIT 10)").format(name))


def first_syncs(env: dict[str, str], label: str, jsonl: Path, table: str, repeat: int) -> dict[str, Any]:
    """``repeat`` first syncs of the file and of the table, alternating, into fresh collections;
    the last table collection is kept as ``<label>_tbl`` for the steps that follow."""
    runs: dict[str, list[dict[str, Any]]] = {"file": [], "table": []}
    order = [kind for i in range(repeat) for kind in (("file", "table") if i % 2 == 0 else ("table", "file"))]
    kept = f"{label}_tbl"
    for n, kind in enumerate(order):
        last_table = kind == "table" and n == max(i for i, k in enumerate(order) if k == "table")
        name = kept if last_table else f"{label}_{kind}_{n}"
        run(["init", "-c", name], env)
        source = [str(jsonl)] if kind == "file" else ["--table", table, "--id", "id", "--text", "text", "--title", "title", "--meta", "category"]
        wall, done = report(["ingest", *source, "-c", name], env)
        runs[kind].append({"chunks_per_s": done["chunks_per_second"], "wall_s": round(wall, 2), "chunks": done["chunks"],
                           "embed_s": done["embed_seconds"], "db_s": done["db_seconds"]})
        print(f"  {label} first sync {kind}: {done['chunks']} chunks, {done['chunks_per_second']} chunks/s, {wall:.1f} s", file=sys.stderr)
        if name != kept:
            run(["drop", name, "--yes"], env)
    file_rate = statistics.median(r["chunks_per_s"] for r in runs["file"])
    table_rate = statistics.median(r["chunks_per_s"] for r in runs["table"])
    return {
        "runs": runs, "file_chunks_per_s": file_rate, "table_chunks_per_s": table_rate,
        "table_over_file": round(table_rate / file_rate, 3),
        "table_wall_s": statistics.median(r["wall_s"] for r in runs["table"]),
    }


def sync_steps(env: dict[str, str], label: str, jsonl: Path, table: str, repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {"first_sync": first_syncs(env, label, jsonl, table, repeat)}
    first_s = results["first_sync"]["table_wall_s"]
    source = ["--table", table, "-c", f"{label}_tbl"]
    resync_s, resync = report(["ingest", *source], env)
    results["resync_unchanged"] = {"wall_s": round(resync_s, 2), "of_first_sync": round(resync_s / first_s, 3), "embedded_chunks": resync["embedded_chunks"]}
    run(["track", *source], env)
    backfill_s, backfill = report(["ingest", *source], env)  # the first tracked run reads every row (all unchanged)
    results["first_tracked_run"] = {"wall_s": round(backfill_s, 2), "unchanged": backfill["unchanged"], "embedded_chunks": backfill["embedded_chunks"]}
    quiet = [report(["ingest", *source], env) for _ in range(5)]
    results["tracked_nothing_queued"] = {
        "wall_s_median": round(statistics.median(q[0] for q in quiet), 3), "wall_s_runs": [round(q[0], 3) for q in quiet],
        "embedded_chunks": sum(q[1]["embedded_chunks"] for q in quiet),
    }
    edit_rows(env, table)
    edited_s, edited = report(["ingest", *source], env)
    results["tracked_10_updated_10_deleted"] = {
        "wall_s": round(edited_s, 2), "updated": edited["updated"], "deleted": edited["deleted"], "added": edited["added"],
        "unchanged": edited["unchanged"], "embedded_chunks": edited["embedded_chunks"],
    }
    run(["untrack", *source], env)
    return results


def cranfield(env: dict[str, str], home: Path, dataset: Path, repeat: int) -> dict[str, Any]:
    table = "bench.cranfield"
    records = [json.loads(line) for line in (dataset / "corpus.jsonl").open(encoding="utf-8")]
    rows = [(str(r["_id"]), r.get("title") or "", r.get("text") or "", "cranfield") for r in records]
    load_table(env, table, rows)
    jsonl = home / "cranfield.jsonl"
    # In the table's key order (text keys: "1", "10", "100", ...), the order a table is read in,
    # so that both sides cut the same batches: an int8 document vector depends slightly on its
    # batch neighbours (docs/performance.md), which moved semantic nDCG@10 by 0.002.
    write_jsonl(jsonl, sorted(rows, key=lambda row: row[0].encode()))
    results = sync_steps(env, "cran", jsonl, table, repeat)
    # eval of the file collection and of the table as first loaded (the 20 edited rows put back)
    run(["init", "-c", "cran_file"], env)
    report(["ingest", str(jsonl), "-c", "cran_file"], env)
    results["ndcg@10"] = {"files": ndcg("cran_file", dataset, dataset / "qrels" / "test.tsv", env)}
    load_table(env, table, rows, replace=True)
    report(["ingest", "--table", table, "-c", "cran_tbl", "--prune"], env)
    qrels = home / "qrels-table.tsv"
    lines = (dataset / "qrels" / "test.tsv").read_text().splitlines()
    qrels.write_text("\n".join([lines[0]] + [f"{q}\t{table}:{d}\t{s}" for q, d, s in (line.split("\t") for line in lines[1:] if line)]) + "\n")
    results["ndcg@10"]["table"] = ndcg("cran_tbl", dataset, qrels, env)
    return results


def write_jsonl(path: Path, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """The rows as the file side reads them: the same doc_ids, titles, texts and metadata."""
    with path.open("w", encoding="utf-8") as out:
        for id_, title, text, category in rows:
            out.write(json.dumps({"id": id_, "title": title, "text": text, "category": category}) + "\n")


def synthetic_rows(n: int, seed: int = 7) -> list[tuple[str, str, str, str]]:
    """``n`` ticket-like rows: a 3-6 word title and a 12-30 word body from a Zipfian vocabulary of
    5,000 pseudo-words plus common English words, and one of 20 categories. Keys are zero-padded
    so that key order is numeric order."""
    rng = random.Random(seed)
    common = ("the a to and of in is for on with my not it cannot after when order account "
              "payment invoice refund login password error page shipping delivery").split()
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "zo", "pe", "do", "gu", "ha", "ri", "mo", "ta"]
    words = common + ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(5000)]
    weights = [1 / (r + 2.7) for r in range(len(words))]
    categories = [f"category-{i:02d}" for i in range(20)]

    def phrase(low: int, high: int) -> str:
        return " ".join(rng.choices(words, weights, k=rng.randint(low, high)))

    width = len(str(n))
    return [(str(i).zfill(width), phrase(3, 6).capitalize(), phrase(12, 30).capitalize() + ".", rng.choice(categories)) for i in range(n)]


def synthetic(env: dict[str, str], home: Path, n: int, repeat: int) -> dict[str, Any]:
    table = "bench.synthetic"
    rows = synthetic_rows(n)
    load_table(env, table, rows)
    jsonl = home / "synthetic.jsonl"
    write_jsonl(jsonl, rows)
    return {"rows": n, **sync_steps(env, "synth", jsonl, table, repeat)}


def ndcg(collection: str, dataset: Path, qrels: Path, env: dict[str, str]) -> dict[str, float]:
    _, done = run(["eval", "-c", collection, "--queries", str(dataset / "queries.jsonl"), "--qrels", str(qrels), "--format", "json"], env)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {row.get("mode") or row.get("variant", "?"): round(float(row["ndcg@10"]), 4) for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "cranfield")
    parser.add_argument("--repeat", type=int, default=3, help="first syncs of each side (alternating); medians compared")
    parser.add_argument("--synthetic-rows", type=int, default=0, help="also measure a synthetic table of this many rows")
    parser.add_argument("--skip-cranfield", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "tables.json")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="pgvsearch-tables-"))
    env = dict(os.environ, PGVSEARCH_HOME=str(home), PGVSEARCH_CONFIG=str(home / "none.toml"), HF_HUB_OFFLINE="1",
               PYTHONPATH=str(ROOT), TOKENIZERS_PARALLELISM="false")
    for name in ("PGVSEARCH_DSN", "PGVSEARCH_COLLECTION", "PGHOST", "PGDATABASE"):
        env.pop(name, None)
    run(["init", "-c", "warmup"], env)  # the server's first start and the model cache, outside every figure
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}",
        "repeat": args.repeat,
    }
    try:
        if not args.skip_cranfield:
            results["cranfield"] = cranfield(env, home, args.dataset, args.repeat)
        if args.synthetic_rows:
            results["synthetic"] = synthetic(env, home, args.synthetic_rows, args.repeat)
    finally:
        run(["server", "stop"], env)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
