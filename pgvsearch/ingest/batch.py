"""The units the ingest stages hand on: a document read and chunked (:class:`PreparedDocument`),
a batch of them with their vectors (:class:`EmbeddedBatch`), and the hash that says whether a
stored document is unchanged."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..chunking import Chunk
from ..sources import SourceDocument
from ..store import Collection

if TYPE_CHECKING:
    import numpy as np

VOLATILE_METADATA = frozenset({"mtime", "size", "line"})


@dataclass
class PreparedDocument:
    doc: SourceDocument
    chunks: list[Chunk]
    content_hash: str
    replaces: bool
    retired: list[str] = field(default_factory=list)  # other doc_ids of the same file, deleted with the write


@dataclass
class EmbeddedBatch:
    documents: list[PreparedDocument]
    vectors: list["np.ndarray"]  # one (n_chunks, dim) array per document


def content_hash(doc: SourceDocument, coll: Collection) -> str:
    stable_meta = {k: v for k, v in doc.metadata.items() if k not in VOLATILE_METADATA}
    h = hashlib.sha256()
    for part in (coll.chunking_fingerprint(), doc.title, doc.text, json.dumps(stable_meta, sort_keys=True, default=str)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
