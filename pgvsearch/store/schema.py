"""Creating and dropping collections (the ``sql/create_*.sql`` files): init, its checks, the
storage type, and the defaults a new collection takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..embedding import PRECISIONS
from ..errors import ConfigError, UsageError
from .collections import (
    HALFVEC_PGVECTOR,
    INIT_LOCK_KEY,
    MAX_HALFVEC_INDEX_DIMS,
    MAX_VECTOR_DIMS,
    MAX_VECTOR_INDEX_DIMS,
    STORAGES,
    MIN_PGVECTOR,
    Collection,
    get_collection,
    pgvector_version,
    schema_for,
)
from .citus import distributed_lexicon, is_distributed
from .search_functions import create_filter_indexes, install_search_functions
from .sql import sql_statement
from .vector_index import repair_vector_index, vector_index_ddl

if TYPE_CHECKING:
    import psycopg

DEFAULT_TEXT_CONFIG = "english"
# Chunks of about 100 words: the passage length dense retrievers are trained and judged on (MS MARCO
# passages, DPR's 100-word Wikipedia passages), and the sequence length all-MiniLM-L6-v2 (like the
# other all-* sentence-transformers) was fine-tuned with, though it accepts 256. Capped at the model's
# window. On Cranfield this beat chunks of the full 256-token window by +0.018 nDCG@10 (semantic) and
# ingested faster (README "Search quality"). Chunks end at paragraph or sentence boundaries, so no
# overlap is needed to keep sentences whole; overlaps of 16 or 32 tokens measured no better there.
DEFAULT_CHUNK_TOKENS = 128
MIN_CHUNK_TOKENS = 32  # the chunker keeps >= 16 tokens of text beside a context line of <= chunk/4 and 2 special tokens
DEFAULT_OVERLAP = 0
# Keyword search reads these as spaces, as Lucene's standard tokenizer (and so the published BM25
# baselines) splits words: PostgreSQL's parser would index "boundary-layer" as a compound beside its
# parts and "subsonic/supersonic" as one file-path token that matches neither word.
DEFAULT_WORD_SEPARATORS = "-/"
# Documents are embedded with the int8 ONNX model unless asked otherwise: ~1.3x faster ingest here,
# and with fp32 queries it lost nothing on Cranfield (README "Performance"; fp32 stays an option).
DEFAULT_PRECISION = "int8"


@dataclass(frozen=True)
class InitResult:
    collection: Collection
    created: bool


def ensure_pgvector(conn: "psycopg.Connection[Any]") -> tuple[int, ...]:
    """Create the vector extension if missing; fail clearly when it is unavailable or too old."""
    import psycopg

    version = pgvector_version(conn)
    if version is None:
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as exc:
            db = conn.info.dbname
            raise ConfigError(
                f"pgvector is not available in database {db!r} ({exc.diag.message_primary or exc}); "
                "install pgvector >= 0.5 on the server, or ask an administrator to run CREATE EXTENSION vector"
            ) from None
        version = pgvector_version(conn)
    assert version is not None
    if version < MIN_PGVECTOR:
        raise ConfigError(
            f"pgvector {'.'.join(map(str, version))} is too old; pgvsearch needs >= 0.5 (HNSW). Run ALTER EXTENSION vector UPDATE"
        )
    return version


def check_precision(existing: Collection, precision: str | None) -> None:
    """ConfigError when ``precision`` is given and is not the existing collection's."""
    if precision is not None and existing.precision != precision:
        raise ConfigError(
            f"collection {existing.name!r} exists with {existing.precision} embeddings, not {precision}; "
            f"use another --collection or `pgvsearch drop {existing.name}` first"
        )


