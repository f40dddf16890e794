"""The collection registry (``pgvsearch.collections``): what a collection is, finding one,
the ingest lock of each, and the pgvector version the server has.

Registry rows are read by column name into :class:`Collection` (``sql/get_collection.sql``
names each column after a field), so the SQL and the dataclass cannot drift apart unnoticed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, LockedError
from .sql import sql_statement

if TYPE_CHECKING:
    import psycopg

    from ..embedding import Embedder

MIN_PGVECTOR = (0, 5, 0)
HALFVEC_PGVECTOR = (0, 7, 0)
ITERATIVE_SCAN_PGVECTOR = (0, 8, 0)
MAX_VECTOR_INDEX_DIMS = 2000
MAX_HALFVEC_INDEX_DIMS = 4000
MAX_VECTOR_DIMS = 16000  # pgvector's vector type
STORAGES = ("vector", "halfvec", "binary")
INIT_LOCK_KEY = 0x5047_5653_494E_4954  # "PGVSINIT": serializes `init` runs and installs of search functions


def parse_version(text: str) -> tuple[int, ...]:
    nums = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        nums.append(int(digits) if digits else 0)
    return tuple(nums)


def pgvector_version(conn: "psycopg.Connection[Any]") -> tuple[int, ...] | None:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return parse_version(row[0]) if row else None


# Binary storage: the HNSW index holds one bit per dimension (binary_quantize), so its nearest
# chunks are approximate; the semantic branch reads this many times its pool by Hamming
# distance and keeps the nearest by cosine over the full vectors (benchmarks/scale.py measured
# recall@10 against the exact answer; docs/storage.md).
BINARY_RERANK = 4


@dataclass(frozen=True)
class Collection:
    """One row of the registry; the field names are the column names of ``sql/get_collection.sql``."""

    name: str
    schema: str
    model: str
    dimension: int
    storage: str  # "vector", "halfvec" or "binary" (vector column, HNSW index over its bits)
    text_config: str
    chunk_tokens: int
    chunk_overlap: int
    max_seq_length: int
    precision: str = "fp32"  # of the embedding model: fp32, or int8 (quantized ONNX)
    word_separators: str = ""
    """Characters keyword search reads as spaces ('' = PostgreSQL's parser as is); see sql/keyword_ranking.sql."""
    created_at: datetime | None = None

    def chunking_fingerprint(self) -> str:
        """What, besides the text, decides a document's chunks, vectors and postings."""
        base = f"{self.model}|{self.precision}|{self.dimension}|{self.storage}|{self.chunk_tokens}|{self.chunk_overlap}|{self.text_config}"
        # Appended only when set, so that the content hashes of older collections do not change.
        return f"{base}|{self.word_separators}" if self.word_separators else base

    def check_embedder(self, embedder: "Embedder") -> None:
        """ConfigError unless ``embedder`` makes vectors of this collection's dimension."""
        if embedder.dimension != self.dimension:
            raise ConfigError(
                f"model {embedder.model_name} makes {embedder.dimension}-dimensional vectors but collection "
                f"{self.name!r} stores {self.dimension}; use the collection's model ({self.model}) or init a new collection"
            )

    @property
    def vector_type(self) -> str:
        """The chunks' embedding column type: ``halfvec``, or ``vector`` (also for ``binary``
        storage, whose full vectors re-rank what its bit index finds)."""
        return "halfvec" if self.storage == "halfvec" else "vector"

    @property
    def rerank(self) -> int:
        """How many times the chunk pool the semantic branch reads from the index before ranking
        by the full vectors: 1, or ``BINARY_RERANK`` for binary storage (docs/storage.md)."""
        return BINARY_RERANK if self.storage == "binary" else 1

    @property
    def separator_spaces(self) -> str:
        """translate()'s replacement for word_separators: one space each."""
        return " " * len(self.word_separators)


def schema_for(collection: str) -> str:
    return f"pgvs_{collection}"


def registry_exists(conn: "psycopg.Connection[Any]") -> bool:
    row = conn.execute("SELECT to_regclass('pgvsearch.collections') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _read_collections(conn: "psycopg.Connection[Any]", statement: str, params: dict[str, Any] | None = None) -> list[Collection]:
    """Registry rows as Collections, mapped by column name (a column the dataclass lacks fails loudly)."""
    from psycopg.rows import class_row

    with conn.cursor(row_factory=class_row(Collection)) as cur:
        return cur.execute(sql_statement(statement), params).fetchall()


def get_collection(conn: "psycopg.Connection[Any]", name: str) -> Collection | None:
    if not registry_exists(conn):
        return None
    found = _read_collections(conn, "get_collection", {"name": name})
    return found[0] if found else None


def list_collections(conn: "psycopg.Connection[Any]") -> list[Collection]:
    if not registry_exists(conn):
        return []
    return _read_collections(conn, "list_collections")


def require_collection(conn: "psycopg.Connection[Any]", name: str, *, model: str | None = None) -> Collection:
    """The collection ``name``; ConfigError when it does not exist, or when ``model`` is given
    and is not the model the collection was initialised with."""
    coll = get_collection(conn, name)
    if coll is None:
        raise ConfigError(_missing(conn, name))
    if model and model != coll.model:
        raise ConfigError(
            f"collection {coll.name!r} was initialised with model {coll.model} ({coll.dimension} dims), not {model}; "
            "omit --model or use another --collection"
        )
    return coll


def _missing(conn: "psycopg.Connection[Any]", name: str) -> str:
    """Why collection ``name`` is not found, saying where we looked: a cron job with another HOME
    reaches another (new, empty) embedded server, and only the data directory tells."""
    from .connection import connection_target

    where = connection_target(conn)
    message = f"collection {name!r} does not exist" + (f" in {where}" if where else "")
    if where and where.endswith("created just now"):
        message += " (set PGVSEARCH_HOME or --dsn as in the runs that created your collections)"
    else:
        others = [c.name for c in list_collections(conn)]
        message += f" (it has: {', '.join(others)})" if others else " (it has no collections)"
    return message + f"; run `pgvsearch init --collection {name}` to create it"


# --- the ingest lock ---------------------------------------------------------------------


def lock_key(collection: str) -> int:
    """A stable 63-bit advisory-lock key for a collection's ingest lock."""
    return int.from_bytes(hashlib.sha256(f"pgvsearch:ingest:{collection}".encode()).digest()[:8], "big") >> 1


def acquire_ingest_lock(conn: "psycopg.Connection[Any]", collection: str, *, wait: bool) -> None:
    """Session-level advisory lock so two ingests of one collection never interleave."""
    key = lock_key(collection)
    if wait:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        return
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    if not row or not row[0]:
        raise LockedError(f"another ingest of collection {collection!r} is running; retry later or pass --wait")


def release_ingest_lock(conn: "psycopg.Connection[Any]", collection: str) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(collection),))
