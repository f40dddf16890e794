"""ingest --ray against a plain ingest of the same files, through the CLI, on this machine.

Writes ``--docs`` Cranfield abstracts as text files, then ingests them into fresh collections
of a private embedded PostgreSQL, alternating the modes ``--repeat`` times so that a busy
machine weighs on each alike (medians reported):

* ``plain``: ``pgvsearch ingest DIR`` (onnxruntime on every core);
* ``plain-1thread``: the same with ``OMP_NUM_THREADS=1`` (one core, what one Ray worker gets);
* ``ray-1``, ``ray-2``: ``--ray local --ray-workers N`` (a Ray instance started by the process,
  N actors of one CPU each).

For each: passages (chunks) per second of the ingest itself (the report's seconds, from the
lock to the last commit), the whole process's wall time (Ray's start-up included), and the
database's share (the report's ``db_seconds``: COPY, upserts and commits) of the ingest time:
the part that more embedding workers do not shorten. Usage:

    .venv/bin/python benchmarks/ray_embed.py [--docs 400] [--repeat 3] [--dataset /work/shared/datasets/cranfield]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODES: dict[str, tuple[list[str], dict[str, str]]] = {
    "plain": ([], {}),
    "plain-1thread": ([], {"OMP_NUM_THREADS": "1"}),
    "ray-1": (["--ray", "local", "--ray-workers", "1"], {}),
    "ray-2": (["--ray", "local", "--ray-workers", "2"], {}),
}


def cli(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pgvsearch", *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pgvsearch {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done, wall


def write_docs(dataset: Path, folder: Path, count: int) -> None:
    with (dataset / "corpus.jsonl").open(encoding="utf-8") as corpus:
        for n, line in enumerate(corpus):
            if n >= count:
                break
            doc = json.loads(line)
            (folder / f"{doc['_id']}.txt").write_text(f"{doc['title']}\n\n{doc['text']}\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/cranfield"))
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pgvsearch-ray-bench-") as tmp:
        home, files = Path(tmp) / "home", Path(tmp) / "files"
        files.mkdir()
        write_docs(opts.dataset, files, opts.docs)
        base = dict(os.environ, PGVSEARCH_HOME=str(home), PGVSEARCH_CONFIG=str(home / "none.toml"), HF_HUB_OFFLINE="1")
        for name in ("PGVSEARCH_DSN", "PGVSEARCH_COLLECTION", "RAY_ADDRESS", "OMP_NUM_THREADS"):
            base.pop(name, None)
        cli(["init", "--collection", "warmup"], base)  # the server's first start and the model cache, outside every figure
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        order = list(MODES)
        for rep in range(opts.repeat):
            for mode in order if rep % 2 == 0 else reversed(order):
                flags, extra = MODES[mode]
                collection = f"bench_{mode.replace('-', '_')}_{rep}"
                cli(["init", "--collection", collection], base)  # the default (int8) collection a user gets
                done, wall = cli(["ingest", str(files), "--collection", collection, "--format", "json", "-q", *flags], dict(base, **extra))
                report = json.loads(done.stdout)
                runs[mode].append(dict(wall=wall, seconds=report["seconds"], db=report["db_seconds"], chunks=report["chunks"]))
                print(f"{mode:14} run {rep + 1}: {report['chunks']} passages, ingest {report['seconds']:.1f} s, "
                      f"process {wall:.1f} s, database {report['db_seconds']:.1f} s", file=sys.stderr)
        cli(["server", "stop"], base)

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{opts.docs} Cranfield abstracts as .txt files, {opts.repeat} runs per mode (medians)")
    print("| mode | passages | passages/s (ingest) | process wall s | database share of ingest |")
    print("|---|---|---|---|---|")
    for mode, rows in runs.items():
        chunks = rows[0]["chunks"]
        seconds = statistics.median(r["seconds"] for r in rows)
        wall = statistics.median(r["wall"] for r in rows)
        share = statistics.median(r["db"] / r["seconds"] for r in rows)
        print(f"| {mode} | {chunks} | {chunks / seconds:.1f} | {wall:.1f} | {share:.0%} |")


if __name__ == "__main__":
    main()
