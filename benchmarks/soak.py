"""Soak test: queries under a concurrent ingest that adds, edits and prunes documents.

For --seconds seconds, 8 query clients run a mix of semantic, keyword, hybrid and ask
(extractive, offline) on one collection: 4 are threads in this process using the library
(one connection and one query model each), 4 run the `pgvsearch` CLI in a process per
query. Meanwhile one loop edits, adds and deletes files in a folder and runs
`pgvsearch ingest FOLDER --prune` on the same collection.

Every sentence of version v of a document carries the token `verNNN` (and its title says
`verNNN` too), so a reader that saw half an ingest shows it: a hit whose title and chunk
text name different versions, an answer citing one document at two versions, or the
chunks of one document (read in one statement) at more than one version. Each such hit
counts in `mixed_versions`.

Prints one JSON object on stdout (queries, errors, latency percentiles overall, per kind
and per client, ingests, consistent, mixed_versions); progress goes to stderr. Exit 0 only
when no query or ingest failed, the consistency check (tests/consistency.py) passed at the
end, mixed_versions is 0 and the stored doc_ids are the folder's files.
`versions_compared` counts the hits and passages whose title and text both carried a
version, i.e. that the check could have caught.

    .venv/bin/python benchmarks/soak.py --seconds 120
    .venv/bin/python benchmarks/soak.py --seconds 600 --dsn "host=/tmp port=5432 dbname=soak"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
COLLECTION = "soak"
KINDS = ("search", "keyword", "hybrid", "ask")
VERSION = re.compile(r"\bver(\d{3})\b")

TOPICS = {
    "billing": "invoice refund payment card charge billing subscription receipt tax currency",
    "login": "password reset login token session account email verification lockout",
    "wing": "wing lift drag airfoil boundary layer pressure flow turbulence",
    "storage": "disk backup snapshot volume replication restore archive retention",
    "network": "latency packet router firewall dns timeout bandwidth proxy",
    "kitchen": "recipe oven flour butter sugar dough bake simmer sauce",
}
FILLER = "the a of to and with for when each after before under every".split()
QUERIES = [
    "how do I get a refund on my invoice", "password reset token expired", "lift and drag of a wing",
    "restore a backup snapshot", "dns timeout behind a proxy", "bake the dough in the oven",
    "payment card charged twice", "boundary layer pressure", "account lockout after login",
    "replication and retention", "firewall latency", "sugar and butter sauce",
]


# -- the documents --------------------------------------------------------------------------
def document_text(rng: random.Random, number: int, version: int) -> str:
    """Version ``version`` of document ``number``: every sentence and the title carry ``verNNN``."""
    topic = list(TOPICS)[number % len(TOPICS)]
    words = TOPICS[topic].split()
    marker = f"ver{version:03d}"
    paragraphs = []
    for _ in range(rng.randint(2, 8)):
        sentences = []
        for _ in range(rng.randint(2, 5)):
            body = " ".join(rng.choice(words + FILLER) for _ in range(rng.randint(6, 12)))
            sentences.append(f"{marker} {body}.")
        paragraphs.append(" ".join(sentences))
    return f"# {topic} note {number} {marker}\n\n" + "\n\n".join(paragraphs) + "\n"


class Folder:
    """The folder the ingest loop changes: document number -> current version."""

    def __init__(self, path: Path, rng: random.Random) -> None:
        self.path, self.rng = path, rng
        self.versions: dict[int, int] = {}
        self.next_number = 0

    def write(self, number: int, version: int) -> None:
        (self.path / f"note-{number:04d}.md").write_text(document_text(self.rng, number, version))
        self.versions[number] = version

    def add(self) -> None:
        self.write(self.next_number, 1)
        self.next_number += 1

    def change(self) -> None:
        """Edit a few documents (a new version), add one, delete one."""
        for number in self.rng.sample(sorted(self.versions), min(4, len(self.versions))):
            self.write(number, self.versions[number] + 1)
        self.add()
        if len(self.versions) > 40:
            gone = self.rng.choice(sorted(self.versions))
            (self.path / f"note-{gone:04d}.md").unlink()
            del self.versions[gone]


# -- checking what a reader saw ------------------------------------------------------------
def versions_in(*texts: str) -> set[str]:
    return {m for text in texts for m in VERSION.findall(text)}


def compared(items: list[dict[str, Any]]) -> int:
    """How many hits or passages carry a version both in their title and in their text (were checked)."""
    return sum(1 for i in items if versions_in(i["title"]) and versions_in(i["text"]))


def mixed_in_hits(hits: list[dict[str, Any]]) -> list[str]:
    """Hits whose title and shown chunk name different versions of their document."""
    return [f"{h['doc_id']}: {sorted(versions_in(h['title'], h['text']))}" for h in hits
            if len(versions_in(h["title"], h["text"])) > 1]


def mixed_in_answer(sources: list[dict[str, Any]]) -> list[str]:
    """Documents an answer cites at more than one version (its passages span neighbouring chunks)."""
    seen: dict[str, set[str]] = {}
    for s in sources:
        seen.setdefault(s["doc_id"], set()).update(versions_in(s["title"], s["text"]))
    return [f"{doc}: {sorted(v)}" for doc, v in seen.items() if len(v) > 1]


def mixed_in_document(conn: Any, schema: str, doc_id: str) -> list[str]:
    """A document's title and all its chunks, read in one statement, at more than one version."""
    from psycopg import sql

    rows = conn.execute(sql.SQL("SELECT d.title, c.content FROM {s}.documents d JOIN {s}.chunks c ON c.document_id = d.id "
                                "WHERE d.doc_id = %s").format(s=sql.Identifier(schema)), (doc_id,)).fetchall()
    found = versions_in(*(t for row in rows for t in row))
    return [f"{doc_id} (stored): {sorted(found)}"] if len(found) > 1 else []


