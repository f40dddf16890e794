"""Search: SQL -> candidates -> hits (semantic, keyword BM25, hybrid RRF/DBSF).

- ``options``: modes, fusions, SearchOptions
- ``compose``: the call of the collection's search function and its arguments; the statement
  that function runs (composed by the store from the ``sql/`` branch files)
- ``searcher``: Searcher (runs a search by calling the function; many queries)
- ``hits``: candidates -> hits, the one stage every result passes through (where a reranker goes)
- ``queries``: reading query files
- ``terms``: a query's searchable words (none: keyword search has nothing to rank by)
"""

from .compose import vector_literal
from .hits import Candidate, Hit, HitStage, Query, to_hits
from .options import FUSIONS, MODES, SearchOptions, require_text
from .queries import read_queries
from .searcher import Searcher, hybrid_search, keyword_search, semantic_search, timed
from .terms import no_terms_note, query_terms
from .documents import MAX_DOCUMENT_CHUNKS, StoredChunk, StoredDocument, read_document
