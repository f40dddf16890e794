"""Creating, describing and dropping collections (the ``sql/create_*.sql`` files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .db import (
    HALFVEC_PGVECTOR,
    MAX_HALFVEC_INDEX_DIMS,
    MAX_VECTOR_INDEX_DIMS,
    MIN_PGVECTOR,
    Collection,
    get_collection,
    lock_key,
    pgvector_version,
    schema_for,
    sql_statement,
)
from ..embedding import PRECISIONS
from ..errors import ConfigError, UsageError

if TYPE_CHECKING:
    import psycopg

INIT_LOCK_KEY = 0x5047_5653_494E_4954  # "PGVSINIT": serializes concurrent `init` runs
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
    tokens = chunk_tokens if chunk_tokens is not None else min(DEFAULT_CHUNK_TOKENS, max_seq_length)
    if tokens < MIN_CHUNK_TOKENS:
        raise UsageError(f"--chunk-tokens must be at least {MIN_CHUNK_TOKENS}")
    if tokens > max_seq_length:
        raise UsageError(f"--chunk-tokens {tokens} exceeds the model's maximum sequence length {max_seq_length}")
    overlap = DEFAULT_OVERLAP if chunk_overlap is None else chunk_overlap
    if not 0 <= overlap < tokens // 2:
        raise UsageError(f"--chunk-overlap must be between 0 and {tokens // 2 - 1} tokens")

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK_KEY,))
        version = ensure_pgvector(conn)
        conn.execute(sql_statement("create_registry"))
        existing = get_collection(conn, name)
        if existing is not None:
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
            # Re-running the DDL repairs a schema whose objects were dropped; all statements are IF NOT EXISTS.
            _create_schema(conn, existing, vector_index=False)
        else:
            text_config = text_config or DEFAULT_TEXT_CONFIG
            storage = storage or "auto"
            chosen = _choose_storage(storage, dimension, version)
            row = conn.execute(
                "SELECT cfgname FROM pg_ts_config WHERE cfgname = %s", (text_config,)
            ).fetchone()
            if row is None:
                raise UsageError(f"unknown text search configuration {text_config!r} (see \\dF in psql)")
            coll = Collection(
                name=name,
                schema=schema_for(name),
                model=model,
                dimension=dimension,
                storage=chosen,
                text_config=text_config,
                chunk_tokens=tokens,
                chunk_overlap=overlap,
                max_seq_length=max_seq_length,
                precision=precision or DEFAULT_PRECISION,
                word_separators=DEFAULT_WORD_SEPARATORS,
            )
            _create_schema(conn, coll)
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
            stored = get_collection(conn, name)
            assert stored is not None
    if existing is not None:
        # Outside the transaction that holds the registry's lock: a long build must not stall
        # every other command.
        repair_vector_index(conn, existing)
        return InitResult(existing, created=False)
    return InitResult(stored, created=True)


def _choose_storage(storage: str, dimension: int, version: tuple[int, ...]) -> str:
    if storage == "auto":
        storage = "vector" if dimension <= MAX_VECTOR_INDEX_DIMS else "halfvec"
    if storage not in ("vector", "halfvec"):
        raise UsageError(f"--storage must be vector, halfvec or auto, not {storage!r}")
    if storage == "halfvec" and version < HALFVEC_PGVECTOR:
        raise ConfigError("halfvec storage needs pgvector >= 0.7; run ALTER EXTENSION vector UPDATE")
    limit = MAX_VECTOR_INDEX_DIMS if storage == "vector" else MAX_HALFVEC_INDEX_DIMS
    if dimension > limit:
        raise ConfigError(f"{storage} HNSW indexes support at most {limit} dimensions; this model has {dimension}")
    return storage


def _create_schema(conn: "psycopg.Connection[Any]", coll: Collection, *, vector_index: bool = True) -> None:
    from psycopg import sql as psql

    conn.execute(
        sql_statement(
            "create_collection",
            schema=coll.schema,
            vector_type=psql.SQL("{}({})").format(psql.SQL(coll.storage), psql.Literal(coll.dimension)),
            text_config=psql.Literal(coll.text_config),
            word_separators=psql.Literal(coll.word_separators),
            separator_spaces=psql.Literal(coll.separator_spaces),
        )
    )
    if vector_index:
        conn.execute(_vector_index_ddl(coll))


def repair_vector_index(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Build the HNSW index if it is missing (a first load was killed before its end), unless
    an ingest of the collection is running: that ingest builds it when it ends."""
    if vector_index_exists(conn, coll):
        return
    key = lock_key(coll.name)
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    if not row or not row[0]:
        return
    try:
        build_vector_index(conn, coll)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def _vector_index_ddl(coll: Collection) -> "psycopg.sql.Composed":
    from psycopg import sql as psql

    ops = psql.SQL("halfvec_cosine_ops" if coll.storage == "halfvec" else "vector_cosine_ops")
    return sql_statement("create_vector_index", schema=coll.schema, ops=ops)


