"""The SQL loader: every statement is a file in ``sql/`` (shipped as ``pgvsearch/sql``).

Files use ``{name}`` placeholders for identifiers (filled with :class:`psycopg.sql.Identifier`)
and ``%(name)s`` bind parameters for values.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psycopg import sql as psql


@functools.cache
def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (resources.files("pgvsearch.sql") / f"{name}.sql").read_text(encoding="utf-8")


def sql_statement(name: str, **identifiers: Any) -> "psql.Composed":
    """``sql/<name>.sql`` with ``{placeholders}`` filled: str -> Identifier, other Composables as given."""
    from psycopg import sql as psql

    parts = {k: psql.Identifier(v) if isinstance(v, str) else v for k, v in identifiers.items()}
    return psql.SQL(sql_text(name)).format(**parts)
