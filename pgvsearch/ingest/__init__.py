"""Ingest: sources -> chunks -> vectors -> committed in the store, incrementally."""

from .pipeline import (
    EmbeddedBatch,
    IngestReport,
    Ingestor,
    PreparedDocument,
    content_hash,
    ingest_paths,
    write_batch,
)
