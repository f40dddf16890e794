"""Rows -> documents: the SELECT a source runs (composed from identifiers), and one row's
:class:`SourceDocument` (or :class:`Skipped` with the reason).

A document's doc_id is ``<source name>:<key>`` (``public.articles:42``; a composite key's
values are joined with commas), its ``source`` the same, its metadata ``{"table": name,
"key": {"id": 42}}`` plus the ``--meta`` columns. The text columns are joined in order, one
blank line apart; NULL and empty ones are left out; non-text types are cast to text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from ..sources import Skipped, SourceDocument
from ..store import sql_statement
from .catalog import from_clause, read_only, table_identifier
from .definition import TableSource

if TYPE_CHECKING:
    import psycopg

ROWS_PER_FETCH = 1000


def select_list(source: TableSource, alias: str | None = None, key_alias: str | None = None) -> Any:
    """k0.. (key as text), key (as JSON), t0.. (text), title, m0.. (metadata as JSON)."""
    from psycopg import sql

    def col(name: str, table: str | None = alias) -> Any:
        return sql.Identifier(table, name) if table else sql.Identifier(name)

    def key(name: str) -> Any:
        return col(name, key_alias or alias)

    items = [sql.SQL("{}::text AS {}").format(key(c), sql.Identifier(f"k{i}")) for i, c in enumerate(source.id_columns)]
    pairs = sql.SQL(", ").join(sql.SQL("{}, {}").format(sql.Literal(c), key(c)) for c in source.id_columns)
    items.append(sql.SQL("jsonb_build_object({}) AS key").format(pairs))
    items += [sql.SQL("{}::text AS {}").format(col(c), sql.Identifier(f"t{i}")) for i, c in enumerate(source.text_columns)]
    title = sql.SQL("{}::text").format(col(source.title_column)) if source.title_column else sql.SQL("NULL::text")
    items.append(sql.SQL("{} AS title").format(title))
    items += [sql.SQL("to_jsonb({}) AS {}").format(col(c), sql.Identifier(f"m{i}")) for i, c in enumerate(source.meta_columns)]
    return sql.SQL(", ").join(items)


def doc_id_of(source: TableSource, key_values: list[str | None]) -> str:
    return source.prefix + ",".join("" if v is None else v for v in key_values)


def row_document(source: TableSource, row: dict[str, Any], max_bytes: int) -> SourceDocument | Skipped:
    key_values = [row[f"k{i}"] for i in range(len(source.id_columns))]
    doc_id = doc_id_of(source, key_values)
    if any(v is None for v in key_values):
        return Skipped(doc_id, f"a --id column ({', '.join(source.id_columns)}) is NULL: the row has no doc_id")
    parts = [t for i in range(len(source.text_columns)) if (t := row[f"t{i}"]) is not None and t.strip()]
    if not parts:
        return Skipped(doc_id, "no text: every --text column is NULL or empty")
    text = "\n\n".join(parts)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return Skipped(doc_id, f"the row's text is {size / 1048576:.1f} MB, over --max-size ({max_bytes / 1048576:g} MB)")
    metadata = {"table": source.name, "key": row["key"]}
    metadata.update({c: row[f"m{i}"] for i, c in enumerate(source.meta_columns)})
    return SourceDocument(doc_id, doc_id, row["title"] or "", text, "txt", metadata)


def read_rows(conn: "psycopg.Connection[Any]", source: TableSource, max_bytes: int, seen: set[str]) -> Iterator[SourceDocument | Skipped]:
    """Every row of the source as a document, in key order (so batches, and vectors, repeat
    run after run), streamed through a server-side cursor in one READ ONLY transaction.
    ``seen`` collects every doc_id read (for --prune: a skipped row is not a deleted one)."""
    from psycopg import sql
    from psycopg.rows import dict_row

    keys = sql.SQL(", ").join(sql.Identifier(c) for c in source.id_columns)
    statement = sql_statement("table_rows", columns=select_list(source), source=from_clause(source), keys=keys)
    with read_only(conn, source):
        with conn.cursor(name="pgvsearch_table_rows", row_factory=dict_row) as cur:
            cur.itersize = ROWS_PER_FETCH
            cur.execute(statement)
            for row in cur:
                item = row_document(source, row, max_bytes)
                seen.add(item.doc_id if isinstance(item, SourceDocument) else item.path)
                yield item


def rows_by_keys(
    conn: "psycopg.Connection[Any]", source: TableSource, keys: list[dict[str, Any]], max_bytes: int
) -> tuple[dict[str, SourceDocument | Skipped], list[str]]:
    """The current rows of ``keys`` (JSON objects of the key columns) as documents by doc_id,
    and the doc_ids of the keys whose row is gone. Runs in the caller's transaction (a
    tracked batch's). The keys are read back as the table's row type, so the doc_id of a gone
    row is spelled as PostgreSQL spells its key, and the join uses the table's key index."""
    from psycopg import sql
    from psycopg.rows import dict_row
    from psycopg.types.json import Jsonb

    join = sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier("t", c), sql.Identifier("k", c)) for c in source.id_columns
    )
    columns = sql.SQL("{}, t.ctid IS NOT NULL AS found").format(select_list(source, "t", key_alias="k"))
    statement = sql_statement("table_rows_by_keys", columns=columns, table=table_identifier(source), join=join)
    rows = conn.cursor(row_factory=dict_row).execute(statement, {"keys": Jsonb(keys)}).fetchall()
    found: dict[str, SourceDocument | Skipped] = {}
    gone: list[str] = []
    for row in rows:
        if not row["found"]:
            gone.append(doc_id_of(source, [row[f"k{i}"] for i in range(len(source.id_columns))]))
            continue
        item = row_document(source, row, max_bytes)
        found[item.doc_id if isinstance(item, SourceDocument) else item.path] = item
    return found, gone


def current_doc_ids(conn: "psycopg.Connection[Any]", source: TableSource) -> set[str]:
    """The doc_id of every row now in the source's table (after a TRUNCATE, to find what is gone)."""
    from psycopg import sql

    keys = sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in source.id_columns)
    rows = conn.execute(sql_statement("table_keys", keys=keys, table=table_identifier(source)))
    return {doc_id_of(source, list(row)) for row in rows}
