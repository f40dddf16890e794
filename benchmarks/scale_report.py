"""The figures of benchmarks/scale.py and how they are shown: latency summaries, the issue's
targets (which figure is checked against which bound), and the tables printed (on stderr with
--json), with the progress log."""

from __future__ import annotations

import sys
from typing import Any, Sequence

import numpy as np

from scale_data import FILTER_KINDS, FILTER_LEVELS


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summarize(seconds: Sequence[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def mb(value: int | None) -> float | None:
    return None if value is None else round(value / 1024 / 1024, 1)


TARGETS = {  # name -> (summary key path, bound, "max" or "min")
    "hybrid_p50_ms": (("hybrid_p50_ms",), 40.0, "max"),
    "hybrid_p95_ms": (("hybrid_p95_ms",), 120.0, "max"),
    "keyword_p50_ms": (("keyword_p50_ms",), 25.0, "max"),
    "semantic_p50_ms": (("semantic_p50_ms",), 20.0, "max"),
    "recall_at_10": (("recall_at_10",), 0.95, "min"),
    **{f"filtered_{mode}_{kind}_{label}_p50_ms": ((f"filtered_{mode}_p50_ms", kind, label), 60.0, "max")
       for mode in ("semantic", "hybrid") for kind in FILTER_KINDS for label in FILTER_LEVELS},
    **{f"filtered_semantic_{kind}_{label}_recall_at_10": (("filtered_semantic_recall_at_10", kind, label), 0.95, "min")
       for kind in FILTER_KINDS for label in FILTER_LEVELS},
    **{f"filtered_{mode}_{kind}_{label}_k_rows_share": ((f"filtered_{mode}_k_rows_share", kind, label), 1.0, "min")
       for mode in ("semantic", "hybrid") for kind in FILTER_KINDS for label in FILTER_LEVELS},
}
def check_targets(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    checked = {}
    for name, (path, bound, sense) in TARGETS.items():
        value: Any = summary
        for part in path:
            value = value[part]
        checked[name] = {"value": value, "target": f"{'<=' if sense == 'max' else '>='} {bound}",
                         "pass": value is not None and (value <= bound if sense == "max" else value >= bound)}
    return checked


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(data: dict[str, Any], k: int, warmup: int) -> str:
    m, s, runs = data["machine"], data["server"], data["sizes"]
    out = [
        f"Machine: {m['cpu_model']}, {m['nproc']} CPUs, {m['ram_gib']} GiB RAM ({m['platform']})",
        f"PostgreSQL {s['server_version']}, pgvector {s['pgvector']}; shared_buffers {s['shared_buffers']}, "
        f"work_mem {s['work_mem']}, jit {s['jit']}",
        f"Data: {data['data']['text']}; {data['data']['vectors']}",
        "",
        "Load (write_batch, 1000 docs/batch, HNSW built after the data, then VACUUM ANALYZE) and memory",
        table(["chunks", "reused", "load s", "rows/s", "HNSW build s", "client peak MB", "server peak MB (VmHWM sum)",
               "server peak PSS MB", "largest process MB"],
              [[f"{r['chunks']:,}", r["reused"], r["load_s"], r["load_rows_per_s"], r["hnsw_build_s"], r["client_peak_rss_mb"],
                r["server_peak_rss_mb"], r["server_peak_pss_mb"], r["server_peak_rss_max_process_mb"]]
               for r in (x["summary"] for x in runs)]),
        "",
        "Bytes per chunk",
        table(["chunks", "chunks table", "HNSW", "GIN", "chunks other idx", "documents", "postings", "lexicon", "pairs", "total"],
              [[f"{r['chunks']:,}"] + [r.get(f"bytes_per_chunk_{p}") for p in
                                       ("chunks_table", "hnsw", "gin", "chunks_other_indexes", "documents", "postings", "lexicon",
                                        "document_pairs", "total")]
               for r in (x["summary"] for x in runs)]),
        "",
        f"Latency of Searcher.run (k={k}, default options; {data['queries']} queries, each run once before, after {warmup} warm-up; ms). "
        "recall: against the exact (filtered) top k; k rows: queries with k rows or all matches",
    ]
    rows = []
    for r in runs:
        for name, lat in r["latency"].items():
            rows.append([f"{r['summary']['chunks']:,}", name, lat["p50_ms"], lat["p95_ms"], lat["max_ms"], lat.get("first_pass_p50_ms"),
                         lat["recall_at_10"],
                         f"{lat['k_rows_share']:.0%}", lat["server_cpu_ms_mean"], lat["client_cpu_ms_mean"],
                         "{:.1f}-{:.1f}".format(*lat["load_average_1min"])])
    out.append(table(["chunks", "search", "p50", "p95", "max", "1st pass p50", "recall@10", "k rows", "server CPU", "client CPU",
                      "load avg"], rows))
    out += ["", "Raw HNSW recall@10 (ORDER BY <=> LIMIT 10; ms)"]
    out.append(table(["chunks", "ef_search", "recall@10", "p50", "p95", "HNSW used"],
                     [[f"{r['summary']['chunks']:,}", ef, v["recall_at_10"], v["p50_ms"], v["p95_ms"], v["uses_hnsw_index"]]
                      for r in runs for ef, v in r["raw_knn_by_ef_search"].items()]))
    variant_rows = [[f"{r['summary']['chunks']:,}", name, v["index_mb"], v["index_bytes_per_chunk"], v["build_s"], v["ef_search"],
                     v["p50_ms"], v["p95_ms"], v["recall_at_10"], v["uses_index"]]
                    for r in runs if r["summary"]["storage_variants"] for name, v in r["summary"]["storage_variants"].items()]
    if variant_rows:
        out += ["", "Storage variants (expression HNSW indexes; binary re-ranked by exact distance over a pool of 4k/10k)"]
        out.append(table(["chunks", "variant", "index MB", "B/chunk", "build s", "ef_search", "p50", "p95", "recall@10", "index used"],
                         variant_rows))
    out += ["", "Targets (issue #17; met only if measured at 1,000,000 chunks)"]
    for r in runs:
        failed = [f"{name} = {t['value']} (target {t['target']})" for name, t in r["summary"]["targets"].items() if not t["pass"]]
        passed = sum(t["pass"] for t in r["summary"]["targets"].values())
        out.append(f"  {r['summary']['chunks']:,} chunks: {passed}/{len(r['summary']['targets'])} pass"
                   + ("; fail: " + "; ".join(failed) if failed else ""))
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------