# What pgvector's HNSW build keeps in memory per vector besides the vector itself (the
# neighbour lists of m = 16: 32 on layer 0, fewer above), with room to spare. A build whose
# graph outgrows maintenance_work_mem goes on much more slowly (pgvector says so in a notice).
_HNSW_BYTES_PER_ROW = 1024
_MAX_BUILD_MEMORY = 2 * 1024**3


def vector_index_exists(conn: "psycopg.Connection[Any]", coll: Collection) -> bool:
    from psycopg import sql as psql

    name = psql.Identifier(coll.schema, "chunks_embedding_idx").as_string(conn)
    row = conn.execute(sql_statement("vector_index_exists"), {"index": name}).fetchone()
    return bool(row and row[0])


def drop_vector_index(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Drop the HNSW index before a bulk load; :func:`build_vector_index` makes it again."""
    with conn.transaction():
        conn.execute(sql_statement("drop_vector_index", schema=coll.schema))


def build_vector_index(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Build the HNSW index if it is missing, with maintenance_work_mem raised (for this
    transaction only, up to 2 GiB) so that the graph of every chunk fits in memory."""
    import psycopg

    if vector_index_exists(conn, coll):
        return
    try:
        _build(conn, coll, parallel=True)
    except psycopg.Error as exc:
        # A parallel build keeps its graph in shared memory, which a container may have little of
        # (Docker's default /dev/shm is 64 MB): build again in the backend's own memory.
        if getattr(exc, "sqlstate", None) not in ("53100", "53200") or conn.broken:
            raise
        _build(conn, coll, parallel=False)


def _build(conn: "psycopg.Connection[Any]", coll: Collection, *, parallel: bool) -> None:
    import psycopg

    with conn.transaction():
        row = conn.execute(sql_statement("vector_index_build_memory", schema=coll.schema)).fetchone()
        assert row is not None
        rows, current = int(row[0]), int(row[1])
        vector_bytes = coll.dimension * (2 if coll.storage == "halfvec" else 4)
        wanted = min(_MAX_BUILD_MEMORY, rows * (vector_bytes + _HNSW_BYTES_PER_ROW) * 5 // 4)
        if wanted > current:
            conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (f"{wanted // 1024}kB",))
        if not parallel:
            conn.execute("SELECT set_config('max_parallel_maintenance_workers', '0', true)")
        if conn.info.server_version >= 140000:
            # If this client dies (SIGKILL) mid-build, the server stops the build within a second
            # instead of finishing it for nobody while holding the collection's ingest lock.
            # (Not every platform supports the check: then the build goes on without it.)
            try:
                with conn.transaction():
                    conn.execute("SELECT set_config('client_connection_check_interval', '1000', true)")
            except psycopg.Error:
                pass
        conn.execute(_vector_index_ddl(coll))


def drop_collection(conn: "psycopg.Connection[Any]", name: str) -> bool:
    coll = get_collection(conn, name)
    if coll is None:
        return False
    with conn.transaction():
        conn.execute(sql_statement("drop_collection", schema=coll.schema))
        conn.execute(sql_statement("unregister_collection"), {"name": name})
    return True


def collection_status(conn: "psycopg.Connection[Any]", coll: Collection) -> dict[str, Any]:
    from psycopg import sql as psql

    def qualified(rel: str) -> str:
        return psql.Identifier(coll.schema, rel).as_string(conn)

    cur = conn.execute(
        sql_statement("collection_status", schema=coll.schema),
        {
            "documents": qualified("documents"),
            "chunks": qualified("chunks"),
            "postings": qualified("postings"),
            "hnsw_index": qualified("chunks_embedding_idx"),
            "gin_index": qualified("chunks_tsv_idx"),
        },
    )
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    return dict(zip((d.name for d in cur.description), row))
