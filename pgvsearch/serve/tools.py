"""The MCP tools: typed, documented parameters in, structured results out.

Each tool is a method of :class:`Tools` whose signature is its input schema (pydantic reads
the ``Annotated`` descriptions and limits) and whose return type is its output schema
(``results``). The work is :class:`~pgvsearch.serve.service.SearchService`'s; a tool only
builds the search options and hands the service's dict back as its result model.

Imported only by ``pgvsearch mcp``: the MCP SDK and pydantic stay out of every other command.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Annotated, Any, Callable, Literal, Optional

from pydantic import Field

from .results import AskResult, CollectionsResult, DocumentResult, SearchResult, StatusResult
from .service import DOCUMENT_RADIUS, MAX_CANDIDATES, MAX_K, SearchService

Query = Annotated[str, Field(description="What to look for: a question or description (search, hybrid) or words (keyword).")]
K = Annotated[int, Field(ge=1, description=f"How many documents to return (1-{MAX_K}; a larger k is capped and the result's note says so).")]
Candidates = Annotated[int, Field(ge=1, description=f"Documents each ranking contributes before fusion (at most {MAX_CANDIDATES}).")]
Prefix = Annotated[Optional[str], Field(description="Only documents whose doc_id or source path starts with this, e.g. 'guides/'.")]
Meta = Annotated[Optional[dict[str, str]], Field(description="Only documents whose metadata has all these key/value pairs (compared as text).")]
CollectionName = Annotated[Optional[str], Field(description="Collection to read (see list_collections); default: the server's.")]
Fusion = Annotated[Literal["rrf", "dbsf"], Field(description="rrf: Reciprocal Rank Fusion; dbsf: each ranking's scores scaled by their mean ± 3 std. dev., then summed.")]
RrfK = Annotated[float, Field(ge=0, description="RRF constant: score = sum of weight / (rrf_k + rank).")]
Weight = Annotated[float, Field(ge=0, description="Weight of this ranking in the fusion.")]

INSTRUCTIONS = (
    "Search a pgvsearch document collection (PostgreSQL + pgvector). Use hybrid for most questions, "
    "search for meaning without shared words, keyword for exact names, codes and identifiers. Each hit "
    "names a document (doc_id) and its best chunk (chunk); call get_document with both to read around it. "
    "ask answers a question from the documents and cites them."
)


class Tools:
    """The tools of one server; their names are the method names."""

    NAMES = ("search", "keyword", "hybrid", "ask", "get_document", "status", "list_collections")

    def __init__(self, service: SearchService) -> None:
        self.service = service

    def parameters(self) -> dict[str, tuple[str, ...]]:
        """Each tool's argument names, in order (a call naming any other is refused)."""
        return {name: tuple(inspect.signature(getattr(self, name)).parameters) for name in self.NAMES}

    def _options(self, k: int, candidates: int, prefix: str | None, meta: dict[str, str] | None, **extra: Any) -> Any:
        from ..search import SearchOptions

        return SearchOptions(k=k, candidates=candidates, prefix=prefix, metadata=dict(meta or {}), **extra)

    def search(self, query: Query, k: K = 10, candidates: Candidates = 100, prefix: Prefix = None,
               meta: Meta = None, collection: CollectionName = None) -> SearchResult:
        """Semantic search: the documents nearest in meaning to the query (cosine distance over
        embeddings), each shown through its best chunk, with rank, score and similarity."""
        options = self._options(k, candidates, prefix, meta)
        return SearchResult.model_validate(self.service.search("semantic", query, options, collection))

    def keyword(self, query: Query, k: K = 10, candidates: Candidates = 100, prefix: Prefix = None,
                meta: Meta = None,
                bm25_k1: Annotated[float, Field(ge=0, description="BM25 term-frequency saturation.")] = 1.2,
                bm25_b: Annotated[float, Field(ge=0, le=1, description="BM25 length normalisation.")] = 0.75,
                collection: CollectionName = None) -> SearchResult:
        """Keyword search: BM25 over the documents' words (stemmed); best for exact names,
        error codes and identifiers. Each hit shows the chunk with most query words."""
        options = self._options(k, candidates, prefix, meta, bm25_k1=bm25_k1, bm25_b=bm25_b)
        return SearchResult.model_validate(self.service.search("keyword", query, options, collection))

    def hybrid(self, query: Query, k: K = 10, candidates: Candidates = 100, fusion: Fusion = "rrf",
               rrf_k: RrfK = 60.0, semantic_weight: Weight = 1.0, keyword_weight: Weight = 1.0,
               prefix: Prefix = None, meta: Meta = None, collection: CollectionName = None) -> SearchResult:
        """Hybrid search: the semantic and keyword rankings fused (RRF by default); the best
        default for questions. Each hit carries both branch ranks (semantic_rank, keyword_rank)."""
        options = self._options(k, candidates, prefix, meta, fusion=fusion, rrf_k=rrf_k,
                                semantic_weight=semantic_weight, keyword_weight=keyword_weight)
        return SearchResult.model_validate(self.service.search("hybrid", query, options, collection))

    async def ask(self, question: Annotated[str, Field(description="The question to answer from the collection's documents.")],
                  k: Annotated[int, Field(ge=1, description=f"Passages to retrieve with the hybrid ranking (at most {MAX_K}).")] = 5,
                  fusion: Fusion = "rrf", prefix: Prefix = None, meta: Meta = None,
                  context_tokens: Annotated[int, Field(ge=1, le=100_000, description="Token budget for the passages.")] = 3000,
                  collection: CollectionName = None) -> AskResult:
        """Answer a question from the documents, citing them as [1], [2] (sources listed). With
        a language model configured for the server the answer is generated; otherwise it is
        extractive: the passages' sentences that best match the question."""
        options = self._options(k, 100, prefix, meta, fusion=fusion)
        work = functools.partial(self.service.ask, question, options, collection, context_tokens)
        return AskResult.model_validate(await _in_thread(work))

    def get_document(self, doc_id: Annotated[str, Field(description="The document's doc_id, as a hit gives it.")],
                     chunk: Annotated[Optional[int], Field(ge=0, description="Read around this chunk position (a hit's chunk); omit for the whole document from its start.")] = None,
                     radius: Annotated[int, Field(ge=0, description="With chunk: how many chunks to read on each side of it.")] = DOCUMENT_RADIUS,
                     collection: CollectionName = None) -> DocumentResult:
        """Read a stored document: its whole text (up to 200 chunks per call), or the chunk
        at a position with its neighbours, to read around a search hit."""
        return DocumentResult.model_validate(self.service.get_document(doc_id, chunk, radius, collection))

    def status(self, collection: CollectionName = None) -> StatusResult:
        """The collection's model, documents, chunks, index sizes and last update, and how ask answers."""
        return StatusResult.model_validate(self.service.status(collection))

    def list_collections(self) -> CollectionsResult:
        """The collections this server can search, with their models, and the default one."""
        return CollectionsResult.model_validate(self.service.list_collections())


async def _in_thread(work: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """``work(abandoned=...)`` on a worker thread. If the call is cancelled (the client went
    away), the caller is released at once and ``abandoned()`` turns true, so a streamed
    answer stops at its next piece instead of holding the connection until it ends."""
    import anyio

    gone = threading.Event()
    try:
        return await anyio.to_thread.run_sync(functools.partial(work, abandoned=gone.is_set), abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        gone.set()
        raise
