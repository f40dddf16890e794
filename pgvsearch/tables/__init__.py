"""Tables: rows of PostgreSQL tables and queries as documents, kept in sync.

:mod:`.definition` is what a source is (pure); :mod:`.catalog` finds it in the source database;
:mod:`.rows` turns rows into documents; :mod:`.registry` remembers each collection's sources;
:mod:`.sync` ingests a source through the ingest pipeline (whole, with --prune); :mod:`.track`
installs the triggers and the change queue; :mod:`.tracked` ingests only the queued changes.

This room sits one layer above ingest: a tracked batch claims its queued changes and writes
their documents in one transaction, with ingest's writer (the pipeline takes a whole table).
"""

from .definition import TableSource
from .registry import Remembered, list_sources
from .sync import define_source, ingest_table, prepare_source, prune_rows
from .track import TrackResult, drop_collection_and_tracking, pending_changes, track_table, untrack_table
from .tracked import run_tracked, same_database

__all__ = [
    "Remembered",
    "TableSource",
    "TrackResult",
    "define_source",
    "drop_collection_and_tracking",
    "ingest_table",
    "list_sources",
    "pending_changes",
    "prepare_source",
    "prune_rows",
    "run_tracked",
    "same_database",
    "track_table",
    "untrack_table",
]
