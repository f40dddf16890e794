"""Ingest: sources -> chunks -> vectors -> committed in the store, incrementally.

:mod:`.pipeline` runs the reader/embedder/writer threads; :mod:`.writer` loads a batch in one
transaction; :mod:`.index` drops and rebuilds the HNSW index around a bulk load; :mod:`.prune`
deletes what is gone; :mod:`.report` says what a run did and writes the JSON report; :mod:`.watch` keeps a collection in
sync with its folders (``ingest --watch``).
"""

from .batch import EmbeddedBatch, PreparedDocument, content_hash
from .pipeline import Ingestor, ingest_paths
from .report import IngestReport, write_report
from .watch import WatchPass, watch_paths
from .writer import write_batch

__all__ = [
    "EmbeddedBatch",
    "IngestReport",
    "Ingestor",
    "PreparedDocument",
    "WatchPass",
    "content_hash",
    "ingest_paths",
    "watch_paths",
    "write_batch",
    "write_report",
]
