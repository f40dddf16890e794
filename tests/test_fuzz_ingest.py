"""The ingest CLI on generated folders (a short run of benchmarks/fuzz.py's campaign).

Random names (Unicode, newlines, leading dashes, undecodable bytes), sizes, encodings and
formats, symlinks (loops, dangling), FIFOs; the folder changes between runs. Every run must
exit 0 or 3 (2 for an invocation built to be wrong) without a traceback, print its JSON report, and leave the collection consistent.
``PGVSEARCH_FUZZ_SEED`` picks another seed; the long campaign is in docs/reliability.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from conftest import ROOT
from consistency import check_consistency


def _fuzz_module() -> Any:
    spec = importlib.util.spec_from_file_location("pgvsearch_fuzz", ROOT / "benchmarks" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ingest_of_generated_folders_exits_as_documented_and_stays_consistent(conn: Any, collection: Any, tmp_path: Path) -> None:
    fuzz = _fuzz_module()
    work = tmp_path / "files"
    work.mkdir()
    summary = fuzz.campaign(
        env=dict(os.environ), collection=collection.name, work=work, check=lambda: check_consistency(conn, collection),
        runs=4, seconds=40, seed=int(os.environ.get("PGVSEARCH_FUZZ_SEED", "20")), max_entries=12,
    )
    assert summary["runs"] >= 1
    assert summary["failures"] == [], json.dumps(summary["failures"], ensure_ascii=False, indent=1)
    # 2 (usage error) only for the invocations built to be wrong: the campaign checks which.
    assert set(summary["exit_codes"]) <= {"0", "2", "3"}
