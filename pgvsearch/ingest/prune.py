"""``--prune``: delete the documents under the paths given whose files are really gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sources import DocIds, Stored
from ..store import Collection, sql_statement

if TYPE_CHECKING:
    import psycopg


def prune(conn: "psycopg.Connection[Any]", coll: Collection, doc_ids: DocIds) -> int:
    """Delete, in one transaction, the documents under the paths given that this run did not
    see and whose files are gone (:meth:`DocIds.gone`); the number deleted."""
    from psycopg.rows import dict_row

    exact, prefixes = doc_ids.prune_scope()
    if not exact and not prefixes:
        return 0
    with conn.transaction():
        candidates = conn.cursor(row_factory=dict_row).execute(
            sql_statement("prune_candidates", schema=coll.schema),
            {"exact": exact, "prefixes": prefixes, "seen": list(doc_ids.seen)},
        ).fetchall()
        gone = [row["doc_id"] for row in candidates if doc_ids.gone(Stored.from_row(row["source"], row["path"], row["line"]))]
        if gone:
            conn.execute(sql_statement("delete_documents", schema=coll.schema), {"doc_ids": gone})
    return len(gone)
