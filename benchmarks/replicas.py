"""Read replicas: N concurrent query clients against the primary alone and through a replica.

Starts a primary and a streaming physical replica on this machine (the embedded PostgreSQL 18
binaries: pg_basebackup -R, pg_ctl; see tests/replication.py), loads Cranfield into the
primary (1,398 documents written as .txt files, as benchmarks/speed.py does), waits for the
replica to replay it, then measures

- opening a query connection: ``connect`` to the primary vs ``connect_for_reading`` through the
  replica (its connection plus the health check: recovery state, replay lag, the collection);
- a cold CLI query (a new process each time): ``pgvsearch keyword`` with and without ``--read-dsn``;
- --clients threads, each with its own connection, running Cranfield's queries for --seconds
  in each mode (keyword, hybrid) and each layout: every client on the primary, every client on
  the replica (through ``--read-dsn`` routing), half and half. Query vectors are computed once
  before the clock starts, so the figures are the database's work, not the model's.

Both servers share this machine's cores: this shows that the routing works and what it costs,
not the speed-up of a replica on its own host (that adds the replica's CPUs and disks).

    .venv/bin/python benchmarks/replicas.py [--clients 4] [--seconds 10] [--cold-runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from replication import StreamingPair  # noqa: E402
from speed import CLI, timed, write_corpus_files  # noqa: E402

MAX_CLIENTS = 16
MAX_SECONDS = 60.0
MODES = ("keyword", "hybrid")
LAYOUTS = ("primary", "replica", "half")


class CachedEmbedder:
    """The collection's embedder with every benchmark query embedded in advance (thread-safe reads)."""

    def __init__(self, inner: Any, texts: Sequence[str]) -> None:
        self.inner = inner
        for name in ("model_name", "dimension", "max_seq_length", "backend", "precision"):
            setattr(self, name, getattr(inner, name))
        self.vectors = dict(zip(texts, inner.embed(list(texts))))

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        import numpy as np

        return np.stack([self.vectors[t] for t in texts])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def client_loop(settings: Any, embedder: Any, texts: list[str], mode: str, offset: int, deadline: float,
                latencies: list[float], failures: list[str]) -> None:
    from pgvsearch.search import Searcher, SearchOptions
    from pgvsearch.store import connect_for_reading, require_collection

    try:
        with connect_for_reading(settings, notice=failures.append) as conn:
            searcher = Searcher(conn, require_collection(conn, settings.collection), embedder)
            options = SearchOptions(k=10)
            i = offset
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                hits = searcher.run(texts[i % len(texts)], mode, options)
                latencies.append(time.perf_counter() - started)
                if not hits and mode == "hybrid":
                    failures.append(f"no hits for {texts[i % len(texts)]!r}")
                i += 1
    except Exception as exc:  # noqa: BLE001 - reported in the results
        failures.append(f"{type(exc).__name__}: {exc}")


