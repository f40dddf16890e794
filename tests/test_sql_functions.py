"""The SQL functions of a collection (docs/sql.md): an application calling them gets exactly what
pgvsearch's CLI and library return, with the same settings around the statement; init installs
and upgrades them; an application role can be given one collection only."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import make_collection, run_cli

QUERIES = ["I was charged twice for the same order", "429 too many requests retry-after", "reset my password"]
OPTIONS = [
    {},
    {"k": 4, "candidates": 7},
    {"fusion": "dbsf"},
    {"rrf_k": 10.0, "semantic_weight": 2.0, "keyword_weight": 0.5, "bm25_k1": 0.9, "bm25_b": 0.4},
    {"prefix": "billing/"},
    {"prefix": "api/", "fusion": "dbsf", "k": 3},
    {"metadata": "path of account/password-reset.md"},  # filled in from what is stored
]
COLUMNS = ("rank", "doc_id", "title", "source", "metadata", "chunk", "text", "score",
           "semantic_rank", "keyword_rank", "similarity", "bm25")


def call_function(conn: Any, coll: Any, mode: str, query: str, vector: str | None, options: Any) -> list[dict[str, Any]]:
    """What an application runs: the function with its arguments written out, by name, as psql would."""
    from psycopg.rows import dict_row

    args: dict[str, Any] = {"k": options.k, "candidates": options.candidates}
    if mode != "semantic":
        args = {"query": query, **args, "k1": options.bm25_k1, "b": options.bm25_b}
    if mode != "keyword":
        args["query_embedding"] = vector
    if mode == "hybrid":
        args.update(rrf_k=options.rrf_k, fusion=options.fusion,
                    semantic_weight=options.semantic_weight, keyword_weight=options.keyword_weight)
    if options.prefix is not None:
        args["prefix"] = options.prefix
    if options.metadata:
        args["metadata"] = json.dumps(dict(options.metadata))
    named = ", ".join(f"{name} => %({name})s" for name in args)
    statement = f'SELECT * FROM "{coll.schema}".{mode}_search({named})'
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(statement.encode(), args).fetchall()


def composed_statement(conn: Any, searcher: Any, mode: str, query: str, vector: str, options: Any) -> list[dict[str, Any]]:
    """The statement composed from the sql/ branch files, run directly under the search's HNSW
    settings (what pgvsearch ran before the functions existed)."""
    from psycopg.rows import dict_row

    params = searcher._params(query, vector, options, mode)
    with conn.transaction():
        if mode != "keyword":
            searcher._tune_hnsw(params["chunk_candidates"], options.filtered, params["candidates"])
        with conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(searcher.compose(mode, options), params).fetchall()


def as_rows(hits: Any) -> list[dict[str, Any]]:
    return [{c: getattr(h, c) for c in COLUMNS} for h in hits]


def same_hits(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with scores to 12 significant digits: a sum of the same BM25 terms may differ in its
    last bit with the order a plan reads the postings in (a filter's ids given or looked up)."""
    return [{c: float(f"{v:.12g}") if isinstance(v, float) else v for c, v in r.items()} for r in rows]


@pytest.mark.parametrize("mode", ["semantic", "keyword", "hybrid"])
def test_functions_return_exactly_what_the_library_and_the_composed_sql_return(
    conn: Any, sample_collection: Any, embedder: Any, mode: str
) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, sample_collection, embedder)
    vectors = searcher.embed_queries(QUERIES)
    path = conn.execute(f'SELECT metadata ->> %s FROM "{sample_collection.schema}".documents WHERE doc_id = %s',
                        ("path", "account/password-reset.md")).fetchone()[0]
    found = 0
    for query, vector in zip(QUERIES, vectors):
        for extra in OPTIONS:
            if "metadata" in extra:
                extra = {"metadata": {"path": path}}
            options = SearchOptions(**extra)  # type: ignore[arg-type]
            applied = call_function(conn, sample_collection, mode, query, vector, options)
            found += len(applied)
            composed = composed_statement(conn, searcher, mode, query, vector, options)
            assert same_hits(applied) == same_hits(composed), (mode, query, extra)
            assert applied == as_rows(searcher.run(query, mode, options, embedding=vector)), (mode, query, extra)
            if options.prefix:
                assert all(r["doc_id"].startswith(options.prefix) for r in applied)
    assert found >= len(QUERIES) * len(OPTIONS) * 3


