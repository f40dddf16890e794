"""The store: where collections live in PostgreSQL.

Connections, the SQL loader (every statement is a file in ``sql/``), the collection registry,
the schema of a collection (init, drop, the HNSW index, status) and the embedded server.
Other rooms import the store through this module.
"""

from .db import (
    HALFVEC_PGVECTOR,
    ITERATIVE_SCAN_PGVECTOR,
    MAX_HALFVEC_INDEX_DIMS,
    MAX_VECTOR_INDEX_DIMS,
    MIN_PGVECTOR,
    Collection,
    acquire_ingest_lock,
    connect,
    describe_target,
    get_collection,
    list_collections,
    lock_key,
    parse_version,
    pgvector_version,
    registry_exists,
    release_ingest_lock,
    require_collection,
    schema_for,
    sql_statement,
    sql_text,
)
from .schema import (
    DEFAULT_CHUNK_TOKENS,
    DEFAULT_OVERLAP,
    DEFAULT_PRECISION,
    DEFAULT_TEXT_CONFIG,
    DEFAULT_WORD_SEPARATORS,
    MIN_CHUNK_TOKENS,
    InitResult,
    build_vector_index,
    check_precision,
    collection_status,
    drop_collection,
    drop_vector_index,
    ensure_pgvector,
    init_collection,
    repair_vector_index,
    vector_index_exists,
)
from .server import EmbeddedServer, ensure_server, running_server, start_server, stop_server