def init_collection(
    conn: "psycopg.Connection[Any]",
    name: str,
    *,
    model: str,
    dimension: int,
    max_seq_length: int,
    storage: str | None = None,
    text_config: str | None = None,
    chunk_tokens: int | None = None,
    chunk_overlap: int | None = None,
    precision: str | None = None,
) -> InitResult:
    """Create the collection's schema if needed and record its model. Idempotent.

    Settings left as None take their defaults for a new collection (storage auto, text
    configuration english, chunks of DEFAULT_CHUNK_TOKENS (at most the model's max sequence
    length) without overlap, DEFAULT_PRECISION documents) and are not checked for an existing one.

    Raises ConfigError when the collection exists with another model or dimension, or with
    another value of a setting that is given: they are fixed when a collection is created.
    """
    if precision is not None and precision not in PRECISIONS:
        raise UsageError(f"precision must be {' or '.join(PRECISIONS)}, not {precision!r}")
    tokens, overlap = _chunk_settings(chunk_tokens, chunk_overlap, max_seq_length)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK_KEY,))
        version = ensure_pgvector(conn)
        conn.execute(sql_statement("create_registry"))
        existing = get_collection(conn, name)
        if existing is not None:
            _check_existing(
                existing, model=model, dimension=dimension, version=version, precision=precision,
                storage=storage, text_config=text_config, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap,
            )
            # Re-running the DDL repairs a schema whose objects were dropped; all statements are IF NOT EXISTS.
            # Not for a collection sharded by Citus, whose stats table became a view (sql/distribute_collection.sql);
            # its lexicon is a view too, made here for one distributed by an earlier version.
            if not is_distributed(conn, existing):
                _create_schema(conn, existing, vector_index=False)
            else:
                distributed_lexicon(conn, existing)
            # ... and installs (or upgrades) the search functions, as for a new collection.
            install_search_functions(conn, existing, version)
        else:
            text_config = text_config or DEFAULT_TEXT_CONFIG
            chosen = _choose_storage(storage or "auto", dimension, version)
            row = conn.execute("SELECT cfgname FROM pg_ts_config WHERE cfgname = %s", (text_config,)).fetchone()
            if row is None:
                raise UsageError(f"unknown text search configuration {text_config!r} (see \\dF in psql)")
            stored = _register(conn, version, Collection(
                name=name, schema=schema_for(name), model=model, dimension=dimension, storage=chosen,
                text_config=text_config, chunk_tokens=tokens, chunk_overlap=overlap, max_seq_length=max_seq_length,
                precision=precision or DEFAULT_PRECISION, word_separators=DEFAULT_WORD_SEPARATORS,
            ))
    if existing is not None:
        # Outside the transaction that holds the registry's lock: a long build must not stall
        # every other command.
        repair_vector_index(conn, existing)
        return InitResult(existing, created=False)
    return InitResult(stored, created=True)


def _chunk_settings(chunk_tokens: int | None, chunk_overlap: int | None, max_seq_length: int) -> tuple[int, int]:
    """The chunk size and overlap of a new collection (UsageError when out of range)."""
    tokens = chunk_tokens if chunk_tokens is not None else min(DEFAULT_CHUNK_TOKENS, max_seq_length)
    if tokens < MIN_CHUNK_TOKENS:
        raise UsageError(f"--chunk-tokens must be at least {MIN_CHUNK_TOKENS}")
    if tokens > max_seq_length:
        raise UsageError(f"--chunk-tokens {tokens} exceeds the model's maximum sequence length {max_seq_length}")
    overlap = DEFAULT_OVERLAP if chunk_overlap is None else chunk_overlap
    if not 0 <= overlap < tokens // 2:
        raise UsageError(f"--chunk-overlap must be between 0 and {tokens // 2 - 1} tokens")
    return tokens, overlap


