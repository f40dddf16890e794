"""Search: SQL -> ranked hits (semantic, keyword BM25, hybrid RRF/DBSF)."""

from .searcher import (
    FUSIONS,
    MODES,
    Hit,
    Query,
    SearchOptions,
    Searcher,
    hybrid_search,
    keyword_search,
    read_queries,
    require_text,
    semantic_search,
    timed,
    vector_literal,
)
