"""A collection's SQL functions (docs/sql.md): ``keyword_search``, ``semantic_search`` and
``hybrid_search`` in the collection's schema, so that an application in any language searches
it as pgvsearch does, and pgvsearch itself searches by calling them.

Their bodies are generated from the statements ``search_sql`` composes from the branch files
in ``sql/`` (nothing is copied): each ``%(name)s`` parameter of those files becomes a reference
to the function's argument or variable, and the collection's fixed settings (text search
configuration, word separators) become literals. The functions live in the collection's schema,
not in one shared schema taking a collection name, for two reasons:

- static SQL: PL/pgSQL parses each statement once per session and keeps its plan dependencies,
  where one shared function would build and parse dynamic SQL (EXECUTE) on every call;
- privileges: an application role given USAGE on one schema, SELECT on its tables and EXECUTE on
  its functions can search that collection and no other (a shared function would also need the
  registry, which names every collection).

``init`` installs them; a newer pgvsearch checks them once per connection before its first
search of a collection (one catalog query) and installs them again when they are missing or were
generated from other SQL, e.g. for a collection created before they existed.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .citus import distributed_lexicon, is_distributed
from .collections import INIT_LOCK_KEY, ITERATIVE_SCAN_PGVECTOR, Collection, parse_version
from .search_sql import count_statement, filter_estimate_statement, narrow_filter_statement, search_statement
from .sql import sql_statement

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as psql

SEARCH_FUNCTIONS = ("keyword_search", "semantic_search", "hybrid_search")
HELPER_FUNCTIONS = ("check_search_arguments", "chunk_pool", "tune_hnsw", "filter_share", "filter_is_wide")
FUNCTION_DESCRIPTIONS = {
    "keyword_search": "Keyword (BM25) search of collection {name}",
    "semantic_search": "Semantic search of collection {name}, given the query's embedding",
    "hybrid_search": "Hybrid search of collection {name}, given the query and its embedding",
    "check_search_arguments": "The argument checks of collection {name}'s search functions",
    "chunk_pool": "How many nearest chunks collection {name}'s semantic branch reads",
    "tune_hnsw": "The HNSW settings of collection {name}'s semantic branch",
    "filter_share": "The planner's estimate of the share of collection {name}'s documents a filter admits",
    "filter_is_wide": "Whether a filter clearly admits too many of collection {name}'s chunks to rank them exactly",
}
_PARAMETER = re.compile(r"%\((\w+)\)s")
SOURCE_FILES = (
    "create_search_hit_type", "create_check_search_arguments_function", "create_chunk_pool_function",
    "create_tune_hnsw_function", "create_keyword_search_function", "create_semantic_search_function",
    "create_hybrid_search_function", "chunk_counts", "count_chunks", "count_documents", "document_filter",
    "filter_is_narrow", "metadata_one_pair", "metadata_pairs_filter", "create_filter_is_wide_function", "filter_estimate",
    "prefix_filter", "semantic_ranking", "nearest_chunks", "nearest_chunks_binary", "semantic_exact", "keyword_ranking",
    "term_postings", "more_term_postings", "keyword_floor", "keyword_floor_checked", "keyword_top", "keyword_top_checked",
    "semantic_only", "keyword_only", "fuse_rrf", "fuse_dbsf", "hits",
)
"""The sql/ files the functions are generated from (tests/test_sql_functions.py checks the list)."""

# Connections that have checked (or installed) a collection's functions: what they were generated
# for (the schema and the settings written into them) -> fingerprint.
_CHECKED: "weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], str]]" = weakref.WeakKeyDictionary()


def _generated_for(coll: Collection) -> tuple[str, ...]:
    return (coll.schema, coll.storage, coll.text_config, coll.word_separators)


def search_functions_ddl(conn: "psycopg.Connection[Any]", coll: Collection, *, iterative_scan: bool) -> str:
    """The DDL creating ``coll``'s search functions: one string of statements."""
    from psycopg import sql as psql

    def body(statement: "psql.Composable", function: str) -> "psql.SQL":
        return psql.SQL(_bind(statement.as_string(conn), _arguments(conn, coll, function)))

    def variants(mode: str, function: str, **kw: Any) -> dict[str, "psql.SQL"]:
        return {
            "filtered": body(search_statement(coll, mode, filtered=True, **kw), function),
            "unfiltered": body(search_statement(coll, mode, filtered=False, **kw), function),
        }

    # A custom plan for every call: PL/pgSQL would otherwise switch to a generic plan after five
    # calls of a session, where `prefix IS NULL OR starts_with(...)` and the metadata pairs
    # cannot use the filter indexes (a 1 % --meta hybrid search went from 7 ms to 530 ms at
    # 100,000 chunks). Keyword and hybrid search ask for a generic plan once the filter was
    # looked up (sql/filter_is_narrow.sql): their statements read no filter index, and planning
    # them took ~2 ms a call at 1,000,000 chunks.
    settings = "SET plan_cache_mode = force_custom_plan\nSET hnsw.ef_search = 40" + (
        "\nSET hnsw.iterative_scan = off" if iterative_scan else ""
    )
    common = {"schema": coll.schema, "vector_type": psql.SQL(coll.vector_type), "hnsw_settings": psql.SQL(settings)}
    semantic = variants("semantic", "semantic_search")
    exact = variants("semantic", "semantic_search", exact=True)
    parts = [
        sql_statement("create_search_hit_type", schema=coll.schema),
        sql_statement("create_check_search_arguments_function", schema=coll.schema),
        sql_statement(
            "create_chunk_pool_function", schema=coll.schema,
            chunk_counts=body(sql_statement("chunk_counts", schema=coll.schema), "chunk_pool"),
            count_chunks=body(sql_statement("count_chunks", schema=coll.schema), "chunk_pool"),
        ),
        sql_statement(
            "create_tune_hnsw_function", schema=coll.schema, iterative_scan=psql.SQL("true" if iterative_scan else "false"),
            rerank=psql.Literal(coll.rerank),
        ),
        # filter_share reads chunk_counts too: the body binds no argument, so one serves both.
        sql_statement(
            "create_filter_is_wide_function", schema=coll.schema,
            chunk_counts=body(sql_statement("chunk_counts", schema=coll.schema), "filter_is_wide"),
            explain=psql.Literal("EXPLAIN (FORMAT JSON) " + _bind(filter_estimate_statement(coll).as_string(conn), _PLACEHOLDERS)),
        ),
        sql_statement(
            "create_keyword_search_function", **common, **variants("keyword", "keyword_search"),
            admitted=body(search_statement(coll, "keyword", filtered=True, exact=True, admitted=True), "keyword_search"),
            narrow_filter=body(narrow_filter_statement(coll), "keyword_search"),
        ),
        sql_statement(
            "create_semantic_search_function", **common, **semantic,
            exact_filtered=exact["filtered"], exact_unfiltered=exact["unfiltered"],
            exact_admitted=body(search_statement(coll, "semantic", filtered=True, exact=True, admitted=True), "semantic_search"),
            count_filtered=body(count_statement(coll, True), "semantic_search"),
            narrow_filter=body(narrow_filter_statement(coll), "semantic_search"),
            count_unfiltered=body(count_statement(coll, False), "semantic_search"),
        ),
        sql_statement(
            "create_hybrid_search_function", **common,
            **{f"{fusion}_{k}": v for fusion in ("rrf", "dbsf") for k, v in variants("hybrid", "hybrid_search", fusion=fusion).items()},
            **{f"{fusion}_exact_filtered": body(search_statement(coll, "hybrid", fusion=fusion, filtered=True, exact=True, admitted=True),
                                                "hybrid_search")
               for fusion in ("rrf", "dbsf")},
            narrow_filter=body(narrow_filter_statement(coll), "hybrid_search"),
        ),
    ]
    return "\n\n".join(part.as_string(conn) for part in parts)


