"""The remembered table sources of a collection (``pgvsearch.table_sources``, beside the
collections registry): after the first run, ``pgvsearch ingest --table public.articles`` is the
whole cron line; a changed definition is refused unless ``--redefine`` is given."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..store import Collection, sql_statement
from .definition import TableSource, check_definition

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Remembered:
    source: TableSource
    queue: str | None  # the change queue's table in the source database's schema pgvsearch, when tracked

    @property
    def tracked(self) -> bool:
        return self.queue is not None


def ensure_registry(conn: "psycopg.Connection[Any]") -> None:
    """Create ``pgvsearch.table_sources`` if it is not there (idempotent)."""
    with conn.transaction():
        conn.execute(sql_statement("table_sources_registry"))


def remembered(conn: "psycopg.Connection[Any]", coll: Collection, name: str) -> Remembered | None:
    from psycopg.rows import dict_row

    row = conn.cursor(row_factory=dict_row).execute(sql_statement("table_source_get"), {"collection": coll.name, "name": name}).fetchone()
    if row is None:
        return None
    return Remembered(TableSource.from_json(row["definition"]), row["queue"])


def list_sources(conn: "psycopg.Connection[Any]", coll: Collection) -> list[Remembered]:
    from psycopg.rows import dict_row

    ensure_registry(conn)
    rows = conn.cursor(row_factory=dict_row).execute(sql_statement("table_sources_list"), {"collection": coll.name}).fetchall()
    return [Remembered(TableSource.from_json(r["definition"]), r["queue"]) for r in rows]


def remember(conn: "psycopg.Connection[Any]", coll: Collection, source: TableSource, queue: str | None = None) -> None:
    from psycopg.types.json import Jsonb

    with conn.transaction():
        conn.execute(
            sql_statement("table_source_put"),
            {"collection": coll.name, "name": source.name, "definition": Jsonb(_as_dict(source)), "queue": queue},
        )


def forget_queue(conn: "psycopg.Connection[Any]", coll: Collection, name: str) -> None:
    with conn.transaction():
        conn.execute(sql_statement("table_source_untrack"), {"collection": coll.name, "name": name})


def _as_dict(source: TableSource) -> dict[str, Any]:
    import json

    return dict(json.loads(source.to_json()))


def settle(given: TableSource, known: Remembered | None, *, redefine: bool) -> tuple[TableSource, bool]:
    """The definition to use, and whether it is new or changed (to be remembered).

    Options not given are the remembered ones; a definition that differs from the remembered
    one is refused without ``redefine`` (its documents would change under the cron job's feet).
    """
    if known is None:
        check_definition(given)
        return given, True
    merged = replace(
        given,
        id_columns=given.id_columns or known.source.id_columns,
        text_columns=given.text_columns or known.source.text_columns,
        title_column=given.title_column if given.title_column is not None else known.source.title_column,
        meta_columns=given.meta_columns or known.source.meta_columns,
        query=given.query if given.query is not None else known.source.query,
    )
    changes = known.source.differences(merged)
    if not changes:
        return merged, False
    if not redefine:
        raise ConfigError(
            f"table source {known.source.name!r} of this collection is defined otherwise ({'; '.join(changes)}); "
            "pass --redefine to re-derive its documents with the new definition"
        )
    check_definition(merged)
    return merged, True
