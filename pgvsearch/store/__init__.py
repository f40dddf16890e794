"""The store: where collections live in PostgreSQL.

- ``connection``: opening a connection, describing where it goes, why it failed
- ``sql``: the SQL loader (every statement is a file in ``sql/``)
- ``collections``: the registry (``Collection``, rows mapped by column name), ingest locks, pgvector version
- ``schema``: creating (init) and dropping a collection, its defaults and checks
- ``prepare``: init with its model loaded at the wanted precision (``pgvsearch init``)
- ``vector_index``: the HNSW index (exists, drop, build, repair)
- ``search_sql``: a search's statement, composed from the branch files in ``sql/``
- ``search_functions``: a collection's SQL functions (keyword/semantic/hybrid_search), generated
  from those statements, installed by init and checked before a connection's first search
- ``status``: what a collection holds (``pgvsearch status``)
- ``citus``: sharding a collection with Citus (``init --distributed``)
- ``replicas``: which server a query reads (read DSNs, replay lag, fallback to the primary)
- ``server``: the embedded PostgreSQL server

Other rooms import the store through this module; each name is imported on first use, so the
query path loads the connection, SQL and registry modules and not the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_MODULES = {
    "collections": (
        "HALFVEC_PGVECTOR", "INIT_LOCK_KEY", "ITERATIVE_SCAN_PGVECTOR", "MAX_HALFVEC_INDEX_DIMS",
        "MAX_VECTOR_INDEX_DIMS", "MIN_PGVECTOR", "Collection", "acquire_ingest_lock",
        "get_collection", "list_collections", "lock_key", "parse_version", "pgvector_version",
        "registry_exists", "release_ingest_lock", "require_collection", "schema_for"
    ),
    "citus": ("Distribution", "distribute_collection", "is_distributed", "require_citus"),
    "connection": ("connect", "describe_target"),
    "prepare": ("prepare_collection",),
    "replicas": ("ReplicaHealth", "connect_for_reading", "replica_health"),
    "schema": (
        "DEFAULT_CHUNK_TOKENS", "DEFAULT_OVERLAP", "DEFAULT_PRECISION", "DEFAULT_TEXT_CONFIG",
        "DEFAULT_WORD_SEPARATORS", "MIN_CHUNK_TOKENS", "InitResult", "check_precision",
        "drop_collection", "ensure_pgvector", "init_collection"
    ),
    "search_functions": (
        "SEARCH_FUNCTIONS", "ensure_search_functions", "forget_search_functions", "install_search_functions",
        "search_functions_ddl", "search_functions_fingerprint"
    ),
    "search_sql": ("SEARCH_MODES", "count_statement", "document_filters", "narrow_filter_statement", "search_statement"),
    "sizing": ("collection_sizes", "memory_advice", "pgvector_advice"),
    "server": ("EmbeddedServer", "ensure_server", "running_server", "start_server", "stop_server"),
    "sql": ("sql_statement", "sql_text"),
    "status": ("collection_report", "collection_status"),
    "vector_index": ("build_vector_index", "drop_vector_index", "repair_vector_index", "vector_index_exists"),
}
__all__, __getattr__ = lazy_exports(__name__, _MODULES)

if TYPE_CHECKING:
    from .collections import (
        HALFVEC_PGVECTOR, INIT_LOCK_KEY, ITERATIVE_SCAN_PGVECTOR, MAX_HALFVEC_INDEX_DIMS, MAX_VECTOR_INDEX_DIMS,
        MIN_PGVECTOR, Collection, acquire_ingest_lock, get_collection, list_collections, lock_key,
        parse_version, pgvector_version, registry_exists, release_ingest_lock, require_collection,
        schema_for,
    )
    from .citus import Distribution, distribute_collection, is_distributed, require_citus
    from .connection import connect, describe_target
    from .prepare import prepare_collection
    from .replicas import ReplicaHealth, connect_for_reading, replica_health
    from .schema import (
        DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP, DEFAULT_PRECISION, DEFAULT_TEXT_CONFIG,
        DEFAULT_WORD_SEPARATORS, MIN_CHUNK_TOKENS, InitResult, check_precision, drop_collection,
        ensure_pgvector, init_collection,
    )
    from .search_functions import (
        SEARCH_FUNCTIONS, ensure_search_functions, forget_search_functions, install_search_functions,
        search_functions_ddl, search_functions_fingerprint,
    )
    from .search_sql import SEARCH_MODES, count_statement, document_filters, narrow_filter_statement, search_statement
    from .sizing import collection_sizes, memory_advice, pgvector_advice
    from .server import EmbeddedServer, ensure_server, running_server, start_server, stop_server
    from .sql import sql_statement, sql_text
    from .status import collection_report, collection_status
    from .vector_index import build_vector_index, drop_vector_index, repair_vector_index, vector_index_exists
