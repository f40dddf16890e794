"""ingest --ray: the embedding stage on Ray actors (the optional ``pgvsearch[ray]`` extra).

The extra's absence is tested everywhere; the rest needs ray installed and starts a small
local Ray instance (2 CPUs, a small object store) — CI, without the extra, skips it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from conftest import ROOT, SAMPLE_DATA, make_collection, run_cli, unique_name
from consistency import check_consistency


def _vectors(conn: Any, coll: Any) -> dict[tuple[str, int], np.ndarray]:
    rows = conn.execute(
        f'SELECT d.doc_id, c.position, c.embedding::text FROM "{coll.schema}".chunks c '
        f'JOIN "{coll.schema}".documents d ON d.id = c.document_id'
    ).fetchall()
    return {(r[0], r[1]): np.array(json.loads(r[2]), dtype=np.float32) for r in rows}


def _assert_same_vectors(got: dict[tuple[str, int], np.ndarray], want: dict[tuple[str, int], np.ndarray]) -> None:
    assert got.keys() == want.keys()
    worst = max(float(np.max(np.abs(got[k] - want[k]))) for k in want)
    assert worst <= 1e-6, f"vectors differ by up to {worst}"


def _kill(ray: Any, actors: list[Any]) -> None:
    """Kill ``actors`` and wait until Ray reports them dead (ray.kill returns before)."""
    for actor in actors:
        ray.kill(actor, no_restart=True)
    for actor in actors:
        with pytest.raises(ray.exceptions.RayActorError):
            ray.get(actor.pid.remote(), timeout=60)


def test_ray_without_the_extra_exits_2_naming_it() -> None:
    """No cluster, no database: the missing extra is reported before anything else."""
    code = (
        "import sys; sys.modules['ray'] = None\n"  # `import ray` raises ImportError, as when it is not installed
        "from pgvsearch.cli import main\n"
        "sys.argv = ['pgvsearch', 'ingest', 'sample_data', '--ray', 'local']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "pgvsearch[ray]" in done.stderr


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=150 * 2**20, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_vectors(settings: Any, embedder: Any) -> dict[tuple[str, int], np.ndarray]:
    """sample_data ingested without Ray, in batches of 32 chunks (the reference)."""
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.store import connect

    with connect(settings) as conn:
        coll = make_collection(conn, embedder, unique_name("local"))
        ingest_paths(conn, coll, embedder, [str(SAMPLE_DATA)], batch_chunks=32)
        return _vectors(conn, coll)


def test_ingest_ray_local_gives_a_local_ingests_vectors(conn: Any, embedder: Any, local_vectors: Any) -> None:
    """The CLI starts its own Ray instance (2 workers); same batches, so the same vectors."""
    pytest.importorskip("ray")
    coll = make_collection(conn, embedder, unique_name("ray"))
    done = run_cli("ingest", str(SAMPLE_DATA), "--collection", coll.name, "--ray", "local", "--ray-workers", "2",
                   "--batch-chunks", "32", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["skipped"] == 0 and report["added"] == len({k[0] for k in local_vectors})
    _assert_same_vectors(_vectors(conn, coll), local_vectors)
    check_consistency(conn, coll)


def test_a_killed_worker_s_batch_is_embedded_again(ray_local: Any, conn: Any, embedder: Any, settings: Any, local_vectors: Any) -> None:
    """Both actors are killed before the fourth batch: it and the rest go to their replacements;
    nothing is lost or duplicated and the vectors are a local ingest's."""
    from pgvsearch.embedding import RayEmbedder
    from pgvsearch.ingest import ingest_paths

    class KilledMidway(RayEmbedder):
        calls = 0

        def embed(self, texts: Any, batch_size: int = 32) -> Any:
            type(self).calls += 1
            if type(self).calls == 4:
                _kill(ray_local, list(self.actors))
            return super().embed(texts, batch_size)

    pool = KilledMidway(embedder, cache_dir=settings.model_cache, workers=2)
    try:
        coll = make_collection(conn, embedder, unique_name("kill"))
        report = ingest_paths(conn, coll, pool, [str(SAMPLE_DATA)], batch_chunks=32)
    finally:
        for actor in pool.actors:
            ray_local.kill(actor, no_restart=True)
    assert pool.replaced >= 2
    assert not report.skipped and report.added == len({k[0] for k in local_vectors})
    _assert_same_vectors(_vectors(conn, coll), local_vectors)
    check_consistency(conn, coll)


def test_a_lost_cluster_ends_the_run_with_exit_7_and_the_next_run_completes(
    ray_local: Any, conn: Any, embedder: Any, settings: Any, local_vectors: Any, tmp_path: Path
) -> None:
    """Every actor dies and none can be started again (the cluster is gone) after two batches:
    the run raises ClusterError (exit 7), keeps what it committed, and a plain run finishes."""
    from pgvsearch.embedding import RayEmbedder
    from pgvsearch.errors import ClusterError, ExitCode
    from pgvsearch.ingest import ingest_paths

    class ClusterGone(RayEmbedder):
        calls = 0

        def embed(self, texts: Any, batch_size: int = 32) -> Any:
            type(self).calls += 1
            if type(self).calls == 3:
                _kill(ray_local, list(self.actors))
                self._start = self._refuse  # type: ignore[method-assign]
            return super().embed(texts, batch_size)

        def _refuse(self) -> Any:
            raise ConnectionError("the Ray GCS at 127.0.0.1:6379 is unreachable")

    pool = ClusterGone(embedder, cache_dir=settings.model_cache, workers=2)
    coll = make_collection(conn, embedder, unique_name("lost"))
    report_path = tmp_path / "report.json"
    with pytest.raises(ClusterError) as failed:
        ingest_paths(conn, coll, pool, [str(SAMPLE_DATA)], batch_chunks=32, report_path=report_path)
    assert failed.value.exit_code == ExitCode.CLUSTER == 7
    assert "Ray cluster" in str(failed.value)
    committed = json.loads(report_path.read_text())
    assert 0 < committed["added"] < len({k[0] for k in local_vectors})
    check_consistency(conn, coll)
    kept = _vectors(conn, coll)
    assert len({k[0] for k in kept}) == committed["added"]

    again = ingest_paths(conn, coll, embedder, [str(SAMPLE_DATA)], batch_chunks=32)
    assert again.added + committed["added"] == len({k[0] for k in local_vectors}) and again.updated == 0
    check_consistency(conn, coll)
    _assert_same_vectors(_vectors(conn, coll), local_vectors)
