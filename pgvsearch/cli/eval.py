"""eval: judged queries -> nDCG, recall, MRR and latency of each ranking variant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional, Sequence

import typer

from ..errors import UsageError
from .context import QUERY_PRECISION, load_embedder, open_collection, reading_connection, settings_for
from .options import CollectionName, Debug, Device, Dsn, Format, MaxLag, Model, ReadDsn

if TYPE_CHECKING:
    from ..evaluate import ModeResult


def eval_command(
    queries: Annotated[str, typer.Option("--queries", help="BEIR queries.jsonl ({\"_id\", \"text\"}).")],
    qrels: Annotated[str, typer.Option("--qrels", help="BEIR qrels TSV: query-id, corpus-id, score (header line).")],
    modes: Annotated[str, typer.Option("--modes", help="Comma-separated rankings to evaluate.")] = "semantic,keyword,hybrid",
    rrf_k: Annotated[str, typer.Option("--rrf-k", help="RRF constant(s) for hybrid, e.g. 20,60,100 (one row each).")] = "60",
    fusion: Annotated[str, typer.Option("--fusion", help="Hybrid fusion(s): rrf, dbsf or rrf,dbsf (one row each).")] = "rrf",
    semantic_weight: Annotated[str, typer.Option("--semantic-weight", help="Semantic weight(s) for hybrid, comma-separated.")] = "1",
    keyword_weight: Annotated[str, typer.Option("--keyword-weight", help="Keyword weight(s) for hybrid, comma-separated.")] = "1",
    candidates: Annotated[str, typer.Option("--candidates", help="Candidate depth(s) per branch, comma-separated.")] = "100",
    bm25_k1: Annotated[Optional[str], typer.Option("--bm25-k1", help="BM25 k1 value(s) for keyword and hybrid, e.g. 0.9,1.2 [default: 1.2].", show_default=False)] = None,
    bm25_b: Annotated[Optional[str], typer.Option("--bm25-b", help="BM25 b value(s) for keyword and hybrid, e.g. 0.4,0.75 [default: 0.75].", show_default=False)] = None,
    gain: Annotated[str, typer.Option("--gain", help="nDCG gain: linear (rel, as pytrec_eval/BEIR) or exponential (2^rel-1).")] = "linear",
    per_query: Annotated[bool, typer.Option("--per-query", help="Print one JSON line per query and variant instead of the summary.")] = False,
    fmt: Format = None,
    model: Model = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    read_dsn: ReadDsn = None,
    max_lag: MaxLag = None,
    device: Device = None,
    debug: Debug = False,
) -> None:
    """Measure nDCG@10, Recall@100, MRR@10 and latency of each ranking on judged queries.

    Example: pgvsearch eval --queries queries.jsonl --qrels qrels/test.tsv --rrf-k 20,60,100
    """
    from ..evaluate import evaluate, parse_list, read_qrels, variants
    from ..render import pick_format
    from ..search import Searcher, SearchOptions, read_queries

    mode_list = _modes(modes)
    if gain not in ("exponential", "linear"):
        raise UsageError("--gain must be exponential or linear")
    pick_format(fmt)  # an unknown --format fails before the work
    if per_query and fmt not in (None, "json"):
        raise UsageError("--per-query prints JSON lines; leave out --format or use --format json")
    plan = variants(
        mode_list, SearchOptions(k=100),
        rrf_ks=parse_list(rrf_k, float, "--rrf-k"), fusions=parse_list(fusion, str, "--fusion"), semantic_weights=parse_list(semantic_weight, float, "--semantic-weight"),
        keyword_weights=parse_list(keyword_weight, float, "--keyword-weight"), candidates=parse_list(candidates, int, "--candidates"),
        bm25_k1s=parse_list(bm25_k1, float, "--bm25-k1") if bm25_k1 is not None else None,
        bm25_bs=parse_list(bm25_b, float, "--bm25-b") if bm25_b is not None else None,
    )
    judgments = read_qrels(qrels)
    query_list = read_queries(queries)
    settings = settings_for(dsn, collection, read_dsn, max_lag, device)
    with reading_connection(settings) as conn:
        coll = open_collection(conn, settings, model)
        searcher = Searcher(conn, coll, lambda: load_embedder(coll.model, settings, precision=QUERY_PRECISION))
        results = evaluate(searcher, query_list, judgments, plan, gain=gain, per_query=per_query)
    _print_results(results, fmt, per_query=per_query, collection=coll.name, gain=gain)


def _modes(modes: str) -> list[str]:
    from ..search import MODES

    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = [m for m in mode_list if m not in MODES]
    if unknown or not mode_list:
        raise UsageError(f"--modes takes {', '.join(MODES)}; got {modes!r}")
    return mode_list


def _print_results(results: Sequence["ModeResult"], fmt: str | None, *, per_query: bool, collection: str, gain: str) -> None:
    """One JSON line per query and variant when asked for, else one row per variant as JSON lines, CSV or a table."""
    from ..render import eval_fields, pick_format, print_csv, print_eval, print_json

    if per_query:
        for result in results:
            for row in result.per_query:
                print_json(row)
        return
    chosen = pick_format(fmt)
    if chosen == "json":
        for result in results:
            print_json(result.to_dict())
    elif chosen == "csv":
        rows = [r.to_dict() for r in results]
        print_csv(rows, eval_fields(rows))
    else:
        print_eval([r.to_dict() for r in results], title=f"{collection}: {results[0].queries} judged queries, nDCG gain {gain}")
