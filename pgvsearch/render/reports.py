"""Reports: the ingest summary, eval tables, a collection's status, sizes in bytes."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any, Iterable, Sequence

from .formats import console

if TYPE_CHECKING:
    from ..ingest import IngestReport


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
    left_out = report.walk.summary()
    if left_out:
        lines.append(left_out)
    if report.embedded_chunks == 0 and report.unchanged and not report.added and not report.updated and not report.deleted:
        lines.append("nothing changed: no document was embedded")
    for item in report.skipped:
        lines.append(f"skipped {item['path']}: {item['reason']}")
    for item in report.warnings:
        lines.append(f"warning {item['path']}: {item['warning']}")
    if report.interrupted:
        lines.append("interrupted: committed documents are complete; run the same command again to finish")
    return "\n".join(lines)


def eval_fields(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The columns of an eval table: the mode, the settings that vary, then the metrics."""
    params = [k for k in ("fusion", "rrf_k", "semantic_weight", "keyword_weight", "candidates", "bm25_k1", "bm25_b") if any(k in r for r in rows)]
    return ["mode", *params, "ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms"]


def print_eval(rows: Sequence[dict[str, Any]], *, title: str, out: IO[str] | None = None) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    fields = eval_fields(rows)
    params = fields[1:-5]
    for name in fields:
        table.add_column(name, justify="left" if name == "mode" else "right")
    for r in rows:
        table.add_row(r["mode"], *(str(r.get(p, "")) for p in params),
                      f"{r['ndcg@10']:.4f}", f"{r['recall@100']:.4f}", f"{r['mrr@10']:.4f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}")
    console(out or sys.stdout).print(table)


def print_mapping_table(title: str, rows: Iterable[tuple[str, Any]], out: IO[str] | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in rows:
        table.add_row(escape(key), escape(str(value)))
    console(out or sys.stdout).print(table)


def print_status_table(status: dict[str, Any], out: IO[str] | None = None) -> None:
    """A collection's status (the dict `pgvsearch status --format json` prints) as a key/value table."""
    rows: list[tuple[str, Any]] = []
    for key, value in status.items():
        if key == "hnsw_index_bytes" and value is None:  # a bulk load was killed before it built the index
            rows.append(("hnsw_index", "missing (semantic search scans every chunk; the next ingest builds it)"))
        elif key == "word_separators":
            rows.append((key, " ".join(value) if value else "none (PostgreSQL's parser as is)"))
        elif value is not None:
            rows.append((key, human_bytes(value) if key.endswith("_bytes") else value))
    print_mapping_table(f"pgvsearch collection {status['collection']}",
                        [(k, ", ".join(v) if isinstance(v, list) else v) for k, v in rows], out)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
