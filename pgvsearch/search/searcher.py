"""Running searches: semantic (cosine, HNSW), keyword (BM25 over postings) and hybrid (RRF or DBSF).

The unit of a result is a document, shown through its best chunk: for semantic search the
nearest chunk, for keyword search the chunk with most query terms. A search first finds its
candidates (the rows its SQL ranks, see ``compose``), then hands them to one hit stage
(``hits``), where a reranker would go.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import UsageError
from ..store import ITERATIVE_SCAN_PGVECTOR, Collection, pgvector_version
from . import compose as composing
from .hits import Candidate, Hit, HitStage, Query, to_hits
from .options import SearchOptions, require_text

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as psql

    from ..embedding import Embedder

MAX_EF_SEARCH = 1000


class Searcher:
    """Runs searches against one collection. The embedder is loaded only when needed.

    ``stage`` turns a search's candidates into hits (:func:`~pgvsearch.search.hits.to_hits`
    unless given): the one place a reranker plugs in (see :mod:`pgvsearch.search.hits`).
    """

    def __init__(
        self,
        conn: "psycopg.Connection[Any]",
        coll: Collection,
        embedder: "Embedder | Callable[[], Embedder] | None" = None,
        *,
        stage: HitStage = to_hits,
    ) -> None:
        self.conn = conn
        self.coll = coll
        self._embedder = embedder
        self.stage = stage
        self._pgvector: tuple[int, ...] | None = None
        self._chunks_per_document: float | None = None
        self.last_sql: str | None = None

    @property
    def embedder(self) -> "Embedder":
        if self._embedder is None:
            raise UsageError("semantic search needs an embedding model")
        if callable(self._embedder) and not hasattr(self._embedder, "embed"):
            self._embedder = self._embedder()
        return self._embedder  # type: ignore[return-value]

    def embed_queries(self, texts: Sequence[str]) -> list[str]:
        emb = self.embedder
        self.coll.check_embedder(emb)
        return [composing.vector_literal(v) for v in emb.embed(list(texts))]

    # -- composition (sql/ branch files; see compose.py) ----------------------------------
    def compose(self, mode: str, options: SearchOptions, *, exact: bool = False) -> "psql.Composed":
        return composing.compose(self.coll, mode, options, exact=exact)

    def show_sql(self, mode: str, options: SearchOptions) -> str:
        return self.compose(mode, options).as_string(self.conn)

    def _params(self, query: str, embedding: str | None, options: SearchOptions, mode: str = "hybrid") -> dict[str, Any]:
        # Keyword search reads no chunks: no need to look up the collection's shape for it.
        pool = 0 if mode == "keyword" else self._chunk_pool(max(options.candidates, options.k))
        return composing.query_params(self.coll, query, embedding, options, pool)

    def _chunk_pool(self, documents: int) -> int:
        """How many nearest chunks the semantic branch reads to rank ``documents`` documents
        (the collection's shape is read once per Searcher)."""
        if self._chunks_per_document is None:
            self._chunks_per_document = composing.chunks_per_document(self.conn, self.coll)
        return composing.chunk_pool(documents, self._chunks_per_document)

    # -- searching ------------------------------------------------------------------------
    def candidates(self, query: str, mode: str, options: SearchOptions, *, embedding: str | None = None) -> list[Candidate]:
        """The documents a ``mode`` search ranks, best first, each with the chunk to show."""
        options.validate()
        require_text(query, "the query")
        statement = self.compose(mode, options)
        params = self._params(query, embedding, options, mode)
        if mode != "keyword":
            if embedding is None:
                params["embedding"] = self.embed_queries([query])[0]
        with self.conn.transaction():
            if mode != "keyword":
                self._tune_hnsw(params["chunk_candidates"], options.filtered)
            rows = self._fetch(statement, params)
        if mode == "semantic" and len(rows) < options.k and len(rows) < composing.count_documents(self.conn, self.coll, options):
            # The nearest chunks were crowded by a few long documents: more documents exist than
            # were found. Rank every chunk the filter admits exactly, without the index, once,
            # rather than drawing ever wider approximate pools.
            with self.conn.transaction():
                rows = self._fetch(self.compose(mode, options, exact=True), params)
        return rows

    def run(self, query: str, mode: str, options: SearchOptions, *, embedding: str | None = None, query_id: str | None = None) -> list[Hit]:
        """Search, and pass the candidates through the hit stage."""
        return self.stage(query, self.candidates(query, mode, options, embedding=embedding), query_id)

    def search_many(self, queries: Sequence[Query], mode: str, options: SearchOptions) -> list[Hit]:
        embeddings: list[str | None] = [None] * len(queries)
        for q in queries:
            require_text(q.text, f"query {q.query_id!r}")
        if mode != "keyword" and queries:
            embeddings = list(self.embed_queries([q.text for q in queries]))
        hits: list[Hit] = []
        for q, emb in zip(queries, embeddings):
            hits.extend(self.run(q.text, mode, options, embedding=emb, query_id=q.query_id))
        return hits

    def _fetch(self, statement: "psql.Composed", params: dict[str, Any]) -> list[Candidate]:
        """The ranked rows of ``sql/hits.sql``, mapped by column name."""
        from psycopg.rows import class_row

        with self.conn.cursor(row_factory=class_row(Candidate)) as cur:
            return cur.execute(statement, params).fetchall()

    def _tune_hnsw(self, candidates: int, filtered: bool) -> None:
        if self._pgvector is None:
            self._pgvector = pgvector_version(self.conn) or (0, 0, 0)
        ef = min(MAX_EF_SEARCH, max(40, candidates))
        self.conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
        if self._pgvector >= ITERATIVE_SCAN_PGVECTOR:
            # Iterative scans keep a filtered (or very deep) search returning enough rows.
            order = "relaxed_order" if (filtered or candidates > ef) else "off"
            self.conn.execute("SELECT set_config('hnsw.iterative_scan', %s, true)", (order,))


def semantic_search(conn: "psycopg.Connection[Any]", coll: Collection, embedder: "Embedder", query: str, options: SearchOptions | None = None) -> list[Hit]:
    return Searcher(conn, coll, embedder).run(query, "semantic", options or SearchOptions())


def keyword_search(conn: "psycopg.Connection[Any]", coll: Collection, query: str, options: SearchOptions | None = None) -> list[Hit]:
    return Searcher(conn, coll).run(query, "keyword", options or SearchOptions())


def hybrid_search(conn: "psycopg.Connection[Any]", coll: Collection, embedder: "Embedder", query: str, options: SearchOptions | None = None) -> list[Hit]:
    return Searcher(conn, coll, embedder).run(query, "hybrid", options or SearchOptions())


def timed(fn: Callable[[], list[Hit]]) -> tuple[list[Hit], float]:
    started = time.perf_counter()
    hits = fn()
    return hits, time.perf_counter() - started