def search_functions_fingerprint(coll: Collection, *, iterative_scan: bool) -> str:
    """What the functions are generated from: the sql/ files, this generator, the collection's
    settings written into them and the pgvector features used. Cheaper than generating them,
    so that a new process checks them without composing a dozen statements."""
    from . import search_sql
    from .sql import sql_text

    digest = hashlib.sha256()
    for module in (__file__, search_sql.__file__):
        digest.update(Path(module).read_bytes())
    for name in SOURCE_FILES:
        digest.update(sql_text(name).encode())
    settings = (coll.name, *_generated_for(coll), str(iterative_scan))
    digest.update("\0".join(settings).encode())
    return digest.hexdigest()[:16]


def _arguments(conn: "psycopg.Connection[Any]", coll: Collection, function: str) -> dict[str, str]:
    """What each ``%(name)s`` of the branch files reads inside ``function``: its arguments
    (qualified by the function's name, so no column can shadow them), its variables, and the
    collection's settings as literals (they are fixed when a collection is created)."""
    from psycopg import sql as psql

    def literal(value: Any) -> str:
        return psql.Literal(value).as_string(conn)

    args = {
        name: f"{function}.{name}"
        for name in ("query", "k", "rrf_k", "semantic_weight", "keyword_weight", "k1", "b", "prefix")
    }
    return {
        **args,
        # Semantic search has no query text: sql/hits.sql then shows each document's nearest chunk.
        "query": "NULL::text" if function == "semantic_search" else args["query"],
        "embedding": f"{function}.query_embedding",
        "meta": f"{function}.metadata",
        "candidates": "_candidates",
        "chunk_candidates": "_pool",
        "admitted": "_admitted",
        "text_config": literal(coll.text_config),
        "word_separators": literal(coll.word_separators),
        "separator_spaces": literal(coll.separator_spaces),
        "schema_name": literal(coll.schema),
    }


