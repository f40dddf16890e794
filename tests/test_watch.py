"""ingest --watch: creations, edits, renames, deletions and bursts applied within about a second,
with real file operations; SIGTERM ends it with exit 0; a watched folder that is deleted ends it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from conftest import ROOT


def _docs(conn: Any, collection: Any) -> dict[str, str]:
    rows = conn.execute(
        f'SELECT d.doc_id, string_agg(c.content, \' \' ORDER BY c.position) FROM "{collection.schema}".documents d '
        f'JOIN "{collection.schema}".chunks c ON c.document_id = d.id GROUP BY d.doc_id'
    ).fetchall()
    return dict(rows)


def _until(condition: Callable[[], bool], proc: subprocess.Popen[str], seconds: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        assert proc.poll() is None, f"the watch ended early ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}"
        time.sleep(0.1)
    raise AssertionError(f"{what} not seen within {seconds} s")


def _watch(folder: Path, collection: Any, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pgvsearch", "ingest", str(folder), "-c", collection.name, "--watch", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_watch_applies_creations_edits_renames_deletions_and_bursts(conn: Any, collection: Any, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Refunds\n\nRefunds take five business days.\n")
    proc = _watch(folder, collection, "--prune", "-q")
    try:
        _until(lambda: set(_docs(conn, collection)) == {"a.md"}, proc, 120, "the first ingest")
        time.sleep(0.5)  # the watch starts after the first ingest commits

        (folder / "b.md").write_text("# Shipping\n\nParcels leave the warehouse within two days.\n")
        latency = _until(lambda: "b.md" in _docs(conn, collection), proc, 15, "a created file")
        assert latency < 5, latency

        (folder / "a.md").write_text("# Refunds\n\nRefunds now take three business days.\n")
        _until(lambda: "three business days" in _docs(conn, collection).get("a.md", ""), proc, 15, "an edit")

        (folder / "b.md").rename(folder / "shipping.md")
        _until(lambda: set(_docs(conn, collection)) == {"a.md", "shipping.md"}, proc, 15, "a rename")

        for i in range(40):  # a burst, as a checkout writes files
            (folder / f"burst-{i:02d}.md").write_text(f"# Note {i}\n\nBurst note number {i} about topic{i}.\n")
        _until(lambda: sum(d.startswith("burst-") for d in _docs(conn, collection)) == 40, proc, 30, "a burst of 40 files")

        (folder / "shipping.md").unlink()
        _until(lambda: "shipping.md" not in _docs(conn, collection), proc, 15, "a deletion")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert len(_docs(conn, collection)) == 41  # a.md and the 40 burst notes, nothing twice


def test_a_watched_folder_that_is_deleted_ends_the_watch_with_one_line(conn: Any, collection: Any, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "gone"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nSome text.\n")
    proc = _watch(folder, collection, "-q")
    try:
        _until(lambda: "a.md" in _docs(conn, collection), proc, 120, "the first ingest")
        time.sleep(0.5)
        shutil.rmtree(folder)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 3, err
    assert err.strip().splitlines()[-1] == f"pgvsearch: the watched path is gone ({folder}); stopping"
    assert "a.md" in _docs(conn, collection)  # nothing is pruned without --prune


def test_watch_refuses_stdin(collection: Any) -> None:
    from conftest import run_cli

    result = run_cli("ingest", "-", "-c", collection.name, "--watch", input="text")
    assert result.returncode == 2 and "standard input" in result.stderr
    assert os.environ.get("PGVSEARCH_HOME")  # the session's home, not the user's
