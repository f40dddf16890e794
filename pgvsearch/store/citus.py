"""Sharding a collection with Citus (``pgvsearch init --distributed``, docs/scaling.md).

``sql/distribute_collection.sql`` distributes a collection's documents, chunks and postings on
the document id, co-located; ``sql/distribute_registry.sql`` makes the registry a reference
table. Both run on the coordinator, once: what Citus already distributes is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .collections import INIT_LOCK_KEY, Collection
from .sql import sql_statement

if TYPE_CHECKING:
    import psycopg

REGISTRY = "pgvsearch.collections"


@dataclass(frozen=True)
class Distribution:
    """What ``distribute_collection`` did: each is False when Citus had it already."""

    registry: bool
    collection: bool


def require_citus(conn: "psycopg.Connection[Any]") -> str | None:
    """The citus extension's version (None when only its functions are visible); ConfigError,
    before anything is changed, when this database cannot distribute tables."""
    row = conn.execute(sql_statement("citus_status")).fetchone()
    assert row is not None
    available, version = row
    if not available:
        raise ConfigError(
            f"--distributed needs Citus, and database {conn.info.dbname!r} has no citus extension "
            "(create_distributed_table is missing); run CREATE EXTENSION citus on the coordinator, "
            "or leave out --distributed"
        )
    return str(version) if version is not None else None


def is_distributed(conn: "psycopg.Connection[Any]", coll: Collection) -> bool:
    """Whether sql/distribute_collection.sql has run on ``coll`` (its stats became a view):
    works with or without Citus installed, so a plain ``init`` knows not to re-create them."""
    row = conn.execute(sql_statement("collection_distributed"), {"schema_name": coll.schema}).fetchone()
    return bool(row and row[0])


def distributed_lexicon(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """The lexicon and document_pairs of a distributed collection: views over the sharded
    postings and documents (idempotent)."""
    conn.execute(sql_statement("distributed_lexicon", schema=coll.schema))


def distribute_collection(conn: "psycopg.Connection[Any]", coll: Collection) -> Distribution:
    """Make the registry a reference table and shard ``coll`` (idempotent; one transaction)."""
    from psycopg import sql as psql

    documents = psql.Identifier(coll.schema, "documents").as_string(conn)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK_KEY,))
        done = {r[0] for r in conn.execute(sql_statement("citus_distributed"), {"tables": [REGISTRY, documents]})}
        registry = REGISTRY not in done
        if registry:
            conn.execute(sql_statement("distribute_registry"))
        collection = documents not in done and not is_distributed(conn, coll)
        if collection:
            conn.execute(sql_statement("distribute_collection", schema=coll.schema, schema_name=psql.Literal(coll.schema)))
            distributed_lexicon(conn, coll)
    return Distribution(registry=registry, collection=collection)
