"""Configuration precedence, DSN handling and a Postgres reached only through its DSN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import SAMPLE_DATA, run_cli


def test_precedence_option_env_config_libpq_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pgvsearch.config import resolve_settings

    config = tmp_path / "config.toml"
    monkeypatch.setenv("PGVSEARCH_CONFIG", str(config))
    env: dict[str, str] = {}
    assert resolve_settings(environ=env).dsn_source == "embedded"
    assert resolve_settings(environ={"PGHOST": "db.example"}).dsn_source == "libpq"
    config.write_text('dsn = "host=from-config dbname=x"\ncollection = "docs"\n')
    s = resolve_settings(environ={"PGHOST": "db.example"})
    assert (s.dsn, s.dsn_source, s.collection) == ("host=from-config dbname=x", "config", "docs")
    s = resolve_settings(environ={"PGVSEARCH_DSN": "host=from-env"})
    assert (s.dsn, s.dsn_source) == ("host=from-env", "env")
    s = resolve_settings(dsn="host=from-option", collection="other", environ={"PGVSEARCH_DSN": "host=from-env"})
    assert (s.dsn, s.dsn_source, s.collection) == ("host=from-option", "option", "other")


def test_bad_config_file_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pgvsearch.config import resolve_settings
    from pgvsearch.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text("dsn = \n")
    monkeypatch.setenv("PGVSEARCH_CONFIG", str(config))
    with pytest.raises(ConfigError):
        resolve_settings(environ={})
    result = run_cli("status", env={"PGVSEARCH_CONFIG": str(config)})
    assert result.returncode == 4 and "config" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "dsn",
    ["postgresql://alice:s3cr3t-pw@db.example:5432/app", "host=db.example user=alice password=s3cr3t-pw dbname=app",
     "host=db.example password='s3cr3t-pw' dbname=app"],
)
def test_redact_dsn_hides_passwords(dsn: str) -> None:
    from pgvsearch.redact import redact_dsn

    assert "s3cr3t-pw" not in redact_dsn(dsn) and "db.example" in redact_dsn(dsn)


@pytest.fixture(scope="module")
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from pgvsearch.store import start_server, stop_server

    pgdata = tmp_path_factory.mktemp("second") / "pgdata"
    srv = start_server(pgdata)
    yield srv
    stop_server(pgdata)


def test_a_server_reached_only_through_its_dsn(second_server: Any, embedder: Any, tmp_path: Path) -> None:
    dsn = second_server.conninfo()
    # Only the DSN points at the second server (the home still holds the shared model cache).
    env_no_embedded = {"PGVSEARCH_DSN": dsn}
    result = run_cli("init", "-c", "remote", env=env_no_embedded)
    assert result.returncode == 0, result.stderr
    result = run_cli("ingest", str(SAMPLE_DATA / "billing"), "-c", "remote", "-f", "json", "-q", env=env_no_embedded)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] >= 5
    result = run_cli("hybrid", "charged twice", "-c", "remote", "-f", "json", env=env_no_embedded)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["doc_id"] == "refunds-and-duplicate-charges.md"
    status = json.loads(run_cli("status", "-c", "remote", "-f", "json", env=env_no_embedded).stdout)
    assert status["connection"] == "env" and status["data_dir"] is None
    # The --dsn option works the same and wins over the environment.
    result = run_cli("status", "-c", "remote", "-f", "json", "--dsn", dsn, env={"PGVSEARCH_DSN": "host=/nonexistent"})
    assert result.returncode == 0 and json.loads(result.stdout)["connection"] == "option"
    # And the session's own embedded server does not have that collection.
    assert run_cli("status", "-c", "remote").returncode == 4


def test_unreachable_database_exits_5_without_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    dsn = f"postgresql://alice:hunter2-secret@127.0.0.1:{port}/app"
    result = run_cli("status", "--dsn", dsn, "--debug", env={"PGVSEARCH_CONNECT_TIMEOUT": "3"})
    assert result.returncode == 5
    assert f"127.0.0.1:{port}" in result.stderr
    assert "hunter2-secret" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "content, says",
    [('collection = "Docs"\n', "collection"), ("llm_url = 5\n", "llm_url"), ("connect_timeout = true\n", "connect_timeout")],
    ids=["bad-collection-name", "number-for-a-string", "bool-for-a-number"],
)
def test_a_config_value_of_the_wrong_kind_is_a_config_error(tmp_path: Path, content: str, says: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    result = run_cli("status", env={"PGVSEARCH_CONFIG": str(config)})
    assert result.returncode == 4 and says in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_init_without_privileges_exits_4_with_one_line(server: Any, conn: Any) -> None:
    role = "pgvs_no_create"
    # pgvector present (as after any earlier init): what is refused is creating the registry schema.
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(f"DROP ROLE IF EXISTS {role}")
    conn.execute(f"CREATE ROLE {role} LOGIN")
    database = conn.info.dbname
    conn.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
    dsn = server.conninfo().replace(f"user={server.conninfo().split('user=')[1].split()[0]}", f"user={role}")
    try:
        result = run_cli("init", "-c", "not_allowed", "--dsn", dsn)
    finally:
        conn.execute(f"DROP ROLE {role}")
    assert result.returncode == 4 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("pgvsearch: error: the database refused: permission denied")


def test_libpq_lines_read_as_sentences(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("status", "--dsn", f"host=127.0.0.1 port={port} dbname=app", env={"PGVSEARCH_CONNECT_TIMEOUT": "3"})
    assert result.returncode == 5
    line = result.stderr.strip()
    assert "\n" not in line and "refused. Is the server running" in line, line


def test_missing_collection_names_the_data_directory_and_says_when_it_is_new(tmp_path: Path) -> None:
    """A cron job with another HOME starts a new, empty embedded server: the error must say so."""
    from pgvsearch.store import stop_server

    home = tmp_path / "other-home"
    env = {"PGVSEARCH_HOME": str(home)}
    try:
        first = run_cli("status", "-c", "docs", env=env)
        assert first.returncode == 4
        assert str(home / "pgdata") in first.stderr and "created just now" in first.stderr, first.stderr
        again = run_cli("search", "x", "-c", "docs", env=env)
        assert again.returncode == 4 and "created just now" not in again.stderr
        assert str(home / "pgdata") in again.stderr and "no collections" in again.stderr, again.stderr
    finally:
        stop_server(home / "pgdata")
