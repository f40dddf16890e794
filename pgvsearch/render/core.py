"""Hits and reports -> rich tables (people) or JSON lines / CSV (scripts), on stdout."""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:
    from ..ask import Answer
    from ..ingest import IngestReport
    from ..search import Hit

FORMATS = ("table", "json", "csv")
PIPE_WIDTH = 160  # tables written to a pipe or file are not squeezed into 80 columns


def _console(out: IO[str]) -> Any:
    from rich.console import Console

    return Console(file=out, width=None if out.isatty() else PIPE_WIDTH, soft_wrap=False)
CSV_FIELDS = ("query_id", "rank", "doc_id", "title", "chunk", "score", "semantic_rank", "keyword_rank", "similarity", "bm25", "source", "text")


def pick_format(requested: str | None, stream: IO[str] | None = None) -> str:
    """Tables on a terminal, JSON lines when piped (unless asked otherwise)."""
    if requested:
        if requested not in FORMATS:
            from ..errors import UsageError

            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {requested!r}")
        return requested
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "json"


def snippet(text: str, width: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _fmt_rank(value: int | None) -> str:
    return "-" if value is None else str(value)


def print_hits(hits: Sequence["Hit"], fmt: str, *, mode: str, fusion: str = "rrf", out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        for hit in hits:
            out.write(json.dumps(hit.to_dict(), ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for hit in hits:
            writer.writerow(hit.to_dict())
    else:
        _hits_table(hits, mode, out, fusion)
    out.flush()


def _hits_table(hits: Sequence["Hit"], mode: str, out: IO[str], fusion: str = "rrf") -> None:
    from rich.console import Console
    from rich.table import Table

    console = _console(out)
    if not hits:
        console.print("[dim]no results[/dim]")
        return
    batched = any(h.query_id is not None for h in hits)
    score_label = {"hybrid": f"{fusion.upper()} score", "semantic": "cosine sim", "keyword": "BM25"}.get(mode, "score")
    table = Table(show_lines=True, title=f"{mode} search", title_justify="left")
    if batched:
        table.add_column("query", style="magenta", no_wrap=True)
    table.add_column("#", justify="right", style="bold")
    table.add_column("document", style="cyan", overflow="fold", max_width=38)
    table.add_column("snippet", overflow="fold", ratio=1)
    table.add_column(score_label, justify="right")
    if mode == "hybrid":
        table.add_column("sem #", justify="right")
        table.add_column("kw #", justify="right")
    from rich.markup import escape

    for hit in hits:
        # Document text is data: escape it so "[...]" in a title or snippet is shown, not parsed.
        doc = f"{escape(hit.doc_id)}\n[dim]{escape(hit.title)}[/dim]" if hit.title and hit.title != hit.doc_id else escape(hit.doc_id)
        row = [str(hit.rank), doc, escape(snippet(hit.text)), f"{hit.score:.4f}"]
        if mode == "hybrid":
            row += [_fmt_rank(hit.semantic_rank), _fmt_rank(hit.keyword_rank)]
        if batched:
            row.insert(0, escape(hit.query_id or ""))
        table.add_row(*row)
    console.print(table)


def print_eval(rows: Sequence[dict[str, Any]], *, title: str, out: IO[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    fields = eval_fields(rows)
    params = fields[1:-5]
    for name in fields:
        table.add_column(name, justify="left" if name == "mode" else "right")
    for r in rows:
        table.add_row(r["mode"], *(str(r.get(p, "")) for p in params),
                      f"{r['ndcg@10']:.4f}", f"{r['recall@100']:.4f}", f"{r['mrr@10']:.4f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}")
    _console(out or sys.stdout).print(table)


def print_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str], out: IO[str] | None = None) -> None:
    """A header line then one line per row; a list becomes one field of comma-separated items."""
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        values = (row.get(name) for name in fields)
        writer.writerow(["" if v is None else ",".join(map(str, v)) if isinstance(v, list) else v for v in values])


def eval_fields(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The columns of an eval table: the mode, the settings that vary, then the metrics."""
    params = [k for k in ("fusion", "rrf_k", "semantic_weight", "keyword_weight", "candidates", "bm25_k1", "bm25_b") if any(k in r for r in rows)]
    return ["mode", *params, "ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms"]


def print_json(data: Any, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    out.flush()


def print_mapping_table(title: str, rows: Iterable[tuple[str, Any]], out: IO[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    from rich.markup import escape

    for key, value in rows:
        table.add_row(escape(key), escape(str(value)))
    _console(out or sys.stdout).print(table)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def ingest_summary(report: "IngestReport") -> str:
    """The one-paragraph summary printed on stderr after an ingest."""
    lines = [
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.deleted} deleted, {len(report.skipped)} skipped; "
        f"{report.chunks} chunks in {report.seconds:.1f}s "
        f"({report.chunks_per_second:.1f} chunks/s; embedding {report.embed_seconds:.1f}s, database {report.db_seconds:.1f}s)"
    ]
    if report.index_seconds:
        lines.append(f"built the vector index in {report.index_seconds:.1f}s")
    if report.embedded_chunks == 0 and report.unchanged and not report.added and not report.updated and not report.deleted:
        lines.append("nothing changed: no document was embedded")
    for item in report.skipped:
        lines.append(f"skipped {item['path']}: {item['reason']}")
    for item in report.warnings:
        lines.append(f"warning {item['path']}: {item['warning']}")
    if report.interrupted:
        lines.append("interrupted: committed documents are complete; run the same command again to finish")
    return "\n".join(lines)


# --- ask: the answer, then the sources it cites ----------------------------------------
_CONTROL_CHARS = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")
_CONTROL_CHARS[127] = None


def answer_writer(out: IO[str] | None = None) -> Callable[[str], None]:
    """A callback writing each piece of an answer as it arrives (control characters, such as
    terminal escapes a document could smuggle into a model's output, are dropped)."""
    stream = out or sys.stdout

    def write(piece: str) -> None:
        stream.write(piece.translate(_CONTROL_CHARS))
        stream.flush()

    return write


def print_answer(answer: "Answer", *, written: bool = False, fusion: str = "rrf", out: IO[str] | None = None) -> None:
    """The answer (unless ``written`` already, e.g. streamed) and a table of the sources it cites."""
    from rich.markup import escape
    from rich.table import Table

    out = out or sys.stdout
    if not written:
        answer_writer(out)(answer.answer)
    out.write("\n" if answer.answer.endswith("\n") else "\n\n")
    out.flush()
    if not answer.sources:
        return
    title = "cited sources" if answer.mode == "llm" else "sources of these sentences"
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", style="bold")
    table.add_column("document", style="cyan", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("chunk", justify="right")
    table.add_column(f"{fusion.upper()} score", justify="right")
    for source in answer.sources:
        title_text = "" if source.title == source.doc_id else source.title
        first, last = source.chunks
        chunk = str(source.chunk) if first == last else f"{first}–{last}"
        table.add_row(f"\\[{source.n}]", escape(source.doc_id), escape(title_text), chunk, f"{source.score:.4f}")
    _console(out).print(table)
