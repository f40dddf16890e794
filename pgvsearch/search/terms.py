"""The searchable words of a query, as keyword search sees them (``sql/query_terms.sql``).

A query of stop words only (``the of and to is``) has none: keyword search finds nothing and
hybrid search ranks by meaning only. Callers (the CLI, ask, a server) ask here to say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..store import Collection, sql_statement
from .options import require_text

if TYPE_CHECKING:
    import psycopg


def query_terms(conn: "psycopg.Connection[Any]", coll: Collection, query: str) -> list[str]:
    """The lexemes keyword search looks up for ``query`` under the collection's text configuration
    and word separators (empty when every word is a stop word or punctuation)."""
    require_text(query, "the query")
    params = {"query": query, "text_config": coll.text_config,
              "word_separators": coll.word_separators, "separator_spaces": coll.separator_spaces}
    return [row[0] for row in conn.execute(sql_statement("query_terms"), params).fetchall()]


def no_terms_note(mode: str, text_config: str, what: str = "the query") -> str | None:
    """The one-line note for a ``mode`` search whose query has no searchable words (None for semantic)."""
    if mode == "keyword":
        return f"note: {what} has no searchable words (only stop words or punctuation for text configuration {text_config!r}); keyword search found nothing"
    if mode == "hybrid":
        return f"note: {what} has no searchable words (only stop words or punctuation for text configuration {text_config!r}); hybrid search ranks by meaning only"
    return None
