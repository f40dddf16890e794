"""The search statements of two versions of pgvsearch, run side by side (benchmarks/ab.py --against).

A search function runs one composed statement (pgvsearch.store.search_sql); only one version of
the functions can be installed in a collection, so the A/B runs each version's composed
statements directly, as the function would: the narrow-filter check first (this version's, so
both sides rank the same filter the same way), then the admitted-ids statement for a narrow
filter or the plain filtered one for a wide filter, the HNSW settings of the call set for the
transaction. Both sides' statements are planned for each call (custom plans): where the
functions use a generic plan (keyword and hybrid statements, since 4 December) the A/B compares
the statements, not the planning, which docs/performance.md measured separately. The other
revision's statements are composed from a git worktree of it, in a subprocess that reads that
worktree's sql/ files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# (mode, filtered, admitted) -> the key of a composed statement
KEYS = [(mode, filtered, admitted) for mode in ("semantic", "keyword", "hybrid")
        for filtered, admitted in ((False, False), (True, False), (True, True))]

_COMPOSE = r"""
import json, sys
root = sys.argv[1]
sys.path.insert(0, root)
import pgvsearch.store.sql as loader
loader.sql_text = lambda name: open(f"{root}/sql/{name}.sql", encoding="utf-8").read()
import psycopg
from pgvsearch.store import get_collection
from pgvsearch.store.search_sql import search_statement
keys = json.loads(sys.argv[4])
with psycopg.connect(sys.argv[2], autocommit=True) as conn:
    coll = get_collection(conn, sys.argv[3])
    out = {}
    for mode, filtered, admitted in keys:
        statement = search_statement(coll, mode, filtered=filtered, exact=admitted, admitted=admitted)
        out[f"{mode}/{filtered}/{admitted}"] = statement.as_string(conn)
print(json.dumps(out))
"""


def composed(root: Path, conninfo: str, collection: str) -> dict[str, str]:
    """Every composed search statement of the pgvsearch checked out at ``root``."""
    done = subprocess.run([sys.executable, "-c", _COMPOSE, str(root), conninfo, collection, json.dumps(KEYS)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def revision_statements(revision: str, conninfo: str, collection: str) -> dict[str, str]:
    """The composed statements of git ``revision`` of this repository (a temporary worktree)."""
    with tempfile.TemporaryDirectory(prefix="pgvsearch-ab-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), revision], check=True)
        try:
            return composed(tree, conninfo, collection)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)


class StatementRunner:
    """Runs a ``mode`` search through one version's composed statements (see the module doc)."""

    def __init__(self, conn: Any, searcher: Any, statements: dict[str, str]) -> None:
        from pgvsearch.store.search_functions import ensure_search_functions
        from pgvsearch.store.search_sql import narrow_filter_statement

        ensure_search_functions(conn, searcher.coll)  # the helpers the statements call
        self.conn, self.searcher, self.statements = conn, searcher, statements
        self.narrow = narrow_filter_statement(searcher.coll)

    def run(self, text: str, mode: str, options: Any, embedding: str | None) -> list[Any]:
        params = self.searcher._params(text, embedding, options, mode)
        admitted = False
        if options.filtered:
            admitted, ids = self.conn.execute(self.narrow, params).fetchone()
            params["admitted"] = ids
        statement = self.statements[f"{mode}/{options.filtered}/{bool(admitted)}"]
        with self.conn.transaction():
            if mode != "keyword":
                self.searcher._tune_hnsw(params["chunk_candidates"], options.filtered, max(options.candidates, options.k))
            return [row[1] for row in self.conn.execute(statement, params).fetchall()]
