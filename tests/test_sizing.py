"""Sizing a machine: the embedded server's memory settings (chosen at its first start), what
`status` says about bytes and memory, and the pgvector versions it warns about."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import run_cli

GIB = 1024**3


@pytest.mark.parametrize(
    ("memory", "cores", "expected"),
    [
        (24 * GIB, 2, {"shared_buffers": "3072MB", "effective_cache_size": "12288MB", "maintenance_work_mem": "1536MB",
                       "max_parallel_maintenance_workers": "1", "work_mem": "48MB"}),
        (1 * GIB, 1, {"shared_buffers": "128MB", "effective_cache_size": "512MB", "maintenance_work_mem": "64MB",
                      "max_parallel_maintenance_workers": "0", "work_mem": "4MB"}),
        (256 * GIB, 64, {"shared_buffers": "8192MB", "effective_cache_size": "131072MB", "maintenance_work_mem": "2048MB",
                         "max_parallel_maintenance_workers": "4", "work_mem": "64MB"}),
    ],
)
def test_embedded_settings_follow_the_machine(memory: int, cores: int, expected: dict[str, str]) -> None:
    from pgvsearch.store.server_settings import chosen_settings

    assert chosen_settings(memory, cores) == expected


def test_the_embedded_server_started_with_them(conn: Any, pgvs_home: Any) -> None:
    """The test session's server is an embedded one pgvsearch created: its settings came from
    pgvsearch.conf, written before its first start, and nothing else set them."""
    import os

    from pgvsearch.store.server_settings import SETTINGS_FILE, chosen_settings, machine_memory

    written = (pgvs_home / "pgdata" / SETTINGS_FILE).read_text()
    expected = chosen_settings(machine_memory(), os.cpu_count() or 1)
    for name, value in expected.items():
        assert f"{name} = '{value}'" in written
        row = conn.execute(
            "SELECT setting, unit, sourcefile FROM pg_settings WHERE name = %s", (name,)
        ).fetchone()
        assert row[2] is not None and row[2].endswith(SETTINGS_FILE), (name, row)
    assert conn.execute("SELECT pg_size_bytes(current_setting('shared_buffers'))").fetchone()[0] == int(
        expected["shared_buffers"][:-2]
    ) * 1024 * 1024


@pytest.mark.parametrize(
    ("version", "says"),
    [
        ((0, 7, 4), "no iterative index scans"),
        ((0, 8, 0), "0.8.3 and 0.8.4"),
        ((0, 8, 3), "0.8.3 and 0.8.4"),
        ((0, 8, 4), None),
        ((0, 8, 5), None),
        ((0, 9, 0), None),
    ],
)
def test_pgvector_versions_warned_about(version: tuple[int, ...], says: str | None) -> None:
    from pgvsearch.store import pgvector_advice

    advice = pgvector_advice(version)
    if says is None:
        assert advice is None
    else:
        assert advice is not None and says in advice and "0.8.5" in advice


def test_memory_advice_names_the_setting() -> None:
    from pgvsearch.store import memory_advice

    assert memory_advice(100 * 1024 * 1024, 128 * 1024 * 1024, GIB, embedded=True) is None
    line = memory_advice(2 * GIB, 128 * 1024 * 1024, GIB, embedded=False)
    assert line is not None
    assert "ALTER SYSTEM SET shared_buffers = '2560MB'" in line and "restart PostgreSQL" in line
    assert "effective_cache_size" in line
    assert "pgvsearch server stop" in (memory_advice(2 * GIB, GIB, 4 * GIB, embedded=True) or "")


def test_status_shows_bytes_per_table_and_whether_the_index_fits(sample_collection: Any) -> None:
    result = run_cli("status", "-c", "sample", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    parts = ("documents_heap_bytes", "documents_indexes_bytes", "chunks_heap_bytes", "chunks_indexes_bytes",
             "postings_heap_bytes", "postings_indexes_bytes")
    assert all(data[p] > 0 for p in parts)
    assert data["total_bytes"] >= sum(data[p] for p in parts)
    assert data["bytes_per_chunk"] == round(data["total_bytes"] / data["chunks"])
    assert data["hnsw_index_bytes"] <= data["chunks_indexes_bytes"]
    assert data["hnsw_fits_shared_buffers"] is True and data["memory_advice"] is None
    assert data["pgvector"] and data["pgvector_advice"] is None  # 0.8.5 here
    assert "warning" not in result.stderr
    table = run_cli("status", "-c", "sample", "--format", "table")
    assert table.returncode == 0 and "bytes_per_chunk" in table.stdout and "hnsw_fits_shared_buffers" in table.stdout
