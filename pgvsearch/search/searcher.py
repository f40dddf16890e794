"""SQL -> ranked hits: semantic (cosine, HNSW), keyword (BM25 over postings) and hybrid (RRF).

The unit of a result is a document, shown through its best chunk: for semantic search the
nearest chunk, for keyword search the chunk with most query terms. Queries are composed
from the branch files in ``sql/`` so each ranking is written once.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..store import ITERATIVE_SCAN_PGVECTOR, Collection, pgvector_version, sql_statement, sql_text
from ..errors import UsageError

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as psql

    from ..embedding import Embedder

MODES = ("semantic", "keyword", "hybrid")
FUSIONS = ("rrf", "dbsf")
"""How hybrid search fuses its branches: Reciprocal Rank Fusion (default) or distribution-based score fusion."""
MAX_EF_SEARCH = 1000
MAX_POOL_FACTOR = 10
"""The semantic branch draws at most this many nearest chunks per document it wants (see _chunk_pool)."""


def require_text(value: str, what: str) -> str:
    """``value`` if it is valid Unicode text. A command-line argument that is not valid UTF-8
    (typed in a Latin-1 terminal, say) reaches Python as lone surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} is not valid UTF-8 text; check the encoding of the terminal or script") from None
    return value


@dataclass(frozen=True)
class SearchOptions:
    k: int = 10
    candidates: int = 100
    """How many documents each branch contributes to fusion (and the semantic chunk pool)."""
    rrf_k: float = 60.0
    fusion: str = "rrf"
    semantic_weight: float = 1.0
    keyword_weight: float = 1.0
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    prefix: str | None = None
    """Only documents whose doc_id or source starts with this."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Only documents whose metadata has these key/value pairs (compared as text)."""

    def validate(self) -> "SearchOptions":
        if self.k < 1:
            raise UsageError("-k must be at least 1")
        if self.candidates < 1:
            raise UsageError("--candidates must be at least 1")
        if self.rrf_k < 0:
            raise UsageError("--rrf-k must not be negative")
        if self.fusion not in FUSIONS:
            raise UsageError(f"--fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        if self.semantic_weight < 0 or self.keyword_weight < 0:
            raise UsageError("branch weights must not be negative")
        if self.bm25_k1 < 0 or not 0 <= self.bm25_b <= 1:
            raise UsageError("BM25 needs k1 >= 0 and 0 <= b <= 1")
        if self.prefix is not None:
            require_text(self.prefix, "--prefix")
        for key, value in self.metadata.items():
            require_text(f"{key}={value}", "--meta")
        return self

    @property
    def filtered(self) -> bool:
        return self.prefix is not None or bool(self.metadata)


@dataclass(frozen=True)
class Hit:
    rank: int
    doc_id: str
    title: str
    source: str
    chunk: int
    text: str
    score: float
    semantic_rank: int | None
    keyword_rank: int | None
    similarity: float | None
    bm25: float | None
    metadata: dict[str, Any]
    query_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.query_id is None:
            data.pop("query_id")
        return data


@dataclass(frozen=True)
class Query:
    text: str
    query_id: str | None = None


def vector_literal(vec: Any) -> str:
    return "[" + ",".join(repr(float(x)) for x in vec) + "]"


class Searcher:
    """Runs searches against one collection. The embedder is loaded only when needed."""

    def __init__(
        self,
        conn: "psycopg.Connection[Any]",
        coll: Collection,
        embedder: "Embedder | Callable[[], Embedder] | None" = None,
    ) -> None:
        self.conn = conn
        self.coll = coll
        self._embedder = embedder
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
        return [vector_literal(v) for v in emb.embed(list(texts))]

    # -- composition -------------------------------------------------------------------
    def compose(self, mode: str, options: SearchOptions, *, exact: bool = False) -> "psql.Composed":
        from psycopg import sql as psql

        if mode not in MODES:
            raise UsageError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        chunk_filter, posting_filter, _ = self._filters(options)
        semantic = sql_statement(
            "semantic_exact" if exact else "semantic_ranking",
            schema=self.coll.schema, vector_type=psql.SQL(self.coll.storage), chunk_filter=chunk_filter,
        )
        keyword = sql_statement("keyword_ranking", schema=self.coll.schema, posting_filter=posting_filter)
        if mode == "semantic":
            ranked = sql_statement("semantic_only", semantic=semantic)
        elif mode == "keyword":
            ranked = sql_statement("keyword_only", keyword=keyword)
        else:
            ranked = sql_statement(f"fuse_{options.fusion}", semantic=semantic, keyword=keyword)
        return sql_statement("hits", ranked=ranked, schema=self.coll.schema)

    def _filters(self, options: SearchOptions) -> tuple["psql.Composable", "psql.Composable", "psql.Composable"]:
        """The chunk, posting and document filters for ``options`` (``true`` when nothing is filtered)."""
        from psycopg import sql as psql

        if not options.filtered:
            return psql.SQL("true"), psql.SQL("true"), psql.SQL("true")
        schema = psql.Identifier(self.coll.schema)
        doc_filter = psql.SQL("(\n" + sql_text("document_filter") + "\n)")
        return (
            psql.SQL("c.document_id = ANY(ARRAY(SELECT d.id FROM {}.documents AS d WHERE {}))").format(schema, doc_filter),
            psql.SQL("p.document_id IN (SELECT d.id FROM {}.documents AS d WHERE {})").format(schema, doc_filter),
            doc_filter,
        )

    def _count_documents(self, options: SearchOptions) -> int:
        """Documents that a search with ``options`` may return (counted now: ingests may run meanwhile)."""
        statement = sql_statement("count_documents", schema=self.coll.schema, doc_filter=self._filters(options)[2])
        row = self.conn.execute(statement, {"prefix": options.prefix, "meta": json.dumps(dict(options.metadata))}).fetchone()
        return int(row[0]) if row else 0

    def _params(self, query: str, embedding: str | None, options: SearchOptions, mode: str = "hybrid") -> dict[str, Any]:
        return {
            "query": query,
            "embedding": embedding,
            "text_config": self.coll.text_config,
            "word_separators": self.coll.word_separators,
            "separator_spaces": self.coll.separator_spaces,
            "k": options.k,
            "candidates": max(options.candidates, options.k),
            # Keyword search reads no chunks: no need to look up the collection's shape for it.
            "chunk_candidates": 0 if mode == "keyword" else self._chunk_pool(max(options.candidates, options.k)),
            "rrf_k": float(options.rrf_k),
            "semantic_weight": float(options.semantic_weight),
            "keyword_weight": float(options.keyword_weight),
            "k1": float(options.bm25_k1),
            "b": float(options.bm25_b),
            "prefix": options.prefix,
            "meta": json.dumps(dict(options.metadata)),
        }

    def _chunk_pool(self, documents: int) -> int:
        """How many nearest chunks the semantic branch reads to rank ``documents`` documents.

        Several chunks may belong to one document, so it draws twice the collection's average
        chunks per document for each document wanted (at least 2, at most MAX_POOL_FACTOR).
        A pool that still yields too few documents is searched exactly by run() for semantic search.
        """
        if self._chunks_per_document is None:
            row = self.conn.execute(sql_statement("chunk_counts", schema=self.coll.schema), {"schema_name": self.coll.schema}).fetchone()
            docs, chunks = (row[0] or 0, row[1]) if row else (0, None)
            if chunks is None:
                count = self.conn.execute(sql_statement("count_chunks", schema=self.coll.schema)).fetchone()
                chunks = count[0] if count else 0
            self._chunks_per_document = max(1.0, float(chunks) / docs) if docs else 1.0
        factor = min(MAX_POOL_FACTOR, max(2, math.ceil(2 * self._chunks_per_document)))
        return documents * factor

    def run(self, query: str, mode: str, options: SearchOptions, *, embedding: str | None = None, query_id: str | None = None) -> list[Hit]:
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
            rows = self.conn.execute(statement, params).fetchall()
        if mode == "semantic" and len(rows) < options.k and len(rows) < self._count_documents(options):
            # The nearest chunks were crowded by a few long documents: more documents exist than
            # were found. Rank every chunk the filter admits exactly, without the index, once,
            # rather than drawing ever wider approximate pools.
            with self.conn.transaction():
                rows = self.conn.execute(self.compose(mode, options, exact=True), params).fetchall()
        return [
            Hit(
                rank=int(r[0]), doc_id=r[1], title=r[2], source=r[3], metadata=r[4], chunk=int(r[5]), text=r[6],
                score=float(r[7]),
                semantic_rank=None if r[8] is None else int(r[8]),
                keyword_rank=None if r[9] is None else int(r[9]),
                similarity=None if r[10] is None else float(r[10]),
                bm25=None if r[11] is None else float(r[11]),
                query_id=query_id,
            )
            for r in rows
        ]

    def _tune_hnsw(self, candidates: int, filtered: bool) -> None:
        if self._pgvector is None:
            self._pgvector = pgvector_version(self.conn) or (0, 0, 0)
        ef = min(MAX_EF_SEARCH, max(40, candidates))
        self.conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
        if self._pgvector >= ITERATIVE_SCAN_PGVECTOR:
            # Iterative scans keep a filtered (or very deep) search returning enough rows.
            order = "relaxed_order" if (filtered or candidates > ef) else "off"
            self.conn.execute("SELECT set_config('hnsw.iterative_scan', %s, true)", (order,))

    def show_sql(self, mode: str, options: SearchOptions) -> str:
        return self.compose(mode, options).as_string(self.conn)

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


def semantic_search(conn: "psycopg.Connection[Any]", coll: Collection, embedder: "Embedder", query: str, options: SearchOptions | None = None) -> list[Hit]:
    return Searcher(conn, coll, embedder).run(query, "semantic", options or SearchOptions())


def keyword_search(conn: "psycopg.Connection[Any]", coll: Collection, query: str, options: SearchOptions | None = None) -> list[Hit]:
    return Searcher(conn, coll).run(query, "keyword", options or SearchOptions())


def hybrid_search(conn: "psycopg.Connection[Any]", coll: Collection, embedder: "Embedder", query: str, options: SearchOptions | None = None) -> list[Hit]:
    return Searcher(conn, coll, embedder).run(query, "hybrid", options or SearchOptions())


def read_queries(path: str) -> list[Query]:
    """BEIR queries.jsonl ({"_id", "text"}) or one query per line (ids are line numbers)."""
    from pathlib import Path

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines() if path != "-" else __import__("sys").stdin.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read queries from {path}: {exc}") from None
    queries: list[Query] = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
                text = str(record.get("text") or record.get("query") or "")
                qid = str(record.get("_id", record.get("id", number)))
            except (json.JSONDecodeError, AttributeError):
                raise UsageError(f"{path}:{number}: not a JSON object with \"_id\" and \"text\"") from None
        else:
            text, qid = line, str(number)
        if text.strip():
            queries.append(Query(text=text, query_id=qid))
    return queries


def timed(fn: Callable[[], list[Hit]]) -> tuple[list[Hit], float]:
    started = time.perf_counter()
    hits = fn()
    return hits, time.perf_counter() - started