# -- the clients ------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[tuple[str, str], list[float]] = {}
        self.errors: list[str] = []
        self.mixed: list[str] = []
        self.compared = 0

    def record(self, client: str, kind: str, seconds: float, mixed: list[str], checked: int) -> None:
        with self.lock:
            self.latencies.setdefault((client, kind), []).append(seconds * 1000)
            self.mixed.extend(mixed)
            self.compared += checked

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def library_client(stop: threading.Event, tally: Tally, seed: int) -> None:
    from pgvsearch.ask import ask
    from pgvsearch.config import resolve_settings
    from pgvsearch.embedding import load_embedder
    from pgvsearch.search import Searcher, SearchOptions
    from pgvsearch.store import connect, require_collection

    rng = random.Random(seed)
    settings = resolve_settings()
    try:
        conn = connect(settings)
        coll = require_collection(conn, COLLECTION)
        embedder = load_embedder(coll.model, cache_dir=settings.model_cache, precision="fp32")
    except Exception as exc:  # noqa: BLE001 - a client that cannot start is an error, not a quieter run
        tally.error(f"library client could not start: {type(exc).__name__}: {exc}")
        return
    searcher = Searcher(conn, coll, embedder)
    with conn:
        while not stop.is_set():
            kind, query = rng.choice(KINDS), rng.choice(QUERIES)
            started = time.perf_counter()
            try:
                if kind == "ask":
                    answer = ask(conn, coll, embedder, query, SearchOptions(k=5))
                    elapsed = time.perf_counter() - started
                    items = [p.to_dict() for p in answer.passages]
                    mixed = mixed_in_answer(items)
                else:
                    items = [h.to_dict() for h in searcher.run(query, "semantic" if kind == "search" else kind, SearchOptions(k=5))]
                    elapsed = time.perf_counter() - started
                    mixed = mixed_in_hits(items)
                    if items:
                        mixed += mixed_in_document(conn, coll.schema, items[0]["doc_id"])
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                tally.error(f"library {kind} {query!r}: {type(exc).__name__}: {exc}")
                continue
            tally.record("library", kind, elapsed, mixed, compared(items))


