"""What an ingest run did (:class:`IngestReport`), and the JSON report file a cron job reads,
written after a failure too (what failed, and what was committed before it)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..sources import WalkAccount


@dataclass
class IngestReport:
    """What an ingest run did; ``to_dict()`` is the machine-readable form (``--report``)."""

    collection: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    db_seconds: float = 0.0
    index_seconds: float = 0.0
    interrupted: bool = False
    walk: WalkAccount = field(default_factory=WalkAccount)
    """The files the walk left out (type not read, not selected, hidden), accounted for."""
    error: str | None = None  # the one-line message when the run failed (exit code 1, 4, 5, ...)

    @classmethod
    def failed(cls, collection: str, exc: BaseException) -> IngestReport:
        """The report of a run that failed before it started (connecting, loading the model)."""
        return cls(collection=collection).fail(exc)

    def fail(self, exc: BaseException) -> IngestReport:
        """Record the error that stopped the run; the counts say what was committed before it."""
        from ..errors import describe_error

        self.error = describe_error(exc)[0]
        return self

    @property
    def chunks_per_second(self) -> float:
        return self.embedded_chunks / self.seconds if self.seconds > 0 else 0.0

    @property
    def partial(self) -> bool:
        return bool(self.skipped)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append({"path": path, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "skipped": len(self.skipped),
            "chunks": self.chunks,
            "embedded_chunks": self.embedded_chunks,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
            "db_seconds": round(self.db_seconds, 3),
            "index_seconds": round(self.index_seconds, 3),
            "chunks_per_second": round(self.chunks_per_second, 2),
            "interrupted": self.interrupted,
            "error": self.error,
            "skipped_inputs": self.skipped,
            "warnings": self.warnings,
            **self.walk.to_dict(),
        }


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr)


def write_report(path: Path, report: IngestReport, warn: Callable[[str], None] | None = None) -> None:
    """Write ``report`` as JSON to ``path``. A report that cannot be written does not fail the
    run: ``warn`` gets one line saying so (standard error by default)."""
    try:
        Path(path).write_text(json.dumps(report.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        (warn or _stderr_line)(f"pgvsearch: warning: cannot write the report {path}: {exc.strerror or exc}")