def run_layout(layout: str, mode: str, primary: Any, replica: Any, embedder: Any, texts: list[str],
               clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads for ``seconds``: all on the primary, all through the replica, or alternating."""
    per_client: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    deadline = time.perf_counter() + seconds
    threads = []
    for n in range(clients):
        on_replica = layout == "replica" or (layout == "half" and n % 2 == 0)
        threads.append(threading.Thread(target=client_loop, args=(
            replica if on_replica else primary, embedder, texts, mode, n * 37, deadline, per_client[n], failures)))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - started
    latencies = [x for client in per_client for x in client]
    return {
        "layout": layout, "mode": mode, "clients": clients, "queries": len(latencies),
        "queries_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2) if latencies else None,
        "failures": failures[:5],
    }


def connect_costs(primary: Any, replica: Any, runs: int = 30) -> dict[str, float]:
    """Median ms to open a query connection: to the primary, and through the replica's health check."""
    from pgvsearch.store import connect, connect_for_reading

    def median_ms(opener: Any) -> float:
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            opener().close()
            samples.append(time.perf_counter() - started)
        return round(statistics.median(samples) * 1000, 2)

    return {"primary_connect_ms": median_ms(lambda: connect(primary)),
            "replica_connect_and_check_ms": median_ms(lambda: connect_for_reading(replica))}


def cold_cli(env: dict[str, str], replica_dsn: str, runs: int) -> dict[str, float]:
    """Median seconds of a new `pgvsearch keyword` process, primary vs --read-dsn, interleaved."""
    query = ["keyword", "boundary layer swept wing", "-c", "cranfield", "-f", "json"]
    plain, routed = [], []
    timed([*CLI, *query], env)
    for _ in range(runs):
        plain.append(timed([*CLI, *query], env)[0])
        seconds, proc = timed([*CLI, *query, "--read-dsn", replica_dsn], env)
        if "note:" in proc.stderr:
            raise SystemExit(f"the replica was not read: {proc.stderr}")
        routed.append(seconds)
    return {"primary_s": round(statistics.median(plain), 3), "read_dsn_s": round(statistics.median(routed), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "cranfield")
    parser.add_argument("--clients", type=int, default=4, help=f"concurrent query clients (threads), 1-{MAX_CLIENTS}")
    parser.add_argument("--seconds", type=float, default=10.0, help=f"per mode and layout, at most {MAX_SECONDS:.0f}")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold CLI queries per side (0: skip)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "replicas.json")
    args = parser.parse_args()
    clients = max(1, min(MAX_CLIENTS, args.clients))
    seconds = max(1.0, min(MAX_SECONDS, args.seconds))

    work = Path(tempfile.mkdtemp(prefix="pgvs-replicas-"))
    os.environ.update(PGVSEARCH_HOME=str(work / "home"), PGVSEARCH_CONFIG=str(work / "none.toml"))
    for var in ("PGVSEARCH_DSN", "PGVSEARCH_READ_DSN", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
        os.environ.pop(var, None)
    pair = StreamingPair(work / "pair")
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "clients": clients, "seconds_per_run": seconds,
    }
    try:
        pair.start()
        env = dict(os.environ, PGVSEARCH_DSN=pair.primary_dsn)
        timed([*CLI, "init", "-c", "cranfield", "-f", "json"], env)
        write_corpus_files(args.dataset, work / "cranfield")
        timed([*CLI, "ingest", str(work / "cranfield"), "-c", "cranfield", "-q"], env)
        pair.wait_for_replay(timeout=120)
        results.update(measure(args, pair, env, clients, seconds))
    finally:
        pair.stop()
        shutil.rmtree(work, ignore_errors=True)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def measure(args: argparse.Namespace, pair: StreamingPair, env: dict[str, str], clients: int, seconds: float) -> dict[str, Any]:
    from pgvsearch.config import resolve_settings
    from pgvsearch.embedding import load_embedder

    primary = resolve_settings(dsn=pair.primary_dsn, collection="cranfield")
    replica = resolve_settings(dsn=pair.primary_dsn, collection="cranfield", read_dsn=[pair.replica_dsn])
    texts = [json.loads(line)["text"] for line in (args.dataset / "queries.jsonl").read_text().splitlines() if line.strip()]
    from pgvsearch.store import connect, require_collection

    with connect(primary) as conn:
        model = require_collection(conn, "cranfield").model
    embedder = CachedEmbedder(load_embedder(model, cache_dir=primary.model_cache, precision="fp32"), texts)
    out: dict[str, Any] = {"connect": connect_costs(primary, replica)}
    if args.cold_runs:
        out["cold_cli_keyword"] = cold_cli(env, pair.replica_dsn, args.cold_runs)
    out["runs"] = []
    for mode in MODES:
        # Untimed: both servers' caches hold the collection before the first timed run.
        run_layout("half", mode, primary, replica, embedder, texts, 2, 2.0)
        out["runs"] += [run_layout(layout, mode, primary, replica, embedder, texts, clients, seconds) for layout in LAYOUTS]
    return out


def report(results: dict[str, Any]) -> None:
    print(f"read replicas, Cranfield, {results['clients']} clients x {results['seconds_per_run']:.0f} s per run, {results['machine']}")
    c = results["connect"]
    print(f"  open a query connection: primary {c['primary_connect_ms']} ms, through the replica "
          f"(connect + health check) {c['replica_connect_and_check_ms']} ms")
    if "cold_cli_keyword" in results:
        cold = results["cold_cli_keyword"]
        print(f"  cold `pgvsearch keyword` (median): primary {cold['primary_s'] * 1000:.0f} ms, --read-dsn {cold['read_dsn_s'] * 1000:.0f} ms")
    for run in results["runs"]:
        print(f"  {run['mode']:7} {run['layout']:7} {run['queries_per_s']:7} queries/s  p50 {run['p50_ms']} ms  "
              f"p95 {run['p95_ms']} ms" + (f"  failures: {run['failures']}" if run["failures"] else ""))


if __name__ == "__main__":
    main()