_PLACEHOLDERS = {"prefix": "$1", "meta": "$2"}
"""What sql/filter_estimate.sql's parameters become in the EXPLAIN that filter_is_wide runs (EXECUTE ... USING)."""


def _bind(text: str, arguments: dict[str, str]) -> str:
    """``text`` with each ``%(name)s`` replaced by ``arguments[name]`` (KeyError for an unknown one)."""
    return _PARAMETER.sub(lambda m: arguments[m.group(1)], text)


def _marker(fingerprint: str) -> str:
    return f"[pgvsearch {fingerprint}]"


def install_search_functions(conn: "psycopg.Connection[Any]", coll: Collection, pgvector: tuple[int, ...]) -> str:
    """Create or replace ``coll``'s search functions (in the caller's transaction, which should
    hold the init lock); their fingerprint. CREATE OR REPLACE keeps the grants on them."""
    from psycopg import sql as psql

    iterative_scan = pgvector >= ITERATIVE_SCAN_PGVECTOR
    conn.execute(search_functions_ddl(conn, coll, iterative_scan=iterative_scan).encode())
    fingerprint = search_functions_fingerprint(coll, iterative_scan=iterative_scan)
    for function, description in FUNCTION_DESCRIPTIONS.items():
        comment = f"{description.format(name=coll.name)} (docs/sql.md). {_marker(fingerprint)}"
        conn.execute(sql_statement(
            "comment_search_function", function=psql.Identifier(coll.schema, function), comment=psql.Literal(comment),
        ))
    checked = _CHECKED.setdefault(conn, {})
    for replaced in [key for key in checked if key[0] == coll.schema]:
        del checked[replaced]
    checked[_generated_for(coll)] = fingerprint
    return fingerprint


def create_filter_indexes(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """The indexes a narrow filter's lookup reads (``sql/create_filter_indexes.sql``; idempotent).
    Not for a collection sharded by Citus, where the pairs are a view (sql/distributed_lexicon.sql)."""
    from psycopg import sql as psql

    conn.execute(sql_statement("create_filter_indexes", schema=coll.schema, schema_name=psql.Literal(coll.schema)))


def _installed(conn: "psycopg.Connection[Any]", coll: Collection) -> tuple[bool, tuple[int, ...]]:
    """Whether ``coll``'s functions are those this pgvsearch generates, and the pgvector version."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            sql_statement("search_functions_installed"),
            {"schema_name": coll.schema, "functions": list(FUNCTION_DESCRIPTIONS)},
        ).fetchone()
    assert row is not None
    pgvector = parse_version(row["pgvector"]) if row["pgvector"] else (0, 0, 0)
    fingerprint = search_functions_fingerprint(coll, iterative_scan=pgvector >= ITERATIVE_SCAN_PGVECTOR)
    comments = row["comments"]
    current = len(comments) == len(FUNCTION_DESCRIPTIONS) and all(c.endswith(_marker(fingerprint)) for c in comments)
    if current:
        _CHECKED.setdefault(conn, {})[_generated_for(coll)] = fingerprint
    return current, pgvector


def ensure_search_functions(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Install ``coll``'s search functions unless this connection found them current already.

    Cheap after the first call on a connection (nothing is asked); the first asks the catalog
    once. Installing takes the init lock, so concurrent first searches and ``init`` runs wait
    for each other rather than replace the same functions at once.
    """
    import psycopg

    if _generated_for(coll) in _CHECKED.get(conn, {}):
        return
    current, pgvector = _installed(conn, coll)
    if current:
        return
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK_KEY,))
            if not _installed(conn, coll)[0]:  # another process may have installed them meanwhile
                # A collection made by an earlier version may lack what these functions read.
                if not is_distributed(conn, coll):
                    create_filter_indexes(conn, coll)
                else:
                    distributed_lexicon(conn, coll)  # the lexicon and document_pairs views
                install_search_functions(conn, coll, pgvector)
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction) as exc:
        raise ConfigError(
            f"collection {coll.name!r} needs its SQL functions installed or upgraded for this pgvsearch version, "
            f"and this role may not ({exc.diag.message_primary or type(exc).__name__}); run "
            f"`pgvsearch init --collection {coll.name}` once as the collection's owner"
        ) from None


def forget_search_functions(conn: "psycopg.Connection[Any]", coll: Collection) -> None:
    """Make the next :func:`ensure_search_functions` ask the catalog again (the functions were dropped)."""
    _CHECKED.get(conn, {}).pop(_generated_for(coll), None)