def test_functions_return_what_the_cli_prints(sample_collection: Any, settings: Any) -> None:
    """The CLI (a process of its own, embedding its query) and an application calling the function
    with the same query vector get the same documents, chunks and scores."""
    from pgvsearch.embedding import load_embedder
    from pgvsearch.search import SearchOptions
    from pgvsearch.store import connect

    cli_embedder = load_embedder(sample_collection.model, cache_dir=settings.model_cache, quick_start=True)  # as the CLI loads it
    query = "how do I update the card I pay with"
    with connect(settings) as conn:
        vector = "[" + ",".join(repr(float(x)) for x in cli_embedder.embed([query])[0]) + "]"
        for mode, command, flags, options in [
            ("keyword", "keyword", ["-k", "5"], SearchOptions(k=5)),
            ("semantic", "search", ["-k", "5", "--prefix", "billing/"], SearchOptions(k=5, prefix="billing/")),
            ("hybrid", "hybrid", ["-k", "6"], SearchOptions(k=6)),
            ("hybrid", "hybrid", ["-k", "6", "--fusion", "dbsf"], SearchOptions(k=6, fusion="dbsf")),
        ]:
            result = run_cli(command, query, "-c", "sample", "-f", "json", *flags)
            assert result.returncode == 0, result.stderr
            printed = [json.loads(line) for line in result.stdout.splitlines()]
            applied = call_function(conn, sample_collection, mode, query, vector, options)
            assert [{c: r[c] for c in COLUMNS} for r in applied] == [{c: r[c] for c in COLUMNS} for r in printed], command


