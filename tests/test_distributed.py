"""`pgvsearch init --distributed` (Citus, docs/scaling.md) against stand-ins for Citus's functions.

Citus cannot be installed here. In a scratch database, plpgsql stand-ins named as Citus's
``create_distributed_table`` and ``create_reference_table`` record each call in a table and
in a ``pg_dist_partition`` of their own, after checking what Citus itself refuses: a
PRIMARY KEY or UNIQUE constraint without the distribution column, a table with triggers, a
co-location with a table not yet distributed. So the real ``sql/distribute_collection.sql``
runs, and the test sees which tables it distributes, on which column, co-located with what.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pgvsearch.errors import ExitCode
from conftest import run_cli, unique_name

CITUS_STAND_INS = r"""
CREATE TABLE citus_calls (n serial PRIMARY KEY, fn text, tbl text, col text, colocate_with text);
CREATE TABLE pg_dist_partition (logicalrelid regclass PRIMARY KEY, partmethod "char" NOT NULL);

CREATE FUNCTION create_distributed_table(table_name regclass, distribution_column text,
                                         colocate_with text DEFAULT 'default') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    _attnum smallint;
BEGIN
    SELECT attnum INTO _attnum FROM pg_attribute WHERE attrelid = table_name AND attname = distribution_column;
    IF _attnum IS NULL THEN
        RAISE EXCEPTION 'column "%" of relation "%" does not exist', distribution_column, table_name;
    END IF;
    IF EXISTS (SELECT FROM pg_index WHERE indrelid = table_name AND indisunique AND NOT _attnum = ANY(indkey)) THEN
        RAISE EXCEPTION 'cannot create constraint on "%": PRIMARY KEY and UNIQUE constraints must include the partition column', table_name;
    END IF;
    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = table_name AND NOT tgisinternal) THEN
        RAISE EXCEPTION 'cannot distribute relation "%" because it has triggers', table_name;
    END IF;
    IF colocate_with <> 'default' AND NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = colocate_with::regclass) THEN
        RAISE EXCEPTION 'relation % should be a hash distributed table', colocate_with;
    END IF;
    INSERT INTO citus_calls (fn, tbl, col, colocate_with) VALUES ('create_distributed_table', table_name::text, distribution_column, colocate_with);
    INSERT INTO pg_dist_partition VALUES (table_name, 'h');
END
$$;

CREATE FUNCTION create_reference_table(table_name regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO citus_calls (fn, tbl) VALUES ('create_reference_table', table_name::text);
    INSERT INTO pg_dist_partition VALUES (table_name, 'n');
END
$$;
"""

# The collection's tables, columns, indexes, constraints and triggers, as the catalog has them
# (NOT NULL is on the columns; PostgreSQL 18 also lists it as a constraint).
CATALOG = """
SELECT 'relation', c.relname || ' ' || c.relkind::text FROM pg_class AS c
 WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind IN ('r', 'v')
UNION ALL
SELECT 'column', c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
  FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind IN ('r', 'v') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'index', pg_get_indexdef(i.indexrelid) FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indrelid
 WHERE c.relnamespace = %(ns)s::regnamespace
UNION ALL
SELECT 'constraint', c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) FROM pg_constraint AS k
  JOIN pg_class AS c ON c.oid = k.conrelid WHERE c.relnamespace = %(ns)s::regnamespace AND k.contype <> 'n'
