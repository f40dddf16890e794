"""Finding a table source in the source database: the table, its columns, whether its key is unique.

Every failure here is one line naming the thing: a missing table or column is a configuration
matter (exit 4), a ``--query`` that fails or writes a usage one (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, UsageError
from ..redact import redact_secrets
from ..store import sql_statement
from .definition import TableSource

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Resolved:
    """A source checked against the database: the table's exact name and oid (None for a query)."""

    source: TableSource
    oid: int | None
    columns: dict[str, str]  # column -> type, as the source returns them


def table_identifier(source: TableSource) -> Any:
    from psycopg import sql

    assert source.schema is not None and source.table is not None
    return sql.Identifier(source.schema, source.table)


def from_clause(source: TableSource) -> Any:
    """The table, or the query as a subquery (its text is the user's SQL, run read-only)."""
    from psycopg import sql

    if source.query is not None:
        return sql.SQL("({}) AS q").format(sql.SQL(clean_query(source.query)))
    return table_identifier(source)


def clean_query(query: str) -> str:
    return query.strip().rstrip(";").strip()


def resolve(conn: "psycopg.Connection[Any]", source: TableSource) -> Resolved:
    """The source with its table found (exact names) and every named column present."""
    if source.query is not None:
        columns = _query_columns(conn, source)
        resolved = Resolved(source, None, columns)
    else:
        resolved = _find_table(conn, source)
    missing = [c for c in source.columns if c not in resolved.columns]
    if missing:
        where = f"the --query ({source.name})" if source.query is not None else f"table {resolved.source.name}"
        have = ", ".join(resolved.columns) or "none"
        raise ConfigError(f"column {missing[0]!r} is not in {where}; its columns are: {have}")
    return resolved


def _find_table(conn: "psycopg.Connection[Any]", source: TableSource) -> Resolved:
    from psycopg.rows import dict_row

    assert source.table is not None
    cur = conn.cursor(row_factory=dict_row)
    rows = cur.execute(sql_statement("table_find"), {"schema": source.schema, "table": source.table}).fetchall()
    exact = [r for r in rows if r["table_name"] == source.table and (source.schema is None or r["schema_name"] == source.schema)]
    wanted = f"{source.schema}.{source.table}" if source.schema else source.table
    if not exact:
        hint = f" (did you mean {rows[0]['schema_name']}.{rows[0]['table_name']}? names are taken as written)" if rows else ""
        where = "" if source.schema else " on the search_path"
        raise ConfigError(f"table {wanted!r} not found{where}{hint}")
    found = exact[0]
    resolved = source.with_schema(found["schema_name"], found["table_name"])
    columns = {
        r["column_name"]: r["data_type"]
        for r in cur.execute(sql_statement("table_columns"), {"oid": found["oid"]}).fetchall()
    }
    return Resolved(resolved, int(found["oid"]), columns)


def _query_columns(conn: "psycopg.Connection[Any]", source: TableSource) -> dict[str, str]:
    """The columns the --query returns (run with LIMIT 0, read-only)."""
    from psycopg import sql

    statement = sql.SQL("SELECT * FROM {} LIMIT 0").format(from_clause(source))
    with read_only(conn, source):
        cur = conn.execute(statement)
        return {d.name: str(d.type_code) for d in cur.description or ()}


class read_only:
    """A READ ONLY transaction for reading the source; a --query that fails or writes becomes
    one line (exit 2), a missing table or privilege a configuration error (exit 4)."""

    def __init__(self, conn: "psycopg.Connection[Any]", source: TableSource) -> None:
        self.conn, self.source = conn, source
        self._tx: Any = None

    def __enter__(self) -> "psycopg.Connection[Any]":
        self._tx = self.conn.transaction()
        self._tx.__enter__()
        self.conn.execute(sql_statement("table_read_only"))
        return self.conn

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        self._tx.__exit__(kind, exc, tb)
        if exc is not None:
            translated = source_error(exc, self.source)
            if translated is not None:
                raise translated from None
        return False


def source_error(exc: BaseException, source: TableSource) -> Exception | None:
    """A server error about the source as one line (None: not about the source)."""
    state = getattr(exc, "sqlstate", None) or ""
    if not state or state.startswith("08") or state.startswith("57P0"):
        return None  # the connection: describe_error says so (exit 5)
    primary = getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)
    primary = redact_secrets(" ".join(primary.split()))
    if state == "25006":
        return UsageError(f"--query must only read (it runs in a READ ONLY transaction): {primary}")
    if state == "42501":
        return ConfigError(f"cannot read {source.name}: {primary} (grant SELECT on it to the role pgvsearch connects as)")
    if source.query is not None:
        return UsageError(f"--query failed: {primary}")
    if state in ("42P01", "42703", "3F000"):
        return ConfigError(f"cannot read table {source.name}: {primary}")
    return None


def key_is_unique(conn: "psycopg.Connection[Any]", resolved: Resolved) -> None:
    """Refuse a key that names two rows (``--id`` must be unique: each row is one document)."""
    from psycopg import sql
    from psycopg.rows import dict_row

    source = resolved.source
    if resolved.oid is not None:
        row = conn.execute(sql_statement("table_key_is_unique"), {"oid": resolved.oid, "columns": list(source.id_columns)}).fetchone()
        if row and row[0]:
            return  # a primary key or unique index says so already
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in source.id_columns)
    key_text = sql.SQL(" || ',' || ").join(sql.SQL("coalesce({}::text, '')").format(sql.Identifier(c)) for c in source.id_columns)
    with read_only(conn, source):
        dup = conn.cursor(row_factory=dict_row).execute(
            sql_statement("table_key_duplicates", source=from_clause(source), keys=keys, key_text=key_text)
        ).fetchone()
    if dup:
        raise ConfigError(
            f"--id {','.join(source.id_columns)} is not unique in {source.name}: {dup['key_text']!r} is held by {dup['n']} rows "
            "(name a key that identifies one row, e.g. the primary key)"
        )
