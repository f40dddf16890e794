"""The `pgvsearch` command: parse options, call one library function, render the result.

Exit codes are listed once, in :data:`pgvsearch.errors.EXIT_CODE_MEANINGS`.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, List, Optional

import typer

from ..errors import ConfigError, ExitCode, UsageError, describe_error, exit_codes_help, is_usage_error

if TYPE_CHECKING:
    import psycopg

    from ..config import Settings
    from ..store import Collection
    from ..embedding import Embedder
    from ..search import SearchOptions

EXIT_CODES_HELP = exit_codes_help()

app = typer.Typer(
    name="pgvsearch",
    help="Semantic, keyword and hybrid (RRF) document search on PostgreSQL + pgvector.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
server_app = typer.Typer(help="Manage the embedded PostgreSQL server (used when no DSN is configured).", no_args_is_help=True)
app.add_typer(server_app, name="server")

# --- shared options -------------------------------------------------------------------
DsnOpt = typer.Option(None, "--dsn", help="libpq connection string (overrides PGVSEARCH_DSN, the config file and PG* variables).", show_default=False)
CollectionOpt = typer.Option(None, "--collection", "-c", help="Collection name [default: default, or PGVSEARCH_COLLECTION].", show_default=False)
FormatOpt = typer.Option(None, "--format", "-f", help="table, json (JSON lines) or csv [default: table on a terminal, json when piped].", show_default=False)
DebugOpt = typer.Option(False, "--debug", help="Show tracebacks for errors.")
KOpt = typer.Option(10, "-k", "--limit", help="Number of results.", min=1)
CandidatesOpt = typer.Option(100, "--candidates", help="Documents each ranking contributes before fusion.", min=1)
PrefixOpt = typer.Option(None, "--prefix", help="Only documents whose doc_id or source path starts with this.", show_default=False)
MetaOpt = typer.Option(None, "--meta", help="Only documents with metadata KEY=VALUE (repeatable).", show_default=False)
QueriesOpt = typer.Option(None, "--queries", help="Answer many queries: BEIR queries.jsonl or one query per line ('-' = stdin).", show_default=False)
ShowSqlOpt = typer.Option(False, "--show-sql", help="Print the SQL that would run (to stderr) and exit.")
ModelOpt = typer.Option(None, "--model", "-m", help="Must match the collection's model when given.", show_default=False)


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()


def _settings(dsn: str | None, collection: str | None) -> "Settings":
    from ..config import resolve_settings

    return resolve_settings(dsn=dsn, collection=collection)


@contextmanager
def _connection(settings: "Settings") -> Iterator["psycopg.Connection[Any]"]:
    from ..store import connect

    conn = connect(settings)
    try:
        yield conn
    finally:
        conn.close()


# Queries are always embedded at full precision, whatever the documents were embedded with: one
# short text costs nothing extra, it matches sentence-transformers exactly, and on Cranfield int8
# documents searched with fp32 queries scored at least as well as fp32 documents (README).
QUERY_PRECISION = "fp32"


def _load_embedder(model: str, settings: "Settings", quiet: bool = False, precision: str = "fp32", quick_start: bool = False) -> "Embedder":
    from ..embedding import load_embedder

    return load_embedder(
        model, cache_dir=settings.model_cache, precision=precision, quick_start=quick_start,
        notice=None if quiet else (lambda m: _err(f"note: {m}")),
    )


def _collection(conn: "psycopg.Connection[Any]", settings: "Settings", model: str | None) -> "Collection":
    from ..store import require_collection

    coll = require_collection(conn, settings.collection)
    if model and model != coll.model:
        raise ConfigError(
            f"collection {coll.name!r} was initialised with model {coll.model} ({coll.dimension} dims), not {model}; "
            "omit --model or use another --collection"
        )
    return coll


def _parse_meta(pairs: list[str] | None) -> dict[str, str]:
    meta: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--meta takes KEY=VALUE, got {pair!r}")
        meta[key] = value
    return meta


# --- commands -------------------------------------------------------------------------
@app.command()
def init(
    model: str = typer.Option("all-MiniLM-L6-v2", "--model", "-m", help="sentence-transformers model name or path."),
    storage: Optional[str] = typer.Option(None, "--storage", help="vector, halfvec (half the space; needed above 2,000 dims) or auto [default: auto].", show_default=False),
    chunk_tokens: Optional[int] = typer.Option(None, "--chunk-tokens", help="Max tokens per chunk, up to the model's max sequence length [default: 128, or the model's max if smaller].", show_default=False),
    chunk_overlap: Optional[int] = typer.Option(None, "--chunk-overlap", help="Tokens shared by neighbouring chunks [default: 0; chunks end at sentence or paragraph boundaries].", show_default=False),
    text_config: Optional[str] = typer.Option(None, "--text-config", help="PostgreSQL text search configuration for keyword search [default: english].", show_default=False),
    precision: Optional[str] = typer.Option(None, "--precision", help="Precision of the document embeddings: int8 (quantized ONNX, faster ingest) or fp32. Queries always use fp32. [default: int8, or the existing collection's]", show_default=False),
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    fmt: Optional[str] = FormatOpt,
    debug: bool = DebugOpt,
) -> None:
    """Create a collection (idempotent) and prepare its model. Its settings are fixed once created.

    Example: pgvsearch init --collection docs --model all-MiniLM-L6-v2
    """
    from ..store import get_collection
    from ..embedding import PRECISIONS
    from ..store import DEFAULT_PRECISION, check_precision, init_collection

    if precision is not None and precision not in PRECISIONS:
        raise UsageError(f"--precision must be {' or '.join(PRECISIONS)}")
    settings = _settings(dsn, collection)
    with _connection(settings) as conn:
        existing = get_collection(conn, settings.collection)
        if existing is not None:
            check_precision(existing, precision)  # before a possibly slow model export
        wanted = precision or (existing.precision if existing else DEFAULT_PRECISION)
        try:
            embedder = _load_embedder(model, settings, precision=wanted)
        except ConfigError as exc:
            if precision is not None or existing is not None or wanted == "fp32":
                raise
            # A new collection without --precision: a model with no int8 ONNX export gets fp32 documents.
            _err(f"note: {' '.join(str(exc).split())}; using fp32 embeddings")
            wanted = "fp32"
            embedder = _load_embedder(model, settings, precision=wanted)
        result = init_collection(
            conn, settings.collection, model=model, dimension=embedder.dimension, max_seq_length=embedder.max_seq_length,
            storage=storage, text_config=text_config, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap, precision=wanted,
        )
    coll = result.collection
    info = {
        "collection": coll.name, "created": result.created, "model": coll.model, "dimension": coll.dimension,
        "storage": coll.storage, "chunk_tokens": coll.chunk_tokens, "chunk_overlap": coll.chunk_overlap,
        "precision": coll.precision, "backend": embedder.backend,
    }
    from ..render import pick_format, print_json

    if pick_format(fmt) == "json":
        print_json(info)
    else:
        verb = "created" if result.created else "already exists"
        _err(f"collection {coll.name!r} {verb}: model {coll.model} ({coll.dimension} dims, {coll.storage}, {coll.precision} documents), "
             f"chunks of {coll.chunk_tokens} tokens" + (f" with {coll.chunk_overlap} overlap" if coll.chunk_overlap else ""))


@app.command()
def ingest(
    paths: List[str] = typer.Argument(..., help="Files, folders (recursive) or - for stdin."),
    include: Optional[List[str]] = typer.Option(None, "--include", "-i", help="Glob of files to take (repeatable), e.g. '*.md'."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", "-x", help="Glob of files to leave out (repeatable)."),
    prune: bool = typer.Option(False, "--prune", help="Delete documents whose files under the given paths are gone."),
    wait: bool = typer.Option(False, "--wait", help="Wait for another ingest of the collection instead of exiting 75."),
    max_size: float = typer.Option(50.0, "--max-size", help="Skip files larger than this many MB."),
    batch_chunks: int = typer.Option(256, "--batch-chunks", help="Chunks embedded and committed together (whole documents); a crash loses only uncommitted batches (up to about 4 of them), which the next run ingests.", min=1),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the JSON report (counts, skipped inputs) to this file."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="json prints the report on stdout.", show_default=False),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    model: Optional[str] = ModelOpt,
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    debug: bool = DebugOpt,
) -> None:
    """Ingest files into a collection; unchanged documents are skipped without embedding.

    Example: pgvsearch ingest ./docs --include '*.md' --prune
    """
    from ..ingest import Ingestor, IngestReport
    from ..render import ingest_summary, print_json

    ingestor: Ingestor | None = None
    settings: Settings | None = None
    try:
        if fmt is not None and fmt != "json":
            raise UsageError("ingest --format takes json (the report on stdout)")
        settings = _settings(dsn, collection)
        with _connection(settings) as conn:
            coll = _collection(conn, settings, model)
            embedder = _load_embedder(coll.model, settings, quiet, coll.precision)
            ingestor = Ingestor(conn, coll, embedder, max_bytes=int(max_size * 1024 * 1024), batch_chunks=batch_chunks)
            progress = _progress_bar(quiet)
            ingestor.on_progress = progress.update if progress is not None else None
            try:
                with _terminate_as_interrupt():
                    result = ingestor.run(paths, include=include or (), exclude=exclude or (), prune=prune, wait=wait)
            finally:
                if progress is not None:
                    progress.close()
    except BaseException as exc:
        # A cron job reads the report after a failure too: it says what failed and what was committed.
        if report and not isinstance(exc, typer.Exit):
            name = settings.collection if settings is not None else collection or ""
            failed = ingestor.report if ingestor is not None else IngestReport(collection=name)
            failed.error = describe_error(exc)[0]
            _write_report(report, failed.to_dict())
        raise
    data = result.to_dict()
    if report:
        _write_report(report, data)
    if fmt == "json":
        print_json(data)
    if not quiet or result.interrupted:
        _err(ingest_summary(result))
    elif result.partial:
        # --quiet keeps cron mail empty unless something went wrong: the skips are that something.
        _err("\n".join(f"skipped {item['path']}: {item['reason']}" for item in result.skipped))
    if result.interrupted:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if result.partial:
        raise typer.Exit(int(ExitCode.PARTIAL))


def _write_report(path: Path, data: dict[str, Any]) -> None:
    import json

    try:
        path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        _err(f"pgvsearch: warning: cannot write the report {path}: {exc.strerror or exc}")


def _progress_bar(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C: finish or roll back the current batch, then exit 130."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_search(
    mode: str, query: str | None, queries: str | None, options: "SearchOptions", fmt: str | None,
    show_sql: bool, model: str | None, dsn: str | None, collection: str | None,
) -> None:
    from ..render import pick_format, print_hits
    from ..search import Searcher, read_queries

    if (query is None) == (queries is None):
        raise UsageError("give a QUERY or --queries FILE (not both)")
    settings = _settings(dsn, collection)
    with _connection(settings) as conn:
        coll = _collection(conn, settings, model)
        searcher = Searcher(conn, coll, lambda: _load_embedder(coll.model, settings, precision=QUERY_PRECISION, quick_start=True))
        if show_sql:
            _err(searcher.show_sql(mode, options.validate()))
            return
        if queries is not None:
            hits = searcher.search_many(read_queries(queries), mode, options)
        else:
            if not query or not query.strip():
                raise UsageError("the query is empty")
            hits = searcher.run(query, mode, options)
    try:
        print_hits(hits, pick_format(fmt), mode=mode, fusion=options.fusion)
    except BrokenPipeError:
        pass  # the reader has gone (`| head`): stop quietly, exit 0; FAST_EXIT skips the final flush


def _options(k: int, candidates: int, prefix: str | None, meta: list[str] | None, **extra: Any) -> "SearchOptions":
    from ..search import SearchOptions

    return SearchOptions(k=k, candidates=candidates, prefix=prefix, metadata=_parse_meta(meta), **extra)


@app.command()
def search(
    query: Optional[str] = typer.Argument(None, help="What to look for."),
    k: int = KOpt,
    candidates: int = CandidatesOpt,
    prefix: Optional[str] = PrefixOpt,
    meta: Optional[List[str]] = MetaOpt,
    queries: Optional[str] = QueriesOpt,
    fmt: Optional[str] = FormatOpt,
    show_sql: bool = ShowSqlOpt,
    model: Optional[str] = ModelOpt,
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    debug: bool = DebugOpt,
) -> None:
    """Semantic search: nearest chunks by cosine distance (HNSW index).

    Example: pgvsearch search "how do I get my money back" -k 5
    """
    _run_search("semantic", query, queries, _options(k, candidates, prefix, meta), fmt, show_sql, model, dsn, collection)


@app.command()
def keyword(
    query: Optional[str] = typer.Argument(None, help="What to look for."),
    k: int = KOpt,
    candidates: int = CandidatesOpt,
    prefix: Optional[str] = PrefixOpt,
    meta: Optional[List[str]] = MetaOpt,
    queries: Optional[str] = QueriesOpt,
    fmt: Optional[str] = FormatOpt,
    show_sql: bool = ShowSqlOpt,
    k1: float = typer.Option(1.2, "--bm25-k1", help="BM25 term-frequency saturation."),
    b: float = typer.Option(0.75, "--bm25-b", help="BM25 length normalisation."),
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    debug: bool = DebugOpt,
) -> None:
    """Keyword search: BM25 over the documents' words (no model needed).

    Example: pgvsearch keyword "invoice VAT number"
    """
    _run_search("keyword", query, queries, _options(k, candidates, prefix, meta, bm25_k1=k1, bm25_b=b), fmt, show_sql, None, dsn, collection)


@app.command()
def hybrid(
    query: Optional[str] = typer.Argument(None, help="What to look for."),
    k: int = KOpt,
    candidates: int = CandidatesOpt,
    rrf_k: float = typer.Option(60.0, "--rrf-k", help="RRF constant: score = sum of weight / (rrf_k + rank)."),
    fusion: str = typer.Option("rrf", "--fusion", help="rrf (Reciprocal Rank Fusion) or dbsf (each branch's scores scaled by their mean ± 3 std. dev., then summed)."),
    semantic_weight: float = typer.Option(1.0, "--semantic-weight", help="Weight of the semantic ranking in the fusion."),
    keyword_weight: float = typer.Option(1.0, "--keyword-weight", help="Weight of the keyword ranking in the fusion."),
    prefix: Optional[str] = PrefixOpt,
    meta: Optional[List[str]] = MetaOpt,
    queries: Optional[str] = QueriesOpt,
    fmt: Optional[str] = FormatOpt,
    show_sql: bool = ShowSqlOpt,
    model: Optional[str] = ModelOpt,
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    debug: bool = DebugOpt,
) -> None:
    """Hybrid search: Reciprocal Rank Fusion of semantic and BM25 keyword rankings.

    Example: pgvsearch hybrid "billing issue" --rrf-k 60 -k 5
    """
    options = _options(k, candidates, prefix, meta, rrf_k=rrf_k, fusion=fusion, semantic_weight=semantic_weight, keyword_weight=keyword_weight)
    _run_search("hybrid", query, queries, options, fmt, show_sql, model, dsn, collection)


@app.command("ask")
def ask_command(
    question: str = typer.Argument(..., help="The question to answer from the collection's documents."),
    k: int = typer.Option(5, "-k", "--limit", help="Passages to retrieve with the hybrid ranking.", min=1),
    candidates: int = CandidatesOpt,
    fusion: str = typer.Option("rrf", "--fusion", help="How the hybrid ranking fuses its branches: rrf or dbsf (see `hybrid --help`)."),
    prefix: Optional[str] = PrefixOpt,
    meta: Optional[List[str]] = MetaOpt,
    context_tokens: int = typer.Option(3000, "--context-tokens", help="Token budget for the passages (counted with the collection's tokenizer).", min=1),
    llm_url: Optional[str] = typer.Option(None, "--llm-url", help="OpenAI-compatible base URL, e.g. http://localhost:11434/v1 [default: OPENAI_BASE_URL, config llm_url].", show_default=False),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="Chat model [default: PGVSEARCH_LLM_MODEL, config llm_model; gpt-4o-mini with only OPENAI_API_KEY].", show_default=False),
    llm_timeout: float = typer.Option(60.0, "--llm-timeout", help="Seconds to wait for the model to connect and for each piece of its answer."),
    show_prompt: bool = typer.Option(False, "--show-prompt", help="Print the messages that would be sent (JSON) and exit; no model is called."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table (answer, then cited sources) or json (one object) [default: table on a terminal, json when piped].", show_default=False),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No note when answering without a language model."),
    model: Optional[str] = ModelOpt,
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    debug: bool = DebugOpt,
) -> None:
    """Answer a question from the documents, citing them as [1], [2]; extractive when no language model is set.

    Example: OPENAI_BASE_URL=http://localhost:11434/v1 pgvsearch ask "how do I get a refund?" --llm-model llama3.1
    """
    from ..ask import ask, prompt_request, resolve_llm, retrieve
    from ..render import answer_writer, pick_format, print_answer, print_json

    if not question.strip():
        raise UsageError("the question is empty")
    from ..search import require_text

    require_text(question, "the question")
    settings = _settings(dsn, collection)
    llm, note = resolve_llm(settings, url=llm_url, model=llm_model, timeout=llm_timeout)
    fmt = pick_format(fmt)
    if fmt not in ("table", "json"):
        raise UsageError("ask prints --format table or json")
    with _connection(settings) as conn:
        coll = _collection(conn, settings, model)
        embedder = _load_embedder(coll.model, settings, quiet, QUERY_PRECISION, quick_start=True)
        options = _options(k, candidates, prefix, meta, fusion=fusion)
        if show_prompt:
            print_json(prompt_request(question, retrieve(conn, coll, embedder, question, options, context_tokens=context_tokens), llm))
            return
        if note and not quiet:
            _err(note)
        result = ask(conn, coll, embedder, question, options, llm, context_tokens=context_tokens,
                     on_token=answer_writer() if fmt == "table" else None)
    if fmt == "json":
        print_json(result.to_dict())
    else:
        print_answer(result, written=True, fusion=options.fusion)


@app.command("eval")
def eval_command(
    queries: str = typer.Option(..., "--queries", help="BEIR queries.jsonl ({\"_id\", \"text\"})."),
    qrels: str = typer.Option(..., "--qrels", help="BEIR qrels TSV: query-id, corpus-id, score (header line)."),
    modes: str = typer.Option("semantic,keyword,hybrid", "--modes", help="Comma-separated rankings to evaluate."),
    rrf_k: str = typer.Option("60", "--rrf-k", help="RRF constant(s) for hybrid, e.g. 20,60,100 (one row each)."),
    fusion: str = typer.Option("rrf", "--fusion", help="Hybrid fusion(s): rrf, dbsf or rrf,dbsf (one row each)."),
    semantic_weight: str = typer.Option("1", "--semantic-weight", help="Semantic weight(s) for hybrid, comma-separated."),
    keyword_weight: str = typer.Option("1", "--keyword-weight", help="Keyword weight(s) for hybrid, comma-separated."),
    candidates: str = typer.Option("100", "--candidates", help="Candidate depth(s) per branch, comma-separated."),
    bm25_k1: Optional[str] = typer.Option(None, "--bm25-k1", help="BM25 k1 value(s) for keyword and hybrid, e.g. 0.9,1.2 [default: 1.2].", show_default=False),
    bm25_b: Optional[str] = typer.Option(None, "--bm25-b", help="BM25 b value(s) for keyword and hybrid, e.g. 0.4,0.75 [default: 0.75].", show_default=False),
    gain: str = typer.Option("linear", "--gain", help="nDCG gain: linear (rel, as pytrec_eval/BEIR) or exponential (2^rel-1)."),
    per_query: bool = typer.Option(False, "--per-query", help="Print one JSON line per query and variant instead of the summary."),
    fmt: Optional[str] = FormatOpt,
    model: Optional[str] = ModelOpt,
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    debug: bool = DebugOpt,
) -> None:
    """Measure nDCG@10, Recall@100, MRR@10 and latency of each ranking on judged queries.

    Example: pgvsearch eval --queries queries.jsonl --qrels qrels/test.tsv --rrf-k 20,60,100
    """
    from ..evaluate import evaluate, parse_list, read_qrels, variants
    from ..render import eval_fields, pick_format, print_csv, print_eval, print_json
    from ..search import MODES, Searcher, SearchOptions, read_queries

    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = [m for m in mode_list if m not in MODES]
    if unknown or not mode_list:
        raise UsageError(f"--modes takes {', '.join(MODES)}; got {modes!r}")
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
    settings = _settings(dsn, collection)
    with _connection(settings) as conn:
        coll = _collection(conn, settings, model)
        searcher = Searcher(conn, coll, lambda: _load_embedder(coll.model, settings, precision=QUERY_PRECISION))
        results = evaluate(searcher, query_list, judgments, plan, gain=gain, per_query=per_query)
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
        print_eval([r.to_dict() for r in results], title=f"{coll.name}: {results[0].queries} judged queries, nDCG gain {gain}")


@app.command()
def status(
    fmt: Optional[str] = FormatOpt,
    dsn: Optional[str] = DsnOpt,
    collection: Optional[str] = CollectionOpt,
    debug: bool = DebugOpt,
) -> None:
    """Show a collection: model, dimension, documents, chunks, index sizes, where data lives.

    Example: pgvsearch status --format json
    """
    from ..store import describe_target, list_collections
    from ..render import human_bytes, pick_format, print_csv, print_json, print_mapping_table
    from ..store import collection_status

    settings = _settings(dsn, collection)
    with _connection(settings) as conn:
        coll = _collection(conn, settings, None)
        stats = collection_status(conn, coll)
        others = [c.name for c in list_collections(conn)]
    data = {
        "collection": coll.name, "model": coll.model, "dimension": coll.dimension, "storage": coll.storage,
        "text_config": coll.text_config, "word_separators": coll.word_separators, "precision": coll.precision,
        "chunk_tokens": coll.chunk_tokens, "chunk_overlap": coll.chunk_overlap,
        "documents": stats["documents"], "chunks": stats["chunks"], "postings": stats["postings"],
        "hnsw_index_bytes": stats["hnsw_index_bytes"], "gin_index_bytes": stats["gin_index_bytes"],
        "postings_bytes": stats["postings_bytes"], "chunks_bytes": stats["chunks_bytes"],
        "last_update": stats["last_update"], "database": describe_target(settings), "connection": settings.dsn_source,
        "data_dir": str(settings.pgdata) if settings.embedded else None, "model_cache": str(settings.model_cache),
        "collections": others,
    }
    chosen = pick_format(fmt)
    if chosen == "json":
        print_json(data)
        return
    if chosen == "csv":
        print_csv([data], list(data))
        return
    rows: list[tuple[str, Any]] = []
    for k, v in data.items():
        if k == "hnsw_index_bytes" and v is None:  # a bulk load was killed before it built the index
            rows.append(("hnsw_index", "missing (semantic search scans every chunk; the next ingest builds it)"))
        elif k == "word_separators":
            rows.append((k, " ".join(v) if v else "none (PostgreSQL's parser as is)"))
        elif v is not None:
            rows.append((k, human_bytes(v) if k.endswith("_bytes") else v))
    print_mapping_table(f"pgvsearch collection {coll.name}", [(k, ", ".join(v) if isinstance(v, list) else v) for k, v in rows])


@app.command()
def drop(
    name: str = typer.Argument(..., help="Collection to delete with all its documents."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    dsn: Optional[str] = DsnOpt,
    debug: bool = DebugOpt,
) -> None:
    """Delete a collection and everything in it.

    Example: pgvsearch drop scratch --yes
    """
    from ..config import validate_collection
    from ..store import drop_collection

    validate_collection(name)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to drop without --yes when not on a terminal")
        typer.confirm(f"Delete collection {name!r} and all its documents?", abort=True)
    settings = _settings(dsn, name)
    with _connection(settings) as conn:
        if not drop_collection(conn, name):
            raise ConfigError(f"collection {name!r} does not exist")
    _err(f"dropped collection {name!r}")


@server_app.command("start")
def server_start(debug: bool = DebugOpt) -> None:
    """Start the embedded server (it also starts by itself on first use)."""
    from ..store import ensure_server

    settings = _settings(None, None)
    srv = ensure_server(settings.pgdata)
    _err(f"embedded PostgreSQL running (pid {srv.pid}), data in {settings.pgdata}")


@server_app.command("stop")
def server_stop(debug: bool = DebugOpt) -> None:
    """Stop the embedded server; the next command starts it again."""
    from ..store import stop_server

    settings = _settings(None, None)
    stopped = stop_server(settings.pgdata)
    _err("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@server_app.command("status")
def server_status(fmt: Optional[str] = FormatOpt, debug: bool = DebugOpt) -> None:
    """Say whether the embedded server runs and where its data lives."""
    from ..render import pick_format, print_json
    from ..store import running_server

    settings = _settings(None, None)
    srv = running_server(settings.pgdata)
    data = {"running": srv is not None, "pid": srv.pid if srv else None, "data_dir": str(settings.pgdata),
            "socket_dir": srv.socket_dir if srv else None}
    if pick_format(fmt) == "json":
        print_json(data)
    else:
        _err(f"{'running (pid %d)' % srv.pid if srv else 'not running'}; data in {settings.pgdata}")


# --- the error boundary ---------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("PGVSEARCH_DEBUG") == "1"
    if argv is None:
        # Run as the command: SIGTERM (cron's `timeout`, systemd) is Ctrl-C from the start,
        # not only once an ingest has begun, so every command exits 130 with a message.
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        code = app(args=args, prog_name="pgvsearch", standalone_mode=False)
        if code == ExitCode.INTERRUPTED:
            # Typer turns Ctrl-C (or SIGTERM) inside a command into a silent exit code 130: say so.
            _err("pgvsearch: interrupted")
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:  # a confirmation prompt answered "no" (or Ctrl-D): nothing was done
        _err("pgvsearch: aborted")
        code = int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        _err("pgvsearch: interrupted")
        code = int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        code = int(ExitCode.OK)
    except Exception as exc:
        if debug and not is_usage_error(exc):
            import traceback

            traceback.print_exc()
        message, code = describe_error(exc)
        _err(f"pgvsearch: {message}")
    code = code if isinstance(code, int) else 0
    if argv is None and args[:1] and args[0] in FAST_EXIT_COMMANDS:
        _fast_exit(code)
    sys.exit(code)


# Read-only commands whose process ends right after printing: nothing is left to clean up once
# main() returns (the connection is closed, the output written), so they skip the interpreter's
# teardown, ~0.1 s of freeing numpy, onnxruntime and psycopg state, a sixth of a cold query.
FAST_EXIT_COMMANDS = frozenset({"search", "keyword", "hybrid"})


def _fast_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be written
            pass
    os._exit(code)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":  # pragma: no cover
    main()
