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
from ..store import Collection, ensure_search_functions, forget_search_functions, sql_statement
from . import compose as composing
from .hits import Candidate, Hit, HitStage, Query, to_hits
from .options import SearchOptions, require_text

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as psql

    from ..embedding import Embedder


class Searcher:
    """Runs searches against one collection. The embedder is loaded only when needed.

    A search is a call of the collection's SQL function (``keyword_search``, ``semantic_search``
    or ``hybrid_search``, see docs/sql.md): the HNSW settings, the chunk pool and the exact retry
    of a crowded semantic search happen there, so an application calling the function gets what
    pgvsearch gets.

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
        """The statement the ``mode`` search function runs (for reading, EXPLAIN, benchmarks)."""
        return composing.compose(self.coll, mode, options, exact=exact)

    def show_sql(self, mode: str, options: SearchOptions) -> str:
        call = composing.call(self.coll, mode).as_string(self.conn)
        body = self.compose(mode, options).as_string(self.conn)
        return (
            f"{call};\n\n-- {self.coll.schema}.{mode}_search(...) runs this statement "
            f"(%(name)s: its arguments; docs/sql.md):\n{body}"
        )

    def _params(self, query: str, embedding: str | None, options: SearchOptions, mode: str = "hybrid") -> dict[str, Any]:
        """The bind parameters of :meth:`compose`'s statement, with the chunk pool the function reads."""
        pool = 0 if mode == "keyword" else self._chunk_pool(max(options.candidates, options.k))
        return composing.query_params(self.coll, query, embedding, options, pool)

    def _chunk_pool(self, documents: int) -> int:
        """How many nearest chunks the semantic branch reads to rank ``documents`` documents."""
        ensure_search_functions(self.conn, self.coll)
        row = self.conn.execute(sql_statement("call_chunk_pool", schema=self.coll.schema), {"documents": documents}).fetchone()
        assert row is not None
        return int(row[0])

    def _tune_hnsw(self, pool: int, filtered: bool, documents: int) -> int:
        """Apply the HNSW settings of a search reading ``pool`` chunks for ``documents`` documents
        until the end of the transaction (as the function does for its own duration); the
        ef_search set."""
        ensure_search_functions(self.conn, self.coll)
        statement = sql_statement("call_tune_hnsw", schema=self.coll.schema)
        row = self.conn.execute(statement, {"pool": pool, "filtered": filtered, "documents": documents}).fetchone()
        assert row is not None
        return int(row[0])

    # -- searching ------------------------------------------------------------------------
    def candidates(self, query: str, mode: str, options: SearchOptions, *, embedding: str | None = None) -> list[Candidate]:
        """The documents a ``mode`` search ranks, best first, each with the chunk to show."""
        options.validate()
        require_text(query, "the query")
        statement = composing.call(self.coll, mode)
        params = composing.call_params(query, embedding, options)
        if mode != "keyword" and embedding is None:
            params["embedding"] = self.embed_queries([query])[0]
        ensure_search_functions(self.conn, self.coll)
        try:
            return self._fetch(statement, params)
        except Exception as exc:
            if not (self.conn.autocommit and _missing_function(exc)):
                raise
        # The functions were dropped since this connection checked them: install them again, once.
        forget_search_functions(self.conn, self.coll)
        ensure_search_functions(self.conn, self.coll)
        return self._fetch(statement, params)

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
        """The ranked rows of a search function (``sql/hits.sql``'s columns), mapped by column name."""
        from psycopg.rows import class_row

        with self.conn.cursor(row_factory=class_row(Candidate)) as cur:
            return cur.execute(statement, params).fetchall()


def _missing_function(exc: Exception) -> bool:
    import psycopg

    return isinstance(exc, (psycopg.errors.UndefinedFunction, psycopg.errors.UndefinedObject))


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