UNION ALL
SELECT 'trigger', c.relname || ' ' || t.tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s::regnamespace AND NOT t.tgisinternal
"""


@pytest.fixture()
def scratch(server: Any) -> Iterator[tuple[str, str]]:
    """Two fresh databases on the test server (no pgvector, no registry): their DSNs."""
    import psycopg

    names = [unique_name("citus"), unique_name("plain")]
    with psycopg.connect(server.conninfo(), autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield server.conninfo(names[0]), server.conninfo(names[1])
    with psycopg.connect(server.conninfo(), autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def catalog(dsn: str, schema: str) -> set[tuple[str, str]]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return {(kind, text) for kind, text in conn.execute(CATALOG, {"ns": schema}).fetchall()}


def calls(dsn: str) -> list[tuple[str, str, str | None, str | None]]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return [tuple(r) for r in conn.execute("SELECT fn, tbl, col, colocate_with FROM citus_calls ORDER BY n")]  # type: ignore[misc]


def test_without_citus_distributed_init_is_one_line_exit_4_and_changes_nothing(scratch: tuple[str, str]) -> None:
    import psycopg

    _, dsn = scratch
    result = run_cli("init", "-c", "docs", "--distributed", "--dsn", dsn, "-f", "json")
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "citus" in lines[0].lower() and "--distributed" in lines[0]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regnamespace('pgvsearch'), to_regnamespace('pgvs_docs')").fetchone() == (None, None)
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'").fetchone() == (0,)


def test_distributed_init_shards_by_document_and_keeps_plain_init_as_it_was(scratch: tuple[str, str], tmp_path: Path) -> None:
    import psycopg

    citus, plain = scratch
    with psycopg.connect(citus, autocommit=True) as conn:
        conn.execute(CITUS_STAND_INS)

    result = run_cli("init", "-c", "docs", "--distributed", "--dsn", citus, "-f", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["distributed"] is True
    assert calls(citus) == [
        ("create_reference_table", "pgvsearch.collections", None, None),
        ("create_distributed_table", "pgvs_docs.documents", "id", "default"),
        ("create_distributed_table", "pgvs_docs.chunks", "document_id", "pgvs_docs.documents"),
        ("create_distributed_table", "pgvs_docs.postings", "document_id", "pgvs_docs.documents"),
    ]

    # Once only: a second run finds them distributed; a plain init leaves the sharded schema alone.
    again = run_cli("init", "-c", "docs", "--distributed", "--dsn", citus, "-f", "json")
    assert again.returncode == 0, again.stderr
    assert run_cli("init", "-c", "docs", "--dsn", citus, "-f", "json").returncode == 0
    assert len(calls(citus)) == 4

    # Plain init in a fresh database: the schema of one server, unchanged. The sharded one differs
    # from it by exactly what Citus requires (docs/scaling.md), and nothing else.
    assert run_cli("init", "-c", "docs", "--dsn", plain, "-f", "json").returncode == 0
    one_server, sharded = catalog(plain, "pgvs_docs"), catalog(citus, "pgvs_docs")
    assert {
        ("constraint", "documents documents_doc_id_key UNIQUE (doc_id)"),
        ("constraint", "chunks chunks_pkey PRIMARY KEY (id)"),
        ("relation", "stats r"),
        ("trigger", "documents documents_stats_insert"),
    } <= one_server
    assert one_server - sharded == {
        ("constraint", "documents documents_doc_id_key UNIQUE (doc_id)"),
        ("index", "CREATE UNIQUE INDEX documents_doc_id_key ON pgvs_docs.documents USING btree (doc_id)"),
        ("constraint", "chunks chunks_pkey PRIMARY KEY (id)"),
        ("index", "CREATE UNIQUE INDEX chunks_pkey ON pgvs_docs.chunks USING btree (id)"),
        ("relation", "stats r"),
        ("column", "stats.singleton boolean not null"),
        ("column", "stats.n_docs bigint not null"),
        ("column", "stats.total_length bigint not null"),
        ("constraint", "stats stats_pkey PRIMARY KEY (singleton)"),
        ("constraint", "stats stats_singleton_check CHECK (singleton)"),
        ("index", "CREATE UNIQUE INDEX stats_pkey ON pgvs_docs.stats USING btree (singleton)"),
        ("trigger", "documents documents_stats_insert"),
        ("trigger", "documents documents_stats_delete"),
        ("trigger", "documents documents_stats_update"),
        ("relation", "lexicon r"),
        ("column", "lexicon.term text not null"),
        ("column", "lexicon.df bigint not null"),
        ("constraint", "lexicon lexicon_pkey PRIMARY KEY (term)"),
        ("constraint", "lexicon lexicon_df_check CHECK ((df > 0))"),
        ("index", "CREATE UNIQUE INDEX lexicon_pkey ON pgvs_docs.lexicon USING btree (term)"),
        ("trigger", "postings postings_lexicon_insert"),
        ("trigger", "postings postings_lexicon_delete"),
        ("trigger", "postings postings_lexicon_update"),
        ("relation", "document_pairs r"),
        ("column", "document_pairs.pair text not null"),
        ("column", "document_pairs.document_id bigint not null"),
        ("column", "document_pairs.chunk_count integer not null"),
        ("constraint", "document_pairs document_pairs_pkey PRIMARY KEY (pair, document_id) INCLUDE (chunk_count)"),
        ("index", "CREATE UNIQUE INDEX document_pairs_pkey ON pgvs_docs.document_pairs USING btree (pair, document_id) INCLUDE (chunk_count)"),
        ("trigger", "documents documents_pairs_insert"),
        ("trigger", "documents documents_pairs_delete"),
        ("trigger", "documents documents_pairs_update"),
    }
    assert sharded - one_server == {
        ("index", "CREATE INDEX documents_doc_id_idx ON pgvs_docs.documents USING btree (doc_id)"),
        ("constraint", "chunks chunks_pkey PRIMARY KEY (id, document_id)"),
        ("index", "CREATE UNIQUE INDEX chunks_pkey ON pgvs_docs.chunks USING btree (id, document_id)"),
        ("relation", "stats v"),
        ("column", "stats.singleton boolean"),
        ("column", "stats.n_docs bigint"),
        ("column", "stats.total_length bigint"),
        ("relation", "lexicon v"),
        ("column", "lexicon.term text"),
        ("column", "lexicon.df bigint"),
        ("relation", "document_pairs v"),
        ("column", "document_pairs.pair text"),
        ("column", "document_pairs.document_id bigint"),
        ("column", "document_pairs.chunk_count integer"),
    }

    # The sharded schema still ingests, updates and ranks: BM25's N and avgdl come from the view.
    (tmp_path / "a.md").write_text("# Wombats\n\nWombats dig burrows. Wombats are marsupials.\n")
    (tmp_path / "b.md").write_text("# Otters\n\nOtters swim; a wombat does not.\n")
    for dsn in (citus, plain):
        ingested = run_cli("ingest", str(tmp_path), "-c", "docs", "--dsn", dsn, "-f", "json", "-q")
        assert ingested.returncode == 0 and json.loads(ingested.stdout)["added"] == 2, ingested.stderr
    (tmp_path / "b.md").write_text("# Otters\n\nOtters swim in rivers.\n")
    for dsn in (citus, plain):
        assert run_cli("ingest", str(tmp_path), "-c", "docs", "--dsn", dsn, "-f", "json", "-q").returncode == 0
    ranked = []
    for dsn in (citus, plain):
        hits = run_cli("keyword", "wombat burrows", "-c", "docs", "--dsn", dsn, "-f", "json")
        assert hits.returncode == 0, hits.stderr
        ranked.append([(h["doc_id"], round(h["score"], 9)) for h in map(json.loads, hits.stdout.splitlines())])
    assert ranked[0] == ranked[1] and ranked[0][0][0] == "a.md"
    with psycopg.connect(citus) as conn, psycopg.connect(plain) as one:
        assert conn.execute("SELECT n_docs, total_length, n_chunks FROM pgvs_docs.stats").fetchone() == \
            one.execute("SELECT n_docs, total_length, n_chunks FROM pgvs_docs.stats").fetchone()
        lexicon = "SELECT term, df FROM pgvs_docs.lexicon ORDER BY term"
        assert conn.execute(lexicon).fetchall() == one.execute(lexicon).fetchall() != []
        pairs = "SELECT pair, document_id, chunk_count FROM pgvs_docs.document_pairs ORDER BY 1, 2"
        assert conn.execute(pairs).fetchall() == one.execute(pairs).fetchall()
        # Sharded by a version without a lexicon: `init` gives it the view.
        conn.execute("DROP VIEW pgvs_docs.lexicon")
        conn.commit()
        assert run_cli("init", "-c", "docs", "--dsn", citus, "-f", "json").returncode == 0
        assert conn.execute(lexicon).fetchall() == one.execute(lexicon).fetchall()
