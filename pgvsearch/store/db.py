"""Connections, the SQL loader, and the collection registry.

Every statement comes from a file in ``sql/`` (shipped as ``pgvsearch/sql``). Files use
``{name}`` placeholders for identifiers (filled with :class:`psycopg.sql.Identifier`) and
``%(name)s`` bind parameters for values.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import ConfigError, DatabaseError, LockedError
from ..redact import redact_dsn, redact_secrets

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as psql

    from ..embedding import Embedder

MIN_PGVECTOR = (0, 5, 0)
HALFVEC_PGVECTOR = (0, 7, 0)
ITERATIVE_SCAN_PGVECTOR = (0, 8, 0)
MAX_VECTOR_INDEX_DIMS = 2000
MAX_HALFVEC_INDEX_DIMS = 4000


@functools.cache
def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (resources.files("pgvsearch.sql") / f"{name}.sql").read_text(encoding="utf-8")


def sql_statement(name: str, **identifiers: Any) -> "psql.Composed":
    """``sql/<name>.sql`` with ``{placeholders}`` filled: str -> Identifier, other Composables as given."""
    from psycopg import sql as psql

    parts = {k: psql.Identifier(v) if isinstance(v, str) else v for k, v in identifiers.items()}
    return psql.SQL(sql_text(name)).format(**parts)


def describe_target(settings: Settings, conninfo: str | None = None) -> str:
    """host:port/dbname of where we connect, never a password."""
    if settings.embedded:
        return f"embedded server in {settings.pgdata}"
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo if conninfo is not None else (settings.dsn or ""))
    except Exception:
        return redact_dsn(settings.dsn or "")
    import os

    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    db = params.get("dbname") or os.environ.get("PGDATABASE") or params.get("user") or ""
    return f"{host}:{port}/{db}"


def connect(settings: Settings, *, autocommit: bool = True) -> "psycopg.Connection[Any]":
    """Open a connection per the settings (starting the embedded server if needed).

    Connections are in autocommit mode; every write runs inside an explicit
    ``conn.transaction()`` block, so what commits together is visible in the code.
    """
    import psycopg

    if settings.embedded:
        from .server import ensure_server

        conninfo = ensure_server(settings.pgdata).conninfo()
    else:
        conninfo = settings.dsn or ""
    try:
        conn = psycopg.connect(
            conninfo,
            autocommit=autocommit,
            connect_timeout=settings.connect_timeout,
            application_name="pgvsearch",
        )
    except psycopg.ProgrammingError:
        # A malformed connection string: psycopg's message quotes it, password included.
        raise ConfigError(
            f"the connection string (from {settings.dsn_source}) is malformed: use key=value pairs "
            "(host=... dbname=...) or a postgresql://user@host:port/dbname URI"
        ) from None
    except psycopg.OperationalError as exc:
        if settings.embedded:
            # A stale postmaster.pid can point at a dead socket: start the server properly once.
            from .server import start_server

            try:
                conninfo = start_server(settings.pgdata).conninfo()
                conn = psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=settings.connect_timeout)
            except psycopg.OperationalError as exc2:
                raise DatabaseError(f"cannot connect to the {describe_target(settings)}: {_reason(exc2, settings)}") from None
        else:
            raise DatabaseError(
                f"cannot connect to PostgreSQL at {describe_target(settings)}: {_reason(exc, settings)}"
            ) from None
    conn.execute("SET client_min_messages = warning")
    if not autocommit:
        conn.commit()
    return conn


def _reason(exc: Exception, settings: Settings) -> str:
    """The last line of a libpq error, with any password that might appear removed."""
    text = " ".join(str(exc).split())
    marker = "failed: "
    if marker in text:
        text = text.rsplit(marker, 1)[-1]
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = conninfo_to_dict(settings.dsn or "").get("password")
    except Exception:
        password = None
    text = redact_secrets(text, password)
    return text or "connection failed"


def parse_version(text: str) -> tuple[int, ...]:
    nums = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        nums.append(int(digits) if digits else 0)
    return tuple(nums)


def pgvector_version(conn: "psycopg.Connection[Any]") -> tuple[int, ...] | None:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return parse_version(row[0]) if row else None


# --- collections -------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    name: str
    schema: str
    model: str
    dimension: int
    storage: str  # "vector" or "halfvec"
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
    def separator_spaces(self) -> str:
        """translate()'s replacement for word_separators: one space each."""
        return " " * len(self.word_separators)


def schema_for(collection: str) -> str:
    return f"pgvs_{collection}"


def lock_key(collection: str) -> int:
    """A stable 63-bit advisory-lock key for a collection's ingest lock."""
    return int.from_bytes(hashlib.sha256(f"pgvsearch:ingest:{collection}".encode()).digest()[:8], "big") >> 1


def registry_exists(conn: "psycopg.Connection[Any]") -> bool:
    row = conn.execute("SELECT to_regclass('pgvsearch.collections') IS NOT NULL").fetchone()
    return bool(row and row[0])


def get_collection(conn: "psycopg.Connection[Any]", name: str) -> Collection | None:
    if not registry_exists(conn):
        return None
    row = conn.execute(sql_statement("get_collection"), {"name": name}).fetchone()
    return _collection(row) if row else None


def list_collections(conn: "psycopg.Connection[Any]") -> list[Collection]:
    if not registry_exists(conn):
        return []
    return [_collection(row) for row in conn.execute(sql_statement("list_collections")).fetchall()]


def _collection(row: Any) -> Collection:
    return Collection(*row)


def require_collection(conn: "psycopg.Connection[Any]", name: str) -> Collection:
    coll = get_collection(conn, name)
    if coll is None:
        raise ConfigError(f"collection {name!r} does not exist; run `pgvsearch init --collection {name}` first")
    return coll


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
