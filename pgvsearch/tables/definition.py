"""What a table source is: the table (or query) and the columns that make its documents.

Pure: parsing ``[SCHEMA.]TABLE`` and column lists, the remembered form (JSON), and what changed
between two definitions. Names are taken as written (case and spaces kept, never folded or
parsed as SQL); they reach SQL only through ``psycopg.sql.Identifier``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Sequence

from ..errors import UsageError

RESERVED_METADATA = ("table", "key")  # every table document's metadata has them


@dataclass(frozen=True)
class TableSource:
    """One table source of a collection.

    ``name`` is the doc_id prefix (``public.articles`` gives ``public.articles:42``); for a
    table it is ``schema.table`` once the schema is known, for a query its ``--name``.
    """

    name: str
    id_columns: tuple[str, ...]
    text_columns: tuple[str, ...]
    title_column: str | None = None
    meta_columns: tuple[str, ...] = ()
    schema: str | None = None  # None: the first match on the search_path (resolved before use)
    table: str | None = None
    query: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column read, once each, in the order named."""
        named = [*self.id_columns, *self.text_columns, *([self.title_column] if self.title_column else []), *self.meta_columns]
        return tuple(dict.fromkeys(named))

    @property
    def prefix(self) -> str:
        return f"{self.name}:"

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("extra")
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> TableSource:
        raw = json.loads(data) if isinstance(data, str) else dict(data)
        known = {k: raw.pop(k) for k in list(raw) if k in cls.__dataclass_fields__ and k != "extra"}
        for key in ("id_columns", "text_columns", "meta_columns"):
            known[key] = tuple(known.get(key) or ())
        return cls(**known, extra=raw)

    def differences(self, other: TableSource) -> list[str]:
        """What ``other`` changes, as ``--option old -> new`` phrases (empty: the same source)."""
        labels = {
            "schema": "schema", "table": "--table", "query": "--query", "id_columns": "--id",
            "text_columns": "--text", "title_column": "--title", "meta_columns": "--meta",
        }
        changes = []
        for key, label in labels.items():
            old, new = getattr(self, key), getattr(other, key)
            if old != new:
                changes.append(f"{label} {_show(old)} -> {_show(new)}")
        return changes

    def with_schema(self, schema: str, table: str) -> TableSource:
        """The source with its table resolved to an exact schema and name (and named after it)."""
        return replace(self, schema=schema, table=table, name=f"{schema}.{table}")


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value) or "(none)"
    return "(none)" if value is None else str(value)


def split_table_name(text: str) -> tuple[str | None, str]:
    """``[SCHEMA.]TABLE`` as written: the schema is what comes before the first dot, unless
    the name is quoted (``"my.schema"."a.b"``), in which case a doubled quote is a quote."""
    text = text.strip()
    if not text:
        raise UsageError("--table needs a table name, e.g. public.articles")
    parts: list[str] = []
    rest = text
    while rest:
        if rest.startswith('"'):
            end, name = 1, []
            while True:
                stop = rest.find('"', end)
                if stop < 0:
                    raise UsageError(f"--table {text!r}: a quoted name is not closed")
                name.append(rest[end:stop])
                if rest[stop + 1 : stop + 2] == '"':
                    name.append('"')
                    end = stop + 2
                    continue
                break
            parts.append("".join(name))
            rest = rest[stop + 1 :]
            if rest and not rest.startswith("."):
                raise UsageError(f"--table {text!r}: expected a dot after a quoted name")
            rest = rest[1:] if rest else rest
        else:
            head, dot, tail = rest.partition(".") if len(parts) == 0 else (rest, "", "")
            parts.append(head)
            rest = tail if dot else ""
    if len(parts) > 2 or not all(parts):
        raise UsageError(f"--table {text!r}: give TABLE or SCHEMA.TABLE")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def split_columns(values: Sequence[str] | None, option: str) -> tuple[str, ...]:
    """``--text a,b --text c`` -> ("a", "b", "c"); a name is taken as written (spaces kept)."""
    columns: list[str] = []
    for value in values or ():
        for name in value.split(","):
            if not name:
                raise UsageError(f"{option} {value!r}: an empty column name")
            columns.append(name)
    return tuple(columns)


def check_definition(source: TableSource) -> None:
    """Refuse a definition that cannot work, before anything is read."""
    if not source.id_columns:
        raise UsageError("a table source needs --id COL[,COL...] (the key that names each document)")
    if not source.text_columns:
        raise UsageError("a table source needs --text COL[,COL...] (the columns whose text is indexed)")
    clash = [c for c in source.meta_columns if c in RESERVED_METADATA]
    if clash:
        raise UsageError(f"--meta {clash[0]!r}: 'table' and 'key' are set by pgvsearch (the source table and the row's key)")
    if (source.table is None) == (source.query is None):
        raise UsageError("give one of --table or --query")