def _check_existing(
    existing: Collection, *, model: str, dimension: int, version: tuple[int, ...], precision: str | None,
    storage: str | None, text_config: str | None, chunk_tokens: int | None, chunk_overlap: int | None,
) -> None:
    """ConfigError when init asks an existing collection for another model or another given setting."""
    name = existing.name
    if existing.model != model or existing.dimension != dimension:
        raise ConfigError(
            f"collection {name!r} exists with model {existing.model} ({existing.dimension} dims), "
            f"not {model} ({dimension} dims); use another --collection or `pgvsearch drop {name}` first"
        )
    check_precision(existing, precision)
    asked = {
        "storage": (existing.storage, _choose_storage(storage, dimension, version) if storage is not None else None),
        "text configuration": (existing.text_config, text_config),
        "chunk tokens": (existing.chunk_tokens, chunk_tokens),
        "chunk overlap": (existing.chunk_overlap, chunk_overlap),
    }
    differ = [f"{label} {have} (not {want})" for label, (have, want) in asked.items() if want is not None and want != have]
    if differ:
        raise ConfigError(
            f"collection {name!r} exists with {', '.join(differ)}; settings are fixed when a collection is "
            f"created: use another --collection or `pgvsearch drop {name}` first"
        )


def _choose_storage(storage: str, dimension: int, version: tuple[int, ...]) -> str:
    if storage == "auto":
        storage = "vector" if dimension <= MAX_VECTOR_INDEX_DIMS else "halfvec"
    if storage not in STORAGES:
        raise UsageError(f"--storage must be vector, halfvec, binary or auto, not {storage!r}")
    if storage in ("halfvec", "binary") and version < HALFVEC_PGVECTOR:
        raise ConfigError(f"{storage} storage needs pgvector >= 0.7; run ALTER EXTENSION vector UPDATE")
    # binary: the column is `vector` (its limit, not the bit index's 64,000, applies)
    limit = MAX_HALFVEC_INDEX_DIMS if storage == "halfvec" else MAX_VECTOR_INDEX_DIMS if storage == "vector" else MAX_VECTOR_DIMS
    if dimension > limit:
        what = "vector columns" if storage == "binary" else f"{storage} HNSW indexes"
        raise ConfigError(f"{what} support at most {limit} dimensions; this model has {dimension}")
    return storage


def _register(conn: "psycopg.Connection[Any]", pgvector: tuple[int, ...], coll: Collection) -> Collection:
    """Create a new collection's schema, its search functions and its registry row; the row as stored."""
    _create_schema(conn, coll)
    install_search_functions(conn, coll, pgvector)
    conn.execute(
        sql_statement("register_collection"),
        {
            "name": coll.name,
            "schema_name": coll.schema,
            "model": coll.model,
            "dimension": coll.dimension,
            "storage": coll.storage,
            "text_config": coll.text_config,
            "chunk_tokens": coll.chunk_tokens,
            "chunk_overlap": coll.chunk_overlap,
            "max_seq_length": coll.max_seq_length,
            "precision": coll.precision,
            "word_separators": coll.word_separators,
        },
    )
    stored = get_collection(conn, coll.name)
    assert stored is not None
    return stored


def _create_schema(conn: "psycopg.Connection[Any]", coll: Collection, *, vector_index: bool = True) -> None:
    from psycopg import sql as psql

    conn.execute(
        sql_statement(
            "create_collection",
            schema=coll.schema,
            schema_name=psql.Literal(coll.schema),
            vector_type=psql.SQL("{}({})").format(psql.SQL(coll.vector_type), psql.Literal(coll.dimension)),
            text_config=psql.Literal(coll.text_config),
            word_separators=psql.Literal(coll.word_separators),
            separator_spaces=psql.Literal(coll.separator_spaces),
        )
    )
    create_filter_indexes(conn, coll)
    if vector_index:
        conn.execute(vector_index_ddl(coll))


def drop_collection(conn: "psycopg.Connection[Any]", name: str) -> bool:
    coll = get_collection(conn, name)
    if coll is None:
        return False
    with conn.transaction():
        conn.execute(sql_statement("drop_collection", schema=coll.schema))
        conn.execute(sql_statement("unregister_collection"), {"name": name})
    return True
