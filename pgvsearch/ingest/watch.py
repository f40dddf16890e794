"""Live sync: after an ingest, watch its paths and apply every change within about a second.

A burst of file events (an editor's save, a ``git checkout`` of 500 files) is gathered by
``watchfiles`` and applied as one incremental ingest of the paths, with the run's options:
the same doc_id rules, ``--include``/``--exclude``/``--text``/``--root``, and with ``--prune``
the same deletions (a renamed file is its old document deleted and its new one added).
Unchanged files cost a hash, not an embedding. Each pass takes the collection's ingest lock
waiting for it (a cron ingest of the same collection runs between two passes). Setting
``stop`` (SIGINT/SIGTERM in the CLI) ends the watch after the pass under way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..sources import SKIPPED_DIR_NAMES
from .pipeline import ingest_paths
from .report import IngestReport

if TYPE_CHECKING:
    import psycopg

    from ..embedding import Embedder
    from ..store import Collection

DEBOUNCE_MS = 500
"""At most this long between the first event of a burst and its pass (watchfiles' debounce)."""
QUIET_MS = 100
"""A burst ends when no event came for this long (watchfiles' step)."""


@dataclass(frozen=True)
class WatchPass:
    """One pass of the watch: the events that started it and what the ingest did."""

    events: int
    report: IngestReport


def _relevant(path: str) -> bool:
    """Events under hidden or tool folders (.git during a checkout) start no pass of their own."""
    return not any(part.startswith(".") or part in SKIPPED_DIR_NAMES for part in os.path.normpath(path).split(os.sep) if part)


def watch_paths(
    conn: "psycopg.Connection[Any]",
    coll: "Collection",
    embedder: "Embedder",
    paths: Sequence[str],
    *,
    stop: threading.Event,
    on_pass: Callable[[WatchPass], None] | None = None,
    **options: Any,
) -> list[str]:
    """Watch ``paths`` (files and folders; not ``-``) until ``stop`` is set, applying each burst of
    changes with :func:`ingest_paths` and ``options`` (include, exclude, prune, text, root,
    max_bytes, batch_chunks). Returns the paths that were gone when the watch ended (all of them
    when every watched path was deleted or became unreadable, which ends the watch)."""
    import watchfiles

    watched = [p for p in paths if p != "-"]
    options = {**options, "wait": True}
    for changes in watchfiles.watch(*watched, stop_event=stop, debounce=DEBOUNCE_MS, step=QUIET_MS,
                                    raise_interrupt=False, ignore_permission_denied=True):
        events = [path for _, path in changes if _relevant(path)]
        if events:
            started = time.perf_counter()
            report = ingest_paths(conn, coll, embedder, watched, **options)
            report.seconds = time.perf_counter() - started
            if on_pass is not None:
                on_pass(WatchPass(len(events), report))
        gone = [p for p in watched if not os.access(p, os.R_OK)]
        if len(gone) == len(watched):
            return gone
        if stop.is_set():
            break
    return [p for p in watched if not os.access(p, os.R_OK)]
