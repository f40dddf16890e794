"""Output formats: which one to use, JSON lines, CSV, and the rich console tables print on."""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, Any, Sequence

FORMATS = ("table", "json", "csv")
PIPE_WIDTH = 160  # tables written to a pipe or file are not squeezed into 80 columns


def pick_format(requested: str | None, stream: IO[str] | None = None) -> str:
    """Tables on a terminal, JSON lines when piped (unless asked otherwise)."""
    if requested:
        if requested not in FORMATS:
            from ..errors import UsageError

            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {requested!r}")
        return requested
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "json"


def console(out: IO[str]) -> Any:
    """A rich console writing to ``out`` (rich is imported here, on first use)."""
    from rich.console import Console

    return Console(file=out, width=None if out.isatty() else PIPE_WIDTH, soft_wrap=False)


def print_json(data: Any, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    out.flush()


def print_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str], out: IO[str] | None = None) -> None:
    """A header line then one line per row; a list becomes one field of comma-separated items."""
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        values = (row.get(name) for name in fields)
        writer.writerow(["" if v is None else ",".join(map(str, v)) if isinstance(v, list) else v for v in values])
