"""Search hits -> a rich table (people), JSON lines or CSV (scripts)."""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, TYPE_CHECKING, Sequence

from .formats import console

if TYPE_CHECKING:
    from ..search import Hit

CSV_FIELDS = ("query_id", "rank", "doc_id", "title", "chunk", "score", "semantic_rank", "keyword_rank", "similarity", "bm25", "source", "text")


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
    from rich.markup import escape
    from rich.table import Table

    screen = console(out)
    if not hits:
        screen.print("[dim]no results[/dim]")
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
    for hit in hits:
        # Document text is data: escape it so "[...]" in a title or snippet is shown, not parsed.
        doc = f"{escape(hit.doc_id)}\n[dim]{escape(hit.title)}[/dim]" if hit.title and hit.title != hit.doc_id else escape(hit.doc_id)
        row = [str(hit.rank), doc, escape(snippet(hit.text)), f"{hit.score:.4f}"]
        if mode == "hybrid":
            row += [_fmt_rank(hit.semantic_rank), _fmt_rank(hit.keyword_rank)]
        if batched:
            row.insert(0, escape(hit.query_id or ""))
        table.add_row(*row)
    screen.print(table)
