#!/usr/bin/env python
"""Search latency, recall, load and storage at scale, on synthetic data (issue #17).

    .venv/bin/python benchmarks/scale.py [--chunks 5000,100000] [--queries 200] [--json]
                                         [--home DIR --keep] [--storage-variants]
                                         [--storage vector|halfvec|binary]

For each size N the script loads N one-chunk synthetic documents (benchmarks/scale_data.py:
Zipfian text, 384-d clustered vectors, a hierarchical source and three metadata keys) into a
collection ``scale_<N>`` of a private embedded server, through ``pgvsearch.ingest.write_batch``
as an ingest into an empty collection does (HNSW index built after the data, then VACUUM
ANALYZE), and measures warm, each query's second run after an untimed first (whose p50 is
reported too), the time of ``Searcher.run`` (the library's path:
the collection's SQL function over the local socket, hits built in Python; query vectors are
synthetic, no model runs):

* keyword, semantic and hybrid search, k=10 and default options, unfiltered;
* semantic and hybrid search filtered by ``prefix`` (doc_id or source starts with it) and by
  ``meta`` (one metadata key = value), each at 10 %, 1 % and 0.1 % selectivity;
* recall@10 of those semantic searches against the exact answer (an exact scan with index
  scans disabled, under the same filter), and the share of queries that return k rows, or
  all the matching documents when fewer than k match;
* raw HNSW recall@10 at several ef_search; load rows/s, HNSW build time, peak RSS of this
  process and of the server; bytes per chunk of each structure;
* with --storage-variants: expression HNSW indexes over ``embedding::halfvec(384)`` and
  ``binary_quantize(embedding)::bit(384)`` (the latter re-ranked by exact distance over a
  pool of 4k and 10k), their size, latency and recall@10, then dropped.

--storage halfvec|binary loads the collection ``scale_<N>_<storage>`` with that storage (``init
--storage``) and measures it through the same searches: for binary, its bit HNSW index re-ranked
by the full vectors, as a user's collection searches (raw ef_search recall is then not measured).
With --from-vector, a kept ``scale_<N>`` (vector) collection is converted instead of loading the
same rows again (renamed, its HNSW index rebuilt as the bit index; the load figures are its).

Resuming: with --home DIR --keep, a collection kept by an earlier run with the same seed and
generator (DIR/scale_<N>.json records them and the load's figures, written once the load,
index and ANALYZE are complete) is reused instead of loaded again; the queries are regenerated
from the seed, their vectors read back from the collection, and the exact answers recall is
measured against (sequential scans, ~17 minutes at 1M) are read from DIR/scale_<N>.exact.json
when an earlier run of the same load computed them. With --rebuild, a kept collection is
first brought to what this version writes (chunks rewritten by VACUUM FULL, HNSW index built
again with this version's parameters; the new build time replaces the load's).

Output: the full report to benchmarks/results/scale.json (--output); tables on stdout, or,
with --json, tables on stderr and ONE JSON object on stdout. For one size that object is the
size's summary; for several, ``{"sizes": [summary, ...]}``. A summary's keys:

* ``chunks``, ``queries``, ``reused`` (the collection was kept from an earlier run),
  ``load_s``, ``load_rows_per_s``, ``hnsw_build_s``, ``vacuum_analyze_s`` (from the original
  load when reused), ``client_peak_rss_mb`` (getrusage of this process), ``server_peak_rss_mb``
  (the largest sum, at one moment, of the VmHWM of the private server's live processes:
  postmaster, backends, workers; shared buffers counted once per process, an upper bound),
  ``server_peak_pss_mb`` (the largest sum of their Pss: shared pages divided, what the server
  held), ``server_peak_rss_max_process_mb`` (the largest single VmHWM),
  ``server_processes_max`` (most live server processes at one sample);
* ``keyword_p50_ms``, ``keyword_p95_ms``, ``semantic_p50_ms``, ``semantic_p95_ms``,
  ``hybrid_p50_ms``, ``hybrid_p95_ms``;
* ``recall_at_10``: Searcher.run semantic against exact; ``hnsw_ef_search``: what the search
  sets (None if it cannot be read); ``raw_knn_recall_at_10``: {ef_search: recall} of a plain
  ``ORDER BY embedding <=> q LIMIT 10``;
* ``filtered_semantic_p50_ms``, ``filtered_semantic_p95_ms``, ``filtered_hybrid_p50_ms``,
  ``filtered_hybrid_p95_ms``, ``filtered_semantic_recall_at_10``,
  ``filtered_semantic_k_rows_share``, ``filtered_hybrid_k_rows_share``: each
  ``{"prefix": {"10%": x, "1%": x, "0.1%": x}, "meta": {...}}``;
* ``bytes_per_chunk_chunks_table`` (heap + TOAST), ``bytes_per_chunk_hnsw``,
  ``bytes_per_chunk_gin``, ``bytes_per_chunk_chunks_other_indexes``,
  ``bytes_per_chunk_documents`` (with its indexes), ``bytes_per_chunk_postings`` (with its
  indexes), ``bytes_per_chunk_lexicon``, ``bytes_per_chunk_document_pairs`` (the narrow filter's
  metadata pairs, with their index), ``bytes_per_chunk_total``;
* ``storage_variants``: None, or ``{"vector"|"halfvec"|"binary_rerank_40"|"binary_rerank_100":
  {"index_mb", "index_bytes_per_chunk", "build_s", "p50_ms", "p95_ms", "recall_at_10",
  "uses_index", "ef_search"}}`` ("vector" is the collection's own index, measured the same way);
* ``targets``: {name: {"value", "target", "pass"}} for the issue's targets.

Its parts: scale_data.py (the synthetic collection and queries), scale_load.py (loading or
reusing a kept collection, storage sizes), scale_measure.py (timing one scenario),
scale_exact.py (exact answers, recall, storage variants), scale_machine.py (machine, server
and speed check), scale_report.py (summaries, targets, the report).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import psycopg  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402
from psycopg import sql  # noqa: E402

from pgvsearch.ingest import write_batch  # noqa: E402
from pgvsearch.search import Searcher  # noqa: E402
from pgvsearch.store import drop_collection, init_collection, start_server, stop_server  # noqa: E402
from scale_machine import (  # noqa: E402
    ServerMemory, client_peak_rss_mb, machine_info, server_info, speed_check,
)
from scale_report import check_targets, log, mb, report, summarize  # noqa: E402
from scale_load import (  # noqa: E402
    convert_kept_vector, kept_state, load, rebuild_kept, reusable, storage_bytes, vectors_reader, write_state,
)
from scale_measure import Scenario, keyword_work, measure_latency, search_ef, searcher_plan  # noqa: E402
from scale_exact import (  # noqa: E402
    K, exact_answers, k_rows_share, qualified, raw_knn, recall, storage_variants,
)
from scale_data import (  # noqa: E402
    CENTROIDS, CHUNK_WORDS, DIMENSION, FILTER_KINDS, FILTER_LEVELS, ISOTROPIC_NORM, LOCAL_SCALE, QUERY_NOISE_NORM,
    QUERY_WORDS, SUBSPACE_RANK, VectorSpace, Vocabulary, data_params, documents, make_queries,
    stop_words,
)

MODEL = "synthetic"
MAX_SEQ_LENGTH = 256
WARMUP_QUERIES = 20
EF_SEARCH_VALUES = (40, 100, 200)
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"


# --- one size --------------------------------------------------------------------------


FILTER_KEYS = [(kind, label) for kind in FILTER_KINDS for label in FILTER_LEVELS]


def run_size(conn: psycopg.Connection[Any], n: int, args: argparse.Namespace, vocab: Vocabulary, space: VectorSpace,
             memory: ServerMemory) -> dict[str, Any]:
    name = f"scale_{n}" if args.storage == "vector" else f"scale_{n}_{args.storage}"
    state_file = kept_state(args.home, name) if args.keep else None
    kept = reusable(conn, name, n, kept_state(args.home, name), args.seed)
    if kept is None and args.from_vector and convert_kept_vector(conn, args, n, name) is not None:
        kept = reusable(conn, name, n, kept_state(args.home, name), args.seed)
    if kept is not None:
        coll, load_report = kept
        log(f"[{n:,} chunks] reusing the kept collection {name!r} (loaded by an earlier run, seed {args.seed})")
        # As a user upgrading pgvsearch runs `init`: an earlier version's collection gains what
        # this one adds (indexes, triggers), then is analyzed again.
        coll = init_collection(conn, name, model=MODEL, dimension=DIMENSION, max_seq_length=MAX_SEQ_LENGTH, storage=args.storage).collection
        conn.execute(sql.SQL("ANALYZE {}").format(qualified(coll, "documents")))
        if args.rebuild:
            load_report = rebuild_kept(conn, coll, args, name, load_report)
    else:
        drop_collection(conn, name)
        coll = init_collection(conn, name, model=MODEL, dimension=DIMENSION, max_seq_length=MAX_SEQ_LENGTH, storage=args.storage).collection
        log(f"[{n:,} chunks] loading into collection {name!r}")
        load_report = load(conn, coll, np.random.default_rng([args.seed, n]), vocab, space, n)
        if state_file is not None:
            write_state(args, name, load_report)
    storage = storage_bytes(conn, coll)

    query_rng = np.random.default_rng([args.seed, n, 1])
    vectors_of = vectors_reader(conn, coll)
    queries = make_queries(query_rng, vocab, n, args.queries, vectors_of)
    warmup = make_queries(query_rng, vocab, n, WARMUP_QUERIES, vectors_of)
    searcher = Searcher(conn, coll)
    scenarios = [Scenario("keyword"), Scenario("semantic"), Scenario("hybrid")] + [
        Scenario(mode, key) for key in FILTER_KEYS for mode in ("semantic", "hybrid")]
    speed_before = speed_check(conn)
    log(f"  speed check: {speed_before} ms (benchmarks/scale_machine.py SPEED_CHECK)")
    for scenario in scenarios:
        measure_latency(searcher, scenario, queries, warmup)
    speed_after = speed_check(conn)
    by_name = {(s.mode, s.filter): s for s in scenarios}

    truth, filtered_truth, exact_plan = exact_answers(
        conn, coll, queries, FILTER_KEYS,
        cache=args.home / f"{name}.exact.json" if args.keep and args.home is not None else None,
        key={"seed": args.seed, "data": data_params(), "queries": len(queries), "load": load_report.get("load_s"),
             "storage": coll.storage})
    ef = search_ef(conn, searcher)
    # Binary storage has no index on the vectors themselves: a plain ORDER BY embedding <=> q is exact.
    knn, ann_plan = ({}, "") if coll.storage == "binary" else raw_knn(conn, coll, queries, truth, EF_SEARCH_VALUES + ((ef,) if ef else ()))
    variants = None
    if args.storage_variants:
        variant_ef = ef or max(EF_SEARCH_VALUES)  # the search's ef_search, when readable
        variants = storage_variants(conn, coll, queries, truth, variant_ef, n, storage["hnsw"], knn[str(variant_ef)])
    memory.sample()

    def latency(s: Scenario) -> dict[str, Any]:
        truth_for = truth if s.filter is None else filtered_truth[s.filter]
        return {
            **summarize(s.latencies),
            "first_pass_p50_ms": summarize(s.first_pass)["p50_ms"],
            "server_cpu_ms_mean": None if s.server_cpu_seconds is None else round(s.server_cpu_seconds * 1000 / len(s.latencies), 2),
            "client_cpu_ms_mean": round(s.client_cpu_seconds * 1000 / len(s.latencies), 2),
            "load_average_1min": [round(x, 2) for x in s.load_average],
            "k_rows_share": k_rows_share(s.doc_ids, truth_for),
            "recall_at_10": recall(s.doc_ids, truth_for) if s.mode == "semantic" else None,
            "misses": [{"query": i, "found": f, "exact": t} for i, (f, t) in enumerate(zip(s.doc_ids, truth_for))
                       if s.mode == "semantic" and set(f[:K]) != set(t[:K])][:5],
        }

    details = {s.name: latency(s) for s in scenarios}
    exact_rows = {f"{kind} {label}": round(statistics.fmean(len(t) for t in filtered_truth[(kind, label)]), 2)
               for kind, label in FILTER_KEYS}

    def per_filter(mode: str, figure: str) -> dict[str, dict[str, float | None]]:
        return {kind: {label: details[by_name[(mode, (kind, label))].name][figure] for label in FILTER_LEVELS}
                for kind in FILTER_KINDS}

    summary: dict[str, Any] = {
        "chunks": n,
        "storage": coll.storage,
        "queries": args.queries,
        "reused": kept is not None,
        "speed_check_ms": {"before": speed_before, "after": speed_after},
        **{key: load_report[key] for key in ("load_s", "load_rows_per_s", "hnsw_build_s", "vacuum_analyze_s")},
        "client_peak_rss_mb": client_peak_rss_mb(),
        **memory.report(),
        **{f"{mode}_{p}_ms": details[mode][f"{p}_ms"] for mode in ("keyword", "semantic", "hybrid") for p in ("p50", "p95")},
        "recall_at_10": details["semantic"]["recall_at_10"],
        "hnsw_ef_search": ef,
        "raw_knn_recall_at_10": {e: v["recall_at_10"] for e, v in knn.items()},
        **{f"filtered_{mode}_{p}_ms": per_filter(mode, f"{p}_ms") for mode in ("semantic", "hybrid") for p in ("p50", "p95")},
        "filtered_semantic_recall_at_10": per_filter("semantic", "recall_at_10"),
        "filtered_semantic_k_rows_share": per_filter("semantic", "k_rows_share"),
        "filtered_hybrid_k_rows_share": per_filter("hybrid", "k_rows_share"),
        **{f"bytes_per_chunk_{part}": round(size / n, 1) for part, size in storage.items()},
        "storage_variants": variants,
    }
    summary["targets"] = check_targets(summary)
    plans = {s.name: searcher_plan(conn, searcher, s.mode, s.options(queries[0]), queries[0])
             for s in scenarios if s.mode != "keyword"}
    result = {
        "summary": summary,
        "collection": name,
        "load": load_report,
        "storage_mb": {part: mb(size) for part, size in storage.items()},
        "latency": details,
        "filtered_exact_rows_mean": exact_rows,  # < k when fewer documents match
        "keyword_work": keyword_work(conn, coll, queries),
        "raw_knn_by_ef_search": knn,
        "searcher_plans": plans,
        "exact_plan": exact_plan,
        "ann_plan": ann_plan,
    }
    if not args.keep:
        drop_collection(conn, name)
        if args.home is not None:
            kept_state(args.home, name).unlink(missing_ok=True)  # type: ignore[union-attr]
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", default="5000,100000", help="comma-separated collection sizes (default 5000,100000)")
    parser.add_argument("--queries", type=int, default=200, help="measured queries per size (default 200)")
    parser.add_argument("--home", type=Path, help="PGVSEARCH home for the private server (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the scale_<N> collections for a later run with the same --home")
    parser.add_argument("--storage", choices=("vector", "halfvec", "binary"), default="vector",
                        help="the collection's storage (init --storage); other than vector, the collection is scale_<N>_<storage>")
    parser.add_argument("--from-vector", action="store_true",
                        help="with --storage binary: re-index the kept scale_<N> collection (same rows) instead of loading again")
    parser.add_argument("--rebuild", action="store_true",
                        help="with --home: rewrite a kept collection's chunks (VACUUM FULL) and build its HNSW index again, "
                             "as this version writes them (after an upgrade that changes either)")
    parser.add_argument("--storage-variants", action="store_true", help="also measure halfvec and binary-quantized HNSW indexes")
    parser.add_argument("--json", action="store_true", help="one JSON object of the figures on stdout, tables on stderr")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--words", type=Path, help="a word list to use instead of pseudo-words")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"full JSON report (default {RESULTS.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(x.replace("_", "")) for x in args.chunks.split(",") if x.strip()]
    except ValueError:
        parser.error("--chunks takes comma-separated whole numbers, e.g. 5000,100000")
    if args.from_vector and (args.storage != "binary" or args.home is None):
        parser.error("--from-vector converts a kept vector collection: use it with --storage binary and --home")
    if args.storage_variants and args.storage != "vector":
        parser.error("--storage-variants measures other indexes beside a vector collection's: use it with --storage vector")
    if not args.sizes or min(args.sizes) < 100 or args.queries < 1:
        parser.error("--chunks sizes must be at least 100 and --queries at least 1")
    if args.rebuild and args.home is None:
        parser.error("--rebuild works on a kept collection: use it with --home")
    if args.keep and args.home is None:
        parser.error("--keep needs --home (a temporary server is deleted at the end)")
    if args.home is not None:
        args.home = args.home.expanduser().resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    temporary = args.home is None
    home = Path(tempfile.mkdtemp(prefix="pgvsearch-scale-")) if temporary else args.home
    home.mkdir(parents=True, exist_ok=True)
    pgdata = home / "pgdata"
    log(f"starting a private embedded server in {pgdata}")
    server = start_server(pgdata)
    try:
        with psycopg.connect(server.conninfo(), autocommit=True, application_name="pgvsearch-scale") as conn, \
                ServerMemory(server.pid, server.conninfo()) as memory:
            conn.execute("SET client_min_messages = warning")
            init_collection(conn, "scale_probe", model=MODEL, dimension=DIMENSION, max_seq_length=MAX_SEQ_LENGTH)
            drop_collection(conn, "scale_probe")  # creates the extension and registry
            register_vector(conn)  # write_batch copies vectors in binary; queries read them back
            rng = np.random.default_rng(args.seed)
            vocab = Vocabulary.build(stop_words(conn), rng, args.words)
            space = VectorSpace.build(rng)
            data: dict[str, Any] = {
                "machine": machine_info(),
                "server": server_info(conn),
                "queries": args.queries,
                "seed": args.seed,
                "data": {
                    "text": f"{vocab.source}; {CHUNK_WORDS[0]}-{CHUNK_WORDS[1]} words per chunk, "
                            f"queries {QUERY_WORDS[0]}-{QUERY_WORDS[1]} words",
                    "vectors": f"{DIMENSION}-d, {CENTROIDS} centroids, per-cluster {SUBSPACE_RANK}-d Gaussian subspace "
                               f"(norm ~{LOCAL_SCALE * np.sqrt(SUBSPACE_RANK):.2f}) + isotropic noise (norm {ISOTROPIC_NORM}), "
                               f"normalised; queries = document + isotropic noise (norm {QUERY_NOISE_NORM})",
                    "filters": "source synthetic/a/b/c/<doc_id> (digits uniform 0-9; prefixes of 1, 2, 3 digits select "
                               "10 %, 1 %, 0.1 %); metadata group/tenant/team with 10/100/1000 uniform values",
                },
                "sizes": [],
            }
            for n in args.sizes:
                memory.reset()
                data["sizes"].append(run_size(conn, n, args, vocab, space, memory))
    finally:
        log("stopping the server")
        stop_server(pgdata)
        if temporary:
            shutil.rmtree(home, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    text = report(data, K, WARMUP_QUERIES)
    if args.json:
        log(text)
        summaries = [r["summary"] for r in data["sizes"]]
        print(json.dumps(summaries[0] if len(summaries) == 1 else {"sizes": summaries}))
    else:
        print(text)
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