def cli_client(stop: threading.Event, tally: Tally, seed: int, env: dict[str, str]) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        kind, query = rng.choice(KINDS), rng.choice(QUERIES)
        started = time.perf_counter()
        quiet = ["-q"] if kind == "ask" else []  # no note about answering without a language model
        try:
            proc = subprocess.run([PYTHON, "-m", "pgvsearch", kind, query, "-c", COLLECTION, "-k", "5", "-f", "json", *quiet],
                                  capture_output=True, text=True, env=env, timeout=300)
        except subprocess.TimeoutExpired:
            tally.error(f"cli {kind} {query!r}: no answer within 300 s")
            continue
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            tally.error(f"cli {kind} {query!r}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
            continue
        try:
            if kind == "ask":
                items = json.loads(proc.stdout)["sources"]
                mixed = mixed_in_answer(items)
            else:
                items = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
                mixed = mixed_in_hits(items)
        except (ValueError, KeyError) as exc:
            tally.error(f"cli {kind} {query!r}: unreadable output ({exc}): {proc.stdout[:200]!r}")
            continue
        tally.record("cli", kind, elapsed, mixed, compared(items))


def ingest_loop(stop: threading.Event, tally: Tally, folder: Folder, env: dict[str, str], counts: dict[str, int]) -> None:
    while not stop.is_set():
        folder.change()
        try:
            proc = subprocess.run([PYTHON, "-m", "pgvsearch", "ingest", str(folder.path), "--prune", "-c", COLLECTION,
                                   "-f", "json", "-q"], capture_output=True, text=True, env=env, timeout=600)
        except subprocess.TimeoutExpired:
            tally.error("ingest: not done within 600 s")
            continue
        if proc.returncode != 0:
            tally.error(f"ingest: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
        else:
            counts["ingests"] += 1


# -- the run ------------------------------------------------------------------------------
def percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"queries": 0}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {"queries": len(values), "p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1), "p99_ms": round(cuts[98], 1)}


def soak(seconds: float, env: dict[str, str], work: Path, seed: int, log: Callable[[str], None]) -> dict[str, Any]:
    from pgvsearch.config import resolve_settings
    from pgvsearch.store import connect, get_collection
    from tests.consistency import check_consistency

    rng = random.Random(seed)
    folder = Folder(work, rng)
    for _ in range(30):
        folder.add()
    subprocess.run([PYTHON, "-m", "pgvsearch", "init", "-c", COLLECTION, "-f", "json"], env=env, check=True, capture_output=True)
    subprocess.run([PYTHON, "-m", "pgvsearch", "ingest", str(work), "-c", COLLECTION, "-q"], env=env, check=True, capture_output=True)
    log(f"soak: {len(folder.versions)} documents loaded; 8 query clients and an ingest loop for {seconds:.0f}s")

    tally, stop, counts = Tally(), threading.Event(), {"ingests": 0}
    threads = [threading.Thread(target=library_client, args=(stop, tally, seed + i), daemon=True) for i in range(4)]
    threads += [threading.Thread(target=cli_client, args=(stop, tally, seed + 10 + i, env), daemon=True) for i in range(4)]
    threads.append(threading.Thread(target=ingest_loop, args=(stop, tally, folder, env, counts), daemon=True))
    started = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() - started < seconds:
        time.sleep(min(15.0, max(0.1, seconds - (time.monotonic() - started))))
        done = sum(len(v) for v in tally.latencies.values())
        log(f"soak: {time.monotonic() - started:.0f}s, {done} queries, {len(tally.errors)} errors, "
            f"{counts['ingests']} ingests, {len(tally.mixed)} mixed")
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    with connect(resolve_settings()) as conn:
        coll = get_collection(conn, COLLECTION)
        try:
            counted = check_consistency(conn, coll)
            consistent, problem = True, None
        except AssertionError as exc:
            counted, consistent, problem = {}, False, str(exc)[:2000]
        stored = {r[0] for r in conn.execute(f'SELECT doc_id FROM "{coll.schema}".documents').fetchall()}
    files = {f"note-{n:04d}.md" for n in folder.versions}

    every = [ms for values in tally.latencies.values() for ms in values]
    summary: dict[str, Any] = {
        "seconds": round(elapsed, 1),
        **{k: v for k, v in percentiles(every).items()},
        "errors": len(tally.errors),
        "ingests": counts["ingests"],
        "consistent": consistent,
        "mixed_versions": len(tally.mixed),
        "versions_compared": tally.compared,
        "by_kind": {kind: percentiles([ms for (_, k), v in tally.latencies.items() if k == kind for ms in v]) for kind in KINDS},
        "by_client": {client: percentiles([ms for (c, _), v in tally.latencies.items() if c == client for ms in v])
                      for client in ("library", "cli")},
        "documents": counted.get("documents"),
        "documents_match_files": stored == files,
        "error_examples": tally.errors[:10],
        "mixed_examples": tally.mixed[:10],
    }
    summary["queries"] = len(every)
    if problem:
        summary["consistency_problem"] = problem
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600, help="how long the load runs (default 600)")
    parser.add_argument("--dsn", default=None, help="a database to use (default: a new embedded server in a temporary home)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="pgvsearch-soak-"))
    work = Path(tempfile.mkdtemp(prefix="pgvsearch-soak-files-"))
    env = dict(os.environ, PGVSEARCH_HOME=str(home), PGVSEARCH_CONFIG=str(home / "none.toml"), HF_HUB_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(ROOT))
    for var in ("PGVSEARCH_DSN", "PGVSEARCH_COLLECTION", "PGVSEARCH_READ_DSN", "OPENAI_BASE_URL", "OPENAI_API_KEY",
                "PGVSEARCH_LLM_MODEL"):
        env.pop(var, None)
    if args.dsn:
        env["PGVSEARCH_DSN"] = args.dsn
    os.environ.clear()
    os.environ.update(env)
    log = (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        if args.dsn:
            from pgvsearch.config import resolve_settings
            from pgvsearch.store import connect, drop_collection

            with connect(resolve_settings()) as conn:
                drop_collection(conn, COLLECTION)
        summary = soak(args.seconds, env, work, args.seed, log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.dsn:
            from pgvsearch.store import stop_server

            stop_server(home / "pgdata")
        shutil.rmtree(home, ignore_errors=True)
    summary["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}"
    summary["command"] = " ".join(["benchmarks/soak.py", *sys.argv[1:]])
    print(json.dumps(summary, ensure_ascii=False))
    ok = (summary["errors"] == 0 and summary["consistent"] and summary["mixed_versions"] == 0
          and summary["documents_match_files"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
