"""Ingest: sources -> chunks -> vectors -> committed in the store, incrementally.

:mod:`.pipeline` runs the reader/embedder/writer threads; :mod:`.writer` loads a batch in one
transaction; :mod:`.index` drops and rebuilds the HNSW index around a bulk load; :mod:`.prune`
deletes what is gone; :mod:`.report` says what a run did and writes the JSON report; :mod:`.watch` keeps a collection in
sync with its folders (``ingest --watch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

# Each name is imported on first use: the report alone does not load the pipeline (and numpy).
_MODULES = {
    "batch": ("EmbeddedBatch", "PreparedDocument", "chunk_document", "content_hash", "embed_documents", "scrubbed"),
    "pipeline": ("Ingestor", "ingest_paths"),
    "report": ("IngestReport", "write_report"),
    "writer": ("write_batch", "write_refusing"),
    "watch": ("WatchPass", "watch_paths"),
}
__all__, __getattr__ = lazy_exports(__name__, _MODULES)

if TYPE_CHECKING:
    from .batch import EmbeddedBatch, PreparedDocument, chunk_document, content_hash, embed_documents, scrubbed
    from .pipeline import Ingestor, ingest_paths
    from .report import IngestReport, write_report
    from .watch import WatchPass, watch_paths
    from .writer import write_batch, write_refusing
