"""The options several commands share, each defined once, and the one builder of SearchOptions.

A command names an option by its alias (``dsn: Dsn = None``); Typer reads the flag, the help
and the limits from the alias, the default from the signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, List, Optional

import typer

from ..errors import UsageError

if TYPE_CHECKING:
    from ..search import SearchOptions

# --- where: the database and the collection ----------------------------------------------
Dsn = Annotated[Optional[str], typer.Option("--dsn", help="libpq connection string (overrides PGVSEARCH_DSN, the config file and PG* variables).", show_default=False)]
ReadDsn = Annotated[Optional[List[str]], typer.Option("--read-dsn", help="Read replica(s) to query; repeatable, or a comma list (a comma followed by postgresql:// or KEY=) [default: PGVSEARCH_READ_DSN, config read_dsn]. Falls back to the primary, with a note, when a replica is down, behind or lacks the collection (docs/scaling.md).", show_default=False)]
MaxLag = Annotated[Optional[float], typer.Option("--max-lag", help="Seconds a read replica may be behind its primary [default: PGVSEARCH_MAX_LAG, config max_lag, or 30].", min=0, show_default=False)]
Device = Annotated[Optional[str], typer.Option("--device", help="Where the embedding model runs: cpu, cuda (needs onnxruntime-gpu: pip install 'pgvsearch[gpu]') or auto (cuda when onnxruntime offers it) [default: PGVSEARCH_DEVICE, config device, or cpu].", show_default=False)]
CollectionName = Annotated[Optional[str], typer.Option("--collection", "-c", help="Collection name [default: default, or PGVSEARCH_COLLECTION].", show_default=False)]
Model = Annotated[Optional[str], typer.Option("--model", "-m", help="Must match the collection's model when given.", show_default=False)]

# --- how: output and diagnostics ---------------------------------------------------------
Format = Annotated[Optional[str], typer.Option("--format", "-f", help="table, json (JSON lines) or csv [default: table on a terminal, json when piped].", show_default=False)]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]
ShowSql = Annotated[bool, typer.Option("--show-sql", help="Print the SQL that would run (to stderr) and exit.")]

# --- what: the query and the ranking (search, keyword, hybrid; ask shares some) ----------
Query = Annotated[Optional[str], typer.Argument(help="What to look for.")]
Queries = Annotated[Optional[str], typer.Option("--queries", help="Answer many queries: BEIR queries.jsonl or one query per line ('-' = stdin).", show_default=False)]
Limit = Annotated[int, typer.Option("-k", "--limit", help="Number of results.", min=1)]
LIMIT = 10
Candidates = Annotated[int, typer.Option("--candidates", help="Documents each ranking contributes before fusion.", min=1)]
CANDIDATES = 100
Prefix = Annotated[Optional[str], typer.Option("--prefix", help="Only documents whose doc_id or source path starts with this.", show_default=False)]
Meta = Annotated[Optional[List[str]], typer.Option("--meta", help="Only documents with metadata KEY=VALUE (repeatable).", show_default=False)]


def search_options(k: int, candidates: int, prefix: str | None, meta: list[str] | None, **extra: Any) -> "SearchOptions":
    """The SearchOptions of the shared options (``extra``: a mode's own settings, e.g. rrf_k)."""
    from ..search import SearchOptions

    return SearchOptions(k=k, candidates=candidates, prefix=prefix, metadata=parse_meta(meta), **extra)


def parse_meta(pairs: list[str] | None) -> dict[str, str]:
    meta: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--meta takes KEY=VALUE, got {pair!r}")
        meta[key] = value
    return meta
