"""Retrieval evaluation on BEIR-style files: nDCG@10, Recall@100, MRR@10 and latency per mode.

Metrics are per document: a hit list is de-duplicated by doc_id (a document's first, best
chunk counts). nDCG uses graded gains: rel (``gain="linear"``, the default, as pytrec_eval
and so the published BEIR baselines) or 2^rel - 1 (``gain="exponential"``), with the ideal
ranking built from all judged relevant documents of the query.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .errors import UsageError

if TYPE_CHECKING:
    from .search import Query, SearchOptions, Searcher

Qrels = dict[str, dict[str, float]]


# --- metric functions (pure) -----------------------------------------------------------
def dedupe(doc_ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for doc_id in doc_ids:
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out


def _gain(rel: float, gain: str) -> float:
    return (2.0**rel - 1.0) if gain == "exponential" else rel


def ndcg_at(ranked: Sequence[str], judgments: Mapping[str, float], k: int = 10, gain: str = "linear") -> float:
    dcg = sum(_gain(judgments.get(d, 0.0), gain) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in judgments.values() if r > 0), reverse=True)[:k]
    idcg = sum(_gain(r, gain) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], judgments: Mapping[str, float], k: int = 100) -> float:
    relevant = {d for d, r in judgments.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at(ranked: Sequence[str], judgments: Mapping[str, float], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if judgments.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default method)."""
    if not values:
        return 0.0
    data = sorted(values)
    pos = (len(data) - 1) * pct / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


# --- inputs ---------------------------------------------------------------------------
def read_qrels(path: str | Path) -> Qrels:
    """BEIR qrels: ``query-id corpus-id score`` with a header line; score <= 0 is not relevant.

    Fields are tab-separated when the line has a tab (so ids may contain spaces), otherwise
    separated by whitespace. TREC's four-field form ``query-id iteration corpus-id score`` is
    read too.
    """
    qrels: Qrels = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read qrels {path}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
        while parts and not parts[-1]:
            parts.pop()  # a trailing tab
        if number == 1 and parts and not _is_number(parts[-1]):
            continue  # header
        if len(parts) not in (3, 4) or not all(parts):
            raise UsageError(f"{path}:{number}: expected 'query-id<TAB>corpus-id<TAB>score' (or TREC's four fields)")
        query_id, corpus_id, raw_score = parts[0], parts[-2], parts[-1]
        if not _is_number(raw_score):
            raise UsageError(f"{path}:{number}: score {raw_score!r} is not a number")
        score = float(raw_score)
        qrels.setdefault(query_id, {})[corpus_id] = score
    if not qrels:
        raise UsageError(f"no judgments in {path}")
    return qrels


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- running --------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    mode: str
    options: "SearchOptions"
    label: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModeResult:
    mode: str
    params: dict[str, Any]
    ndcg10: float
    recall100: float
    mrr10: float
    p50_ms: float
    p95_ms: float
    queries: int
    per_query: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            **self.params,
            "ndcg@10": round(self.ndcg10, 4),
            "recall@100": round(self.recall100, 4),
            "mrr@10": round(self.mrr10, 4),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "queries": self.queries,
        }


