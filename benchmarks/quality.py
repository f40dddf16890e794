"""Search quality on a BEIR collection (default: ../shared/datasets/cranfield).

Ingests the corpus into a private embedded PostgreSQL, then prints nDCG@10, Recall@100,
MRR@10 and latency for semantic, keyword (BM25), hybrid (RRF) and the naive ts_rank
baseline (hybrid with both fusions, RRF and score fusion). Usage:

    .venv/bin/python benchmarks/quality.py [--dataset DIR] [--precision fp32|int8] [--gain both|linear|exponential]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass(frozen=True)
class DocHit:
    doc_id: str


class TsRankBaseline:
    """Duck-types Searcher.run for evaluate(): the ts_rank-over-OR baseline."""

    def __init__(self, conn: Any, coll: Any) -> None:
        from pgvsearch.store import sql_statement

        self.conn, self.coll = conn, coll
        self.statement = sql_statement("baseline_ts_rank", schema=coll.schema)

    def run(self, query: str, mode: str, options: Any) -> list[DocHit]:
        params = {"query": query, "text_config": self.coll.text_config, "k": options.k,
                  "word_separators": self.coll.word_separators, "separator_spaces": self.coll.separator_spaces}
        rows = self.conn.execute(self.statement, params).fetchall()
        return [DocHit(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "cranfield")
    parser.add_argument("--home", type=Path, default=None, help="PGVSEARCH_HOME to use (default: a new temporary one)")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--precision", default=None, choices=["fp32", "int8"], help="of the document embeddings (queries are fp32, as in the CLI) [default: int8; fp32 with --backend torch]")
    parser.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    parser.add_argument("--gain", default="both", choices=["both", "exponential", "linear"])
    parser.add_argument("--rrf-k", default="60")
    parser.add_argument("--fusion", default="rrf,dbsf", help="hybrid fusions to report (rrf is the default of `pgvsearch hybrid`)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "quality.json")
    args = parser.parse_args()
    if args.precision is None:
        args.precision = "fp32" if args.backend == "torch" else "int8"

    home = args.home or Path(tempfile.mkdtemp(prefix="pgvsearch-quality-"))
    os.environ["PGVSEARCH_HOME"] = str(home)
    from pgvsearch.config import resolve_settings
    from pgvsearch.store import connect
    from pgvsearch.embedding import load_embedder
    from pgvsearch.evaluate import Variant, evaluate, parse_list, read_qrels, variants
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.render import print_eval
    from pgvsearch.store import init_collection
    from pgvsearch.search import Searcher, SearchOptions, read_queries
    from pgvsearch.store import stop_server

    settings = resolve_settings(home=home)
    embedder = load_embedder(args.model, cache_dir=settings.model_cache, backend=args.backend, precision=args.precision)
    # As the CLI does: documents in --precision, queries always fp32.
    query_embedder = load_embedder(args.model, cache_dir=settings.model_cache, backend=args.backend, precision="fp32")
    name = f"quality_{args.dataset.name}_{args.precision}".lower().replace("-", "_")
    started = time.perf_counter()
    with connect(settings) as conn:
        coll = init_collection(conn, name, model=args.model, dimension=embedder.dimension, max_seq_length=embedder.max_seq_length,
                               precision=args.precision).collection
        report = ingest_paths(conn, coll, embedder, [str(args.dataset / "corpus.jsonl")])
        ingest_s = time.perf_counter() - started
        queries = read_queries(str(args.dataset / "queries.jsonl"))
        qrels = read_qrels(args.dataset / "qrels" / "test.tsv")
        plan = variants(["semantic", "keyword", "hybrid"], SearchOptions(k=100), rrf_ks=parse_list(args.rrf_k, float, "--rrf-k"),
                        fusions=parse_list(args.fusion, str, "--fusion"))
        tables = {}
        for gain in (["linear", "exponential"] if args.gain == "both" else [args.gain]):
            results = evaluate(Searcher(conn, coll, query_embedder), queries, qrels, plan, gain=gain)
            results += evaluate(TsRankBaseline(conn, coll), queries, qrels, [Variant("ts_rank (baseline)", SearchOptions(k=100))], gain=gain)  # type: ignore[arg-type]
            tables[gain] = results
    if args.home is None:
        stop_server(settings.pgdata)

    output: dict[str, Any] = {"ingest_seconds": ingest_s, "documents": report.added, "chunks": report.chunks}
    for gain, results in tables.items():
        rows = [r.to_dict() for r in results]
        title = (f"{args.dataset.name}: {results[0].queries} judged queries, {report.added} documents / {report.chunks} chunks, "
                 f"model {args.model} ({embedder.backend}, documents {embedder.precision}, queries fp32), nDCG gain {gain}")
        print_eval(rows, title=title)
        output[gain] = rows
    print(f"ingest: {ingest_s:.1f}s ({report.chunks_per_second:.1f} chunks/s); machine: {platform.machine()}, {os.cpu_count()} cores")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(output, indent=2) + "\n")


if __name__ == "__main__":
    main()
