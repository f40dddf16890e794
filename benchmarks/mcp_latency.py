"""MCP latency: tool calls to one long-lived `pgvsearch mcp` process, against cold CLI queries.

Loads Cranfield (its 1,398 non-empty documents written as .txt files, as benchmarks/speed.py
does) into a temporary PGVSEARCH_HOME, starts `pgvsearch mcp` over stdio with the MCP SDK's
own client, makes --calls tool calls (search, keyword and hybrid in turn, Cranfield's own
queries, k=10) and reports p50/p95 of

- the client-observed latency (request sent -> result parsed, JSON-RPC over stdio included);
- pgvsearch's own time, measured in the server around each call (result ``_meta["pgvsearch/took_ms"]``);

beside the cold `pgvsearch search` figure of docs/performance.md (a new process per query).

    .venv/bin/python benchmarks/mcp_latency.py [--calls 200] [--precision int8|fp32] [--cold-runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from speed import CLI, QUERY, timed, write_corpus_files  # noqa: E402

MODES = ("search", "keyword", "hybrid")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def queries(dataset: Path) -> list[str]:
    return [json.loads(line)["text"] for line in (dataset / "queries.jsonl").read_text().splitlines() if line.strip()]


async def tool_calls(env: dict[str, str], texts: list[str], calls: int) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    from pgvsearch.serve import TOOK_MS

    params = StdioServerParameters(command=CLI[0], args=[*CLI[1:], "mcp", "-c", "cranfield"], env=env, cwd=str(ROOT))
    started = time.perf_counter()
    async with Client(params) as client:
        ready = time.perf_counter() - started
        for mode in MODES:  # the first call of each kind reads the collection's shape once
            await client.call_tool(mode, {"query": QUERY, "k": 10})
        observed: dict[str, list[float]] = {m: [] for m in MODES}
        server: dict[str, list[float]] = {m: [] for m in MODES}
        for i in range(calls):
            mode = MODES[i % len(MODES)]
            t0 = time.perf_counter()
            result = await client.call_tool(mode, {"query": texts[i % len(texts)], "k": 10})
            elapsed = (time.perf_counter() - t0) * 1000
            if result.is_error or not result.structured_content["hits"]:
                raise SystemExit(f"{mode} call failed: {result.content}")
            observed[mode].append(elapsed)
            server[mode].append(float(result.meta[TOOK_MS]))
    everything_observed = [v for vs in observed.values() for v in vs]
    everything_server = [v for vs in server.values() for v in vs]

    def figures(values: list[float]) -> dict[str, float]:
        return {"p50_ms": round(percentile(values, 0.5), 1), "p95_ms": round(percentile(values, 0.95), 1)}

    return {
        "calls": calls, "start_to_ready_s": round(ready, 2),
        "client_observed": figures(everything_observed), "pgvsearch_time": figures(everything_server),
        "by_tool": {m: {"client_observed": figures(observed[m]), "pgvsearch_time": figures(server[m])} for m in MODES},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "cranfield")
    parser.add_argument("--precision", default="int8", choices=["fp32", "int8"], help="of the document embeddings (queries are fp32)")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=5, help="cold `pgvsearch search` processes to time beside (0: skip)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "mcp-latency.json")
    args = parser.parse_args()

    subprocess.run([CLI[0], "-m", "compileall", "-q", str(ROOT / "pgvsearch")], check=True)
    work = Path(tempfile.mkdtemp(prefix="pgvsearch-mcp-"))
    env = dict(os.environ, PGVSEARCH_HOME=str(work / "home"), PGVSEARCH_CONFIG=str(work / "none.toml"), HF_HUB_OFFLINE="1")
    for var in ("PGVSEARCH_DSN", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        env.pop(var, None)
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "precision": args.precision,
    }
    try:
        timed([*CLI, "init", "-c", "cranfield", "--precision", args.precision, "-f", "json"], env)
        write_corpus_files(args.dataset, work / "cranfield")
        timed([*CLI, "ingest", str(work / "cranfield"), "-c", "cranfield", "-q"], env)
        results["mcp"] = asyncio.run(tool_calls(env, queries(args.dataset), args.calls))
        if args.cold_runs:
            timed([*CLI, "search", QUERY, "-c", "cranfield", "-f", "json"], env)
            cold = [timed([*CLI, "search", QUERY, "-c", "cranfield", "-k", "10", "-f", "json"], env)[0] for _ in range(args.cold_runs)]
            results["cold_cli_search_median_s"] = round(statistics.median(cold), 3)
    finally:
        subprocess.run([*CLI, "server", "stop"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    mcp = results["mcp"]
    print(f"pgvsearch mcp over stdio, Cranfield ({results['precision']} documents), {mcp['calls']} calls, {results['machine']}")
    print(f"  client-observed  p50 {mcp['client_observed']['p50_ms']} ms  p95 {mcp['client_observed']['p95_ms']} ms")
    print(f"  pgvsearch time   p50 {mcp['pgvsearch_time']['p50_ms']} ms  p95 {mcp['pgvsearch_time']['p95_ms']} ms")
    for mode, fig in mcp["by_tool"].items():
        print(f"    {mode:8} client p50 {fig['client_observed']['p50_ms']} / p95 {fig['client_observed']['p95_ms']} ms; "
              f"pgvsearch p50 {fig['pgvsearch_time']['p50_ms']} / p95 {fig['pgvsearch_time']['p95_ms']} ms")
    print(f"  server start to ready: {mcp['start_to_ready_s']} s")
    if "cold_cli_search_median_s" in results:
        print(f"  cold `pgvsearch search` (new process), median of {args.cold_runs}: {results['cold_cli_search_median_s'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