def variants(
    modes: Sequence[str],
    base: "SearchOptions",
    *,
    rrf_ks: Sequence[float] = (60.0,),
    fusions: Sequence[str] = ("rrf",),
    semantic_weights: Sequence[float] = (1.0,),
    keyword_weights: Sequence[float] = (1.0,),
    candidates: Sequence[int] = (100,),
    bm25_k1s: Sequence[float] | None = None,
    bm25_bs: Sequence[float] | None = None,
) -> list[Variant]:
    """One variant per mode; hybrid expands to every combination of the tuning lists, and the
    rankings that use BM25 (keyword, hybrid) to every (k1, b) pair when those lists are given."""
    bm25 = [(k1, b) for k1 in (bm25_k1s or [base.bm25_k1]) for b in (bm25_bs or [base.bm25_b])]
    show_bm25 = bm25_k1s is not None or bm25_bs is not None

    def with_bm25(mode: str, opts: "SearchOptions", params: dict[str, Any]) -> list[Variant]:
        if mode == "semantic":
            return [Variant(mode, opts, params)]
        return [
            Variant(mode, replace(opts, bm25_k1=k1, bm25_b=b), {**params, "bm25_k1": k1, "bm25_b": b} if show_bm25 else params)
            for k1, b in bm25
        ]

    for fusion in fusions:
        replace(base, fusion=fusion).validate()  # an unknown fusion fails before any query runs
    show_fusion = list(fusions) != ["rrf"]
    out: list[Variant] = []
    for mode in modes:
        if mode == "hybrid":
            for fusion in fusions:
                # The RRF constant means nothing to score fusion: one row per other setting.
                ks: Sequence[float | None] = rrf_ks if fusion == "rrf" else [None]
                for rk, sw, kw, cand in itertools.product(ks, semantic_weights, keyword_weights, candidates):
                    opts = replace(base, fusion=fusion, semantic_weight=sw, keyword_weight=kw, candidates=cand)
                    params: dict[str, Any] = {"fusion": fusion} if show_fusion else {}
                    if rk is not None:
                        opts = replace(opts, rrf_k=rk)
                        params["rrf_k"] = rk
                    params.update({"semantic_weight": sw, "keyword_weight": kw, "candidates": cand})
                    out += with_bm25(mode, opts, params)
        else:
            for cand in candidates:
                out += with_bm25(mode, replace(base, candidates=cand), {"candidates": cand} if len(candidates) > 1 else {})
    return out


WARM_UP_QUERIES = 50


def warm_up(searcher: "Searcher", queries: Sequence["Query"], plan: Sequence[Variant]) -> None:
    """Run up to WARM_UP_QUERIES queries through every mode of the plan, untimed, before any
    timing: the model is loaded and the indexes' pages are read into memory once, so that the
    first mode measured is not charged for them (it was: semantic p50 185 ms against hybrid 75 ms)."""
    sample = queries[:WARM_UP_QUERIES]
    for variant in {v.mode: v for v in plan}.values():
        opts = replace(variant.options, k=max(variant.options.k, 100))
        for q in sample:
            searcher.run(q.text, variant.mode, opts)


def evaluate(
    searcher: "Searcher",
    queries: Sequence["Query"],
    qrels: Qrels,
    plan: Sequence[Variant],
    *,
    gain: str = "linear",
    per_query: bool = False,
) -> list[ModeResult]:
    """Run every judged query through every variant and aggregate the metrics."""
    if not plan:
        raise UsageError("nothing to evaluate: give at least one mode and one value for each tuning list")
    for variant in plan:
        if variant.options.candidates < 100:
            raise UsageError("--candidates must be at least 100: Recall@100 needs 100 documents from each ranking")
    judged = [q for q in queries if q.query_id in qrels and any(r > 0 for r in qrels[q.query_id].values())]
    if not judged:
        raise UsageError("no query has relevance judgments: check that query ids match the qrels file")
    warm_up(searcher, judged, plan)
    results: list[ModeResult] = []
    for variant in plan:
        opts = replace(variant.options, k=max(variant.options.k, 100))
        ndcgs, recalls, mrrs, latencies = [], [], [], []
        rows: list[dict[str, Any]] = []
        for q in judged:
            started = time.perf_counter()
            hits = searcher.run(q.text, variant.mode, opts)
            latencies.append((time.perf_counter() - started) * 1000)
            ranked = dedupe(h.doc_id for h in hits)
            judgments = qrels[str(q.query_id)]
            n, r, m = ndcg_at(ranked, judgments, 10, gain), recall_at(ranked, judgments, 100), mrr_at(ranked, judgments, 10)
            ndcgs.append(n)
            recalls.append(r)
            mrrs.append(m)
            if per_query:
                rows.append({"mode": variant.mode, **variant.label, "query_id": q.query_id, "ndcg@10": round(n, 4),
                             "recall@100": round(r, 4), "mrr@10": round(m, 4), "ms": round(latencies[-1], 2),
                             "top10": ranked[:10], "relevant": sorted(d for d, s in judgments.items() if s > 0)})
        results.append(ModeResult(
            mode=variant.mode, params=dict(variant.label), ndcg10=statistics.fmean(ndcgs), recall100=statistics.fmean(recalls),
            mrr10=statistics.fmean(mrrs), p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95),
            queries=len(judged), per_query=rows,
        ))
    return results


def parse_list(text: str | None, kind: type, name: str) -> list[Any]:
    if text is None:
        return []
    try:
        return [kind(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"{name} takes a comma-separated list of numbers, got {text!r}") from None