def test_a_crowded_semantic_search_still_returns_k_documents_from_the_function(
    conn: Any, embedder: Any, collection: Any, tmp_path: Path
) -> None:
    """The exact retry happens inside the function: an application gets k documents too."""
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    sentences = [f"Zebra herd {i} grazed near the river while the foals stayed close to their mothers." for i in range(700)]
    (tmp_path / "zebras-book.txt").write_text(" ".join(sentences) + "\n")
    (tmp_path / "zebra-note.txt").write_text("A short note: zebras have black and white stripes.\n")
    (tmp_path / "tax.txt").write_text("Quarterly tax filings are due at the end of the month.\n")
    (tmp_path / "router.txt").write_text("Restart the router if the wifi connection drops.\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    searcher = Searcher(conn, collection, embedder)
    vector = searcher.embed_queries(["zebra herds grazing"])[0]
    options = SearchOptions(k=4, candidates=4)
    # The approximate pool alone is crowded by the long document ...
    assert len(composed_statement(conn, searcher, "semantic", "", vector, options)) < 4
    # ... and the function searches exactly, as pgvsearch did before it called the function.
    rows = call_function(conn, collection, "semantic", "", vector, options)
    assert sorted(r["doc_id"] for r in rows) == ["router.txt", "tax.txt", "zebra-note.txt", "zebras-book.txt"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    filtered = call_function(conn, collection, "semantic", "", vector, SearchOptions(k=4, candidates=4, prefix="zebra"))
    assert sorted(r["doc_id"] for r in filtered) == ["zebra-note.txt", "zebras-book.txt"]


def test_the_chunk_pool_is_one_chunk_per_document_only_while_every_document_is_one_chunk(
    conn: Any, embedder: Any, collection: Any, tmp_path: Path
) -> None:
    """The semantic branch reads one chunk per document wanted while the stats row's exact count
    says every document is one chunk (a filtered search then tests half as many chunks), and
    twice the average per document once one is longer, or when the count is not exact."""
    from pgvsearch.ingest import ingest_paths

    schema = collection.schema

    def pool(documents: int) -> int:
        return int(conn.execute(f'SELECT "{schema}".chunk_pool(%s)', (documents,)).fetchone()[0])

    for i in range(6):
        (tmp_path / f"note-{i}.txt").write_text(f"Short note {i} about otters.\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert conn.execute(f'SELECT n_docs, n_chunks FROM "{schema}".stats').fetchone() == (6, 6)
    assert pool(100) == 100
    (tmp_path / "long.txt").write_text(" ".join(f"Otter family {i} swam down the river at dusk." for i in range(400)) + "\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    docs, chunks = conn.execute(f'SELECT n_docs, n_chunks FROM "{schema}".stats').fetchone()
    assert docs == 7 and chunks == conn.execute(f'SELECT count(*) FROM "{schema}".chunks').fetchone()[0] > 7
    assert pool(100) == 100 * min(10, max(2, math.ceil(2 * chunks / docs)))
    (tmp_path / "long.txt").unlink()
    ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    assert pool(100) == 100
    conn.execute(f'ANALYZE "{schema}".chunks')
    conn.execute(f'UPDATE "{schema}".stats SET n_chunks = NULL')  # not counted: an estimate is not trusted to be exact
    assert pool(100) == 200
    conn.rollback()


def test_hnsw_settings_last_only_as_long_as_the_call(conn: Any, sample_collection: Any, embedder: Any) -> None:
    """The function sets ef_search (and iterative scans) for its own statements only: an
    application's settings are what they were once it returns, inside a transaction or not."""
    from pgvsearch.search import SearchOptions, Searcher

    vector = Searcher(conn, sample_collection, embedder).embed_queries(["refund"])[0]
    schema = sample_collection.schema
    with conn.transaction():
        conn.execute("SET LOCAL hnsw.ef_search = 77")
        conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
        call_function(conn, sample_collection, "hybrid", "refund", vector, SearchOptions(k=3, candidates=300, prefix="b"))
        assert conn.execute("SHOW hnsw.ef_search").fetchone()[0] == "77"
        assert conn.execute("SHOW hnsw.iterative_scan").fetchone()[0] == "strict_order"
    # What the function sets while it runs (its helper, called on its own, keeps them for the transaction).
    with conn.transaction():
        assert conn.execute(f'SELECT "{schema}".tune_hnsw(15, false)').fetchone()[0] == 40
        assert conn.execute("SHOW hnsw.iterative_scan").fetchone()[0] == "off"
        assert conn.execute(f'SELECT "{schema}".tune_hnsw(200, false)').fetchone()[0] == 400  # twice the pool
        # A pool of one chunk per document searches the graph as deep as one of two.
        assert conn.execute(f'SELECT "{schema}".tune_hnsw(100, false, 100)').fetchone()[0] == 400
        assert conn.execute(f'SELECT "{schema}".tune_hnsw(400, false, 100)').fetchone()[0] == 800
        assert conn.execute("SHOW hnsw.iterative_scan").fetchone()[0] == "off"
        assert conn.execute(f'SELECT "{schema}".tune_hnsw(5000, false)').fetchone()[0] == 1000
        assert conn.execute("SHOW hnsw.iterative_scan").fetchone()[0] == "relaxed_order"
        assert conn.execute(f'SELECT "{schema}".tune_hnsw(300, true)').fetchone()[0] == 600
        assert conn.execute("SHOW hnsw.iterative_scan").fetchone()[0] == "relaxed_order"


@pytest.mark.parametrize(("call", "message"), [
    ("keyword_search('refund', k => 0)", "k must be at least 1"),
    ("keyword_search('refund', k => NULL)", "k must be at least 1"),
    ("keyword_search('refund', candidates => -1)", "candidates must be at least 1"),
    ("keyword_search('refund', b => 1.5)", "BM25 needs k1 >= 0 and 0 <= b <= 1"),
    ("semantic_search(NULL)", "query_embedding must not be null"),
    ("hybrid_search('refund', NULL)", "query_embedding must not be null"),
    ("hybrid_search('refund', array_fill(0.1, ARRAY[384])::vector, fusion => 'max')", "fusion must be rrf or dbsf"),
    ("hybrid_search('refund', array_fill(0.1, ARRAY[384])::vector, rrf_k => -1)", "rrf_k must not be negative"),
    ("hybrid_search('refund', array_fill(0.1, ARRAY[384])::vector, keyword_weight => -1)", "must not be negative"),
])
def test_bad_arguments_are_plain_errors(conn: Any, sample_collection: Any, call: str, message: str) -> None:
    import psycopg

    with pytest.raises(psycopg.errors.InvalidParameterValue if "NULL)" not in call else psycopg.Error, match=message):
        conn.execute(f'SELECT * FROM "{sample_collection.schema}".{call}'.encode())


def test_defaults_nulls_and_positional_calls(conn: Any, sample_collection: Any, embedder: Any) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, sample_collection, embedder)
    vector = searcher.embed_queries(["refund"])[0]
    schema = sample_collection.schema
    defaults = as_rows(searcher.run("refund", "hybrid", SearchOptions(), embedding=vector))
    rows = conn.execute(f'SELECT doc_id FROM "{schema}".hybrid_search(%s, %s::vector)', ("refund", vector)).fetchall()
    assert [r[0] for r in rows] == [h["doc_id"] for h in defaults]
    # NULL filters mean "no filter", as the defaults do.
    nulls = conn.execute(f'SELECT doc_id FROM "{schema}".hybrid_search(%s, %s::vector, prefix => NULL, metadata => NULL)',
                         ("refund", vector)).fetchall()
    assert nulls == rows
    assert conn.execute(f'SELECT count(*) FROM "{schema}".keyword_search(%s)', ("the of and",)).fetchone()[0] == 0


def test_init_installs_the_functions_and_upgrades_them_in_place(conn: Any, embedder: Any, collection_name: str) -> None:
    """init (again) replaces the functions without dropping them, so grants on them survive."""
    coll = make_collection(conn, embedder, collection_name)
    functions = """SELECT p.proname, p.oid FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                   WHERE n.nspname = %s ORDER BY p.proname"""
    first = conn.execute(functions, (coll.schema,)).fetchall()
    assert {r[0] for r in first} >= {"keyword_search", "semantic_search", "hybrid_search"}
    conn.execute(f"""COMMENT ON FUNCTION "{coll.schema}".hybrid_search IS 'from an older pgvsearch'""")
    make_collection(conn, embedder, collection_name)
    assert conn.execute(functions, (coll.schema,)).fetchall() == first  # same functions (oids), replaced in place
    comment = conn.execute(f"SELECT obj_description('\"{coll.schema}\".hybrid_search'::regproc, 'pg_proc')").fetchone()[0]
    assert comment.startswith(f"Hybrid search of collection {collection_name}") and "[pgvsearch " in comment


def test_a_collection_from_before_the_functions_gets_them_on_its_first_search(
    conn: Any, settings: Any, embedder: Any, collection_name: str, tmp_path: Path
) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher
    from pgvsearch.store import connect, get_collection

    coll = make_collection(conn, embedder, collection_name)
    (tmp_path / "a.txt").write_text("Kestrels hover over the meadow.\n")
    ingest_paths(conn, coll, embedder, [str(tmp_path)])
    for function in ("keyword_search", "semantic_search", "hybrid_search", "chunk_pool", "tune_hnsw", "check_search_arguments"):
        conn.execute(f'DROP FUNCTION "{coll.schema}".{function}')
    conn.execute(f'DROP TYPE "{coll.schema}".search_hit')
    with connect(settings) as fresh:  # a new process: nothing checked yet
        hits = Searcher(fresh, get_collection(fresh, collection_name), embedder).run("kestrels", "hybrid", SearchOptions(k=1))
    assert [h.doc_id for h in hits] == ["a.txt"]
    rows = conn.execute(f'SELECT doc_id FROM "{coll.schema}".keyword_search(%s)', ("kestrels",)).fetchall()
    assert rows == [("a.txt",)]


def test_functions_dropped_under_a_long_lived_connection_are_installed_again(conn: Any, sample_collection: Any) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, sample_collection)
    before = searcher.run("refund", "keyword", SearchOptions(k=2))
    conn.execute(f'DROP FUNCTION "{sample_collection.schema}".keyword_search')
    assert searcher.run("refund", "keyword", SearchOptions(k=2)) == before


def test_an_application_role_can_search_one_collection_only(
    conn: Any, sample_collection: Any, embedder: Any, collection_name: str
) -> None:
    """The grants of docs/sql.md: USAGE on the schema, SELECT on its tables, EXECUTE on its functions."""
    import psycopg

    other = make_collection(conn, embedder, collection_name)
    role = f"app_{uuid.uuid4().hex[:8]}"
    schema = sample_collection.schema
    conn.execute(f'CREATE ROLE {role} NOLOGIN')
    try:
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}')
        conn.execute(f'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "{schema}" TO {role}')
        with conn.transaction(force_rollback=True):
            conn.execute(f"SET LOCAL ROLE {role}")
            rows = conn.execute(f'SELECT doc_id FROM "{schema}".keyword_search(%s, k => 2)', ("refund",)).fetchall()
            assert len(rows) == 2
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {role}")
                conn.execute(f'SELECT doc_id FROM "{other.schema}".keyword_search(%s)', ("refund",))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {role}")
                conn.execute("SELECT name FROM pgvsearch.collections")
    finally:
        conn.execute(f'DROP OWNED BY {role}')
        conn.execute(f'DROP ROLE {role}')


def test_a_role_that_may_not_install_them_is_told_to_run_init(conn: Any, embedder: Any, collection_name: str) -> None:
    from pgvsearch.errors import ConfigError
    from pgvsearch.search import SearchOptions, Searcher
    from pgvsearch.store import forget_search_functions

    coll = make_collection(conn, embedder, collection_name)
    conn.execute(f'DROP FUNCTION "{coll.schema}".keyword_search')
    forget_search_functions(conn, coll)
    role = f"reader_{uuid.uuid4().hex[:8]}"
    conn.execute(f'CREATE ROLE {role} NOLOGIN')
    try:
        conn.execute(f'GRANT USAGE ON SCHEMA pgvsearch, "{coll.schema}" TO {role}')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA pgvsearch, "{coll.schema}" TO {role}')
        conn.execute(f"SET ROLE {role}")
        with pytest.raises(ConfigError, match=f"pgvsearch init --collection {collection_name}"):
            Searcher(conn, coll).run("refund", "keyword", SearchOptions(k=1))
    finally:
        conn.execute("RESET ROLE")
        conn.execute(f'DROP OWNED BY {role}')
        conn.execute(f'DROP ROLE {role}')


def test_show_sql_shows_the_call_and_the_statement_it_runs(sample_collection: Any) -> None:
    result = run_cli("search", "x", "-c", "sample", "--show-sql", "--prefix", "api/")
    assert result.returncode == 0, result.stderr
    assert f'"{sample_collection.schema}".semantic_search(' in result.stderr
    assert "<=>" in result.stderr and "starts_with(d.doc_id" in result.stderr


def test_the_fingerprint_covers_every_file_the_functions_are_generated_from(
    conn: Any, sample_collection: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process checks the functions by a fingerprint of their sources, not by generating them:
    every sql/ file the generator reads must be among those sources."""
    from pgvsearch.store import search_functions, search_functions_ddl, search_sql, sql

    read: list[str] = []
    original = sql.sql_text.__wrapped__

    def recording(name: str) -> str:
        read.append(name)
        return original(name)

    for module in (sql, search_sql):
        if hasattr(module, "sql_text"):
            monkeypatch.setattr(module, "sql_text", recording)
    search_functions_ddl(conn, sample_collection, iterative_scan=True)
    # A vector collection's functions read every source but binary storage's nearest chunks.
    assert set(read) == set(search_functions.SOURCE_FILES) - {"nearest_chunks_binary"}
