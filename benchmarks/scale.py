#!/usr/bin/env python
"""Search latency and HNSW recall at scale, on synthetic data.

    .venv/bin/python benchmarks/scale.py [--chunks 5000,100000] [--queries 200] [--home DIR]

For each size N the script creates a fresh collection in a private embedded server, loads N
one-chunk synthetic documents through ``pgvsearch.ingest.write_batch`` (HNSW index dropped
during the load and rebuilt afterwards, then VACUUM ANALYZE), and measures:

* p50/p95 latency of ``Searcher.run`` for keyword (BM25), semantic and hybrid (RRF) search
  with default options (k=10, candidates=100), unfiltered and with a metadata filter that
  keeps ~10% of the documents. Query vectors are synthetic, so no model runs: the time is
  composing the SQL, executing it over the local socket and building the hits.
* HNSW recall@10 against exact search, at the ef_search that search.py sets and at 40/100/200.

The synthetic data:

* Text: a Zipf-Mandelbrot vocabulary (p(r) ~ 1/(r + 2.7)) whose most frequent ranks are
  PostgreSQL's English stop words (as in real text, about 40% of tokens are function words
  and are dropped by to_tsvector), followed by 30,000 pronounceable pseudo-words (shorter
  words get the more frequent ranks), or the words of --words / /usr/share/dict/words when
  available. Chunks are 120-200 words. Queries are 3-12 words drawn from the same
  distribution, so they mix stop words, common and rare terms like natural questions.
* Vectors: 500 random unit centroids; each cluster has its own random 16-dimensional
  subspace, and a document is centroid + Gaussian noise in that subspace + a little
  isotropic noise, normalised. This keeps neighbourhoods low-dimensional, as real sentence
  embeddings are; uniform random 384-d vectors make every point almost equidistant and
  recall meaningless. A query vector is a random document's vector plus isotropic noise.

Results go to stdout as tables and to benchmarks/results/scale.json; progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgvsearch.chunking import Chunk  # noqa: E402
from pgvsearch.store import Collection  # noqa: E402
from pgvsearch.ingest import EmbeddedBatch, PreparedDocument, write_batch  # noqa: E402
from pgvsearch.sources import SourceDocument  # noqa: E402
from pgvsearch.store import build_vector_index, collection_status, drop_collection, drop_vector_index, init_collection  # noqa: E402
from pgvsearch.search import Searcher, SearchOptions, vector_literal  # noqa: E402
from pgvsearch.store import start_server, stop_server  # noqa: E402

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

DIMENSION = 384
MODEL = "synthetic"
MAX_SEQ_LENGTH = 256
CENTROIDS = 500
SUBSPACE_RANK = 16
LOCAL_SCALE = 0.225  # per subspace coordinate: local noise norm ~0.9
ISOTROPIC_NORM = 0.35  # isotropic document noise, as a vector norm
QUERY_NOISE_NORM = 0.5  # isotropic query noise, as a vector norm
PSEUDO_WORDS = 30_000
ZIPF_SHIFT = 2.7  # Mandelbrot's fit for English
CHUNK_WORDS = (120, 200)
QUERY_WORDS = (3, 12)
GROUPS = 10
BATCH_DOCUMENTS = 1000
WARMUP_QUERIES = 30
EF_SEARCH_VALUES = (40, 100, 200)
HYBRID_P50_TARGET_MS = 50.0
RECALL_TARGET = 0.95
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- machine and server ----------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 1
    return {
        "nproc": nproc,
        "ram_gib": ram_gib,
        "cpu_model": cpu_model or platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def server_info(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    info: dict[str, Any] = {}
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    info["pgvector"] = row[0] if row else None
    for name in ("server_version", "shared_buffers", "work_mem", "effective_cache_size",
                 "max_parallel_workers_per_gather", "jit", "random_page_cost"):
        info[name] = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]  # type: ignore[index]
    return info


# --- synthetic corpus ------------------------------------------------------------------


def stop_words(conn: psycopg.Connection[Any]) -> list[str]:
    """The server's English stop words, in file order (roughly by frequency)."""
    row = conn.execute("SELECT setting FROM pg_config WHERE name = 'SHAREDIR'").fetchone()
    if row:
        path = Path(row[0]) / "tsearch_data" / "english.stop"
        try:
            return [w.strip() for w in path.read_text().splitlines() if w.strip()]
        except OSError:
            pass
    return "the of and to a in is that for it as was with be by on not he this are or his from at".split()


def pseudo_words(rng: np.random.Generator, count: int, avoid: set[str]) -> list[str]:
    """Pronounceable made-up words, shortest first (frequent words are short in real text)."""
    onsets = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pl pr st tr ch sh th".split()
    vowels = "a e i o u ai ea ou oo".split()
    codas = ["", "", "", "n", "r", "l", "m", "t", "nd", "st"]
    words: set[str] = set()
    while len(words) < count:
        syllables = int(rng.choice([1, 2, 2, 3, 3, 3]))
        word = "".join(
            onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))] + codas[rng.integers(len(codas))]
            for _ in range(syllables)
        )
        if len(word) >= 3 and word not in avoid:
            words.add(word)
    return sorted(words, key=lambda w: (len(w), w))


def dictionary_words(path: Path, count: int, avoid: set[str], rng: np.random.Generator) -> list[str] | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="ignore").splitlines()
    except OSError:
        return None
    words = sorted({w.strip().lower() for w in lines if w.strip().isalpha() and w.strip().islower()} - avoid)
    if len(words) < count:
        return None
    chosen = [words[i] for i in rng.choice(len(words), size=count, replace=False)]
    return sorted(chosen, key=lambda w: (len(w), w))


@dataclass
class Vocabulary:
    words: np.ndarray  # object array, most frequent first
    cdf: np.ndarray
    source: str
    stop_words: int

    @classmethod
    def build(cls, stops: list[str], rng: np.random.Generator, word_file: Path | None) -> "Vocabulary":
        avoid = set(stops)
        content, source = None, f"{PSEUDO_WORDS} pseudo-words"
        for candidate in ([word_file] if word_file else []) + [Path("/usr/share/dict/words")]:
            content = dictionary_words(candidate, PSEUDO_WORDS, avoid, rng)
            if content is not None:
                source = f"{PSEUDO_WORDS} words from {candidate}"
                break
        if content is None:
            content = pseudo_words(rng, PSEUDO_WORDS, avoid)
        words = np.array(stops + content, dtype=object)
        weights = 1.0 / (np.arange(1, len(words) + 1) + ZIPF_SHIFT)
        cdf = np.cumsum(weights / weights.sum())
        cdf[-1] = 1.0
        return cls(words=words, cdf=cdf, source=f"{source} after {len(stops)} stop words, Zipf-Mandelbrot", stop_words=len(stops))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.words[np.searchsorted(self.cdf, rng.random(n), side="right")]

    def text(self, rng: np.random.Generator, low: int, high: int) -> str:
        return " ".join(self.draw(rng, int(rng.integers(low, high + 1))))


@dataclass
class VectorSpace:
    centroids: np.ndarray
    bases: np.ndarray  # (centroids, rank, dim)

    @classmethod
    def build(cls, rng: np.random.Generator) -> "VectorSpace":
        centroids = rng.standard_normal((CENTROIDS, DIMENSION)).astype(np.float32)
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        bases = (rng.standard_normal((CENTROIDS, SUBSPACE_RANK, DIMENSION)) / np.sqrt(DIMENSION)).astype(np.float32)
        return cls(centroids, bases)

    def documents(self, rng: np.random.Generator, n: int) -> np.ndarray:
        cluster = rng.integers(CENTROIDS, size=n)
        local = np.einsum("nr,nrd->nd", rng.standard_normal((n, SUBSPACE_RANK)).astype(np.float32), self.bases[cluster])
        iso = rng.standard_normal((n, DIMENSION)).astype(np.float32) * (ISOTROPIC_NORM / np.sqrt(DIMENSION))
        vecs = self.centroids[cluster] + LOCAL_SCALE * local + iso
        return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def unit_noisy_copies(rng: np.random.Generator, vectors: np.ndarray) -> np.ndarray:
    noisy = vectors + rng.standard_normal(vectors.shape).astype(np.float32) * (QUERY_NOISE_NORM / np.sqrt(DIMENSION))
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


@dataclass
class SyntheticQuery:
    text: str
    embedding: str  # pgvector literal
    vector: np.ndarray
    group: str


def make_queries(rng: np.random.Generator, vocab: Vocabulary, doc_vectors: np.ndarray, count: int) -> list[SyntheticQuery]:
    sources = rng.integers(len(doc_vectors), size=count)
    vectors = unit_noisy_copies(rng, doc_vectors[sources])
    return [
        SyntheticQuery(vocab.text(rng, *QUERY_WORDS), vector_literal(vec), vec, f"g{i % GROUPS}")
        for i, vec in enumerate(vectors)
    ]


# --- loading ---------------------------------------------------------------------------


def qualified(coll: Collection, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(coll.schema), sql.Identifier(name))


def batches(rng: np.random.Generator, vocab: Vocabulary, space: VectorSpace, n: int) -> Iterator[tuple[EmbeddedBatch, np.ndarray]]:
    for start in range(0, n, BATCH_DOCUMENTS):
        size = min(BATCH_DOCUMENTS, n - start)
        vectors = space.documents(rng, size)
        docs = []
        for i in range(start, start + size):
            text = vocab.text(rng, *CHUNK_WORDS)
            doc = SourceDocument(
                doc_id=f"doc{i:07d}", source=f"synthetic/doc{i:07d}", title="", text=text, format="txt",
                metadata={"group": f"g{int(rng.integers(GROUPS))}"},
            )
            docs.append(PreparedDocument(doc, [Chunk(position=0, content=text, context="")], f"synthetic-{i}", replaces=False))
        yield EmbeddedBatch(docs, [vectors[j : j + 1] for j in range(size)]), vectors


def load(conn: psycopg.Connection[Any], coll: Collection, rng: np.random.Generator, vocab: Vocabulary,
         space: VectorSpace, n: int) -> tuple[dict[str, Any], np.ndarray]:
    """Load n documents as `pgvsearch ingest` loads an empty collection: HNSW index dropped,
    built once after the load (pgvsearch.store.vector_index.build_vector_index); then VACUUM ANALYZE."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    index = qualified(coll, "chunks_embedding_idx")
    drop_vector_index(conn, coll)

    all_vectors = np.empty((n, DIMENSION), dtype=np.float32)
    started = time.perf_counter()
    generate_seconds = 0.0
    done = 0
    generator = batches(rng, vocab, space, n)
    while True:
        t0 = time.perf_counter()
        item = next(generator, None)
        generate_seconds += time.perf_counter() - t0
        if item is None:
            break
        batch, vectors = item
        write_batch(conn, coll, batch)
        all_vectors[done : done + len(vectors)] = vectors
        done += len(vectors)
        if done % 10_000 == 0 or done == n:
            log(f"  loaded {done:,}/{n:,} documents ({time.perf_counter() - started:.0f} s)")
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    build_vector_index(conn, coll)
    index_seconds = time.perf_counter() - started
    row = conn.execute("SELECT pg_get_indexdef(to_regclass(%s))", (index.as_string(conn),)).fetchone()
    assert row and row[0], "chunks_embedding_idx was not built"
    index_definition = row[0]
    log(f"  HNSW index built in {index_seconds:.1f} s")

    started = time.perf_counter()
    for table in ("documents", "chunks", "postings", "stats"):
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(qualified(coll, table)))
    vacuum_seconds = time.perf_counter() - started

    return {
        "load_seconds": round(load_seconds, 2),
        "generate_seconds": round(generate_seconds, 2),
        "documents_per_second": round(n / load_seconds, 1),
        "index_build_seconds": round(index_seconds, 2),
        "index_definition": index_definition,
        "index_build_settings": "pgvsearch.store.vector_index.build_vector_index: maintenance_work_mem sized to the chunks (<= 2 GiB), "
                                "the server's max_parallel_maintenance_workers",
        "vacuum_analyze_seconds": round(vacuum_seconds, 2),
    }, all_vectors


def sizes(conn: psycopg.Connection[Any], coll: Collection) -> dict[str, Any]:
    status = collection_status(conn, coll)

    def relation_bytes(name: str) -> int:
        row = conn.execute("SELECT pg_relation_size(to_regclass(%s))", (qualified(coll, name).as_string(conn),)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    terms = conn.execute(sql.SQL("SELECT count(DISTINCT term) FROM {}").format(qualified(coll, "postings"))).fetchone()
    return {
        "documents": status["documents"],
        "chunks": status["chunks"],
        "postings": status["postings"],
        "distinct_terms": terms[0] if terms else None,
        "mb": {
            "documents_total": mb(status["documents_bytes"]),
            "chunks_total": mb(status["chunks_bytes"]),
            "chunks_heap": mb(relation_bytes("chunks")),
            "hnsw_index": mb(status["hnsw_index_bytes"]),
            "gin_index": mb(status["gin_index_bytes"]),
            "postings_total": mb(status["postings_bytes"]),
            "postings_heap": mb(relation_bytes("postings")),
            "postings_pkey": mb(relation_bytes("postings_pkey")),
        },
    }


def mb(value: int | None) -> float | None:
    return None if value is None else round(value / 1024 / 1024, 1)


# --- measuring -------------------------------------------------------------------------


def summarize(seconds: Sequence[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "max_ms": round(float(ms.max()), 2),
    }


@dataclass
class Scenario:
    name: str
    mode: str
    filtered: bool = False
    latencies: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    doc_ids: list[list[str]] = field(default_factory=list)
    server_cpu_seconds: float | None = None
    client_cpu_seconds: float = 0.0
    load_average: tuple[float, float] = (0.0, 0.0)


def backend_cpu_seconds(conn: psycopg.Connection[Any]) -> float | None:
    """CPU time (user + system) of the server process behind ``conn``, from /proc.

    Unlike wall time it hardly changes when other processes compete for the CPUs; parallel
    workers are not included.
    """
    try:
        fields = Path(f"/proc/{conn.info.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def options_for(query: SyntheticQuery, filtered: bool) -> SearchOptions:
    return SearchOptions(metadata={"group": query.group}) if filtered else SearchOptions()


def measure_latency(searcher: Searcher, scenarios: Sequence[Scenario], queries: Sequence[SyntheticQuery],
                    warmup: Sequence[SyntheticQuery]) -> None:
    for scenario in scenarios:
        log(f"  {scenario.name}: warm-up {len(warmup)}, measure {len(queries)}")
        for q in warmup:
            searcher.run(q.text, scenario.mode, options_for(q, scenario.filtered), embedding=q.embedding)
        load_before = os.getloadavg()[0]
        server_before, client_before = backend_cpu_seconds(searcher.conn), time.process_time()
        for q in queries:
            options = options_for(q, scenario.filtered)
            embedding = None if scenario.mode == "keyword" else q.embedding
            started = time.perf_counter()
            hits = searcher.run(q.text, scenario.mode, options, embedding=embedding)
            scenario.latencies.append(time.perf_counter() - started)
            scenario.rows.append(len(hits))
            scenario.doc_ids.append([h.doc_id for h in hits])
        scenario.client_cpu_seconds = time.process_time() - client_before
        server_after = backend_cpu_seconds(searcher.conn)
        if server_before is not None and server_after is not None:
            scenario.server_cpu_seconds = server_after - server_before
        scenario.load_average = (load_before, os.getloadavg()[0])


def keyword_work(conn: psycopg.Connection[Any], coll: Collection, queries: Sequence[SyntheticQuery]) -> dict[str, Any]:
    """How many lexemes and postings each keyword query touches (what BM25 in SQL must read)."""
    statement = sql.SQL(
        "SELECT count(DISTINCT q.lexeme), count(p.term) "
        "FROM unnest(to_tsvector(%(cfg)s::regconfig, translate(%(query)s, %(seps)s, %(spaces)s))) AS q "
        "LEFT JOIN {} AS p ON p.term = q.lexeme"
    ).format(qualified(coll, "postings"))
    lexemes, postings = [], []
    for q in queries:
        params = {"cfg": coll.text_config, "query": q.text, "seps": coll.word_separators, "spaces": coll.separator_spaces}
        row = conn.execute(statement, params).fetchone()
        assert row is not None
        lexemes.append(int(row[0]))
        postings.append(int(row[1]))
    return {
        "lexemes_mean": round(statistics.fmean(lexemes), 2),
        "postings_p50": int(np.percentile(postings, 50)),
        "postings_p95": int(np.percentile(postings, 95)),
        "postings_max": max(postings),
        "per_query_postings": postings,
    }


def search_ef(conn: psycopg.Connection[Any], searcher: Searcher, options: SearchOptions) -> int:
    """The hnsw.ef_search Searcher.run sets for these options (read back from the server)."""
    params = searcher._params("", None, options)
    with conn.transaction():
        searcher._tune_hnsw(params["chunk_candidates"], options.filtered)
        row = conn.execute("SHOW hnsw.ef_search").fetchone()
    assert row is not None
    return int(row[0])


def searcher_plan(conn: psycopg.Connection[Any], searcher: Searcher, mode: str, query: SyntheticQuery, filtered: bool) -> str:
    """EXPLAIN of the statement Searcher.run executes, under the settings it makes."""
    options = options_for(query, filtered)
    params = searcher._params(query.text, query.embedding, options)
    with conn.transaction():
        searcher._tune_hnsw(params["chunk_candidates"], options.filtered)
        rows = conn.execute(sql.SQL("EXPLAIN ") + searcher.compose(mode, options), params).fetchall()
    return short_plan("\n".join(r[0] for r in rows))


def nearest_statement(coll: Collection, filtered: bool) -> sql.Composed:
    where = sql.SQL("WHERE c.document_id IN (SELECT d.id FROM {} AS d WHERE d.metadata ->> 'group' = %(group)s)").format(
        qualified(coll, "documents")) if filtered else sql.SQL("")
    return sql.SQL(
        "SELECT d.doc_id FROM (SELECT c.document_id, c.embedding <=> %(embedding)s::vector AS distance, c.id "
        "FROM {chunks} AS c {where} ORDER BY c.embedding <=> %(embedding)s::vector LIMIT %(k)s) AS nn "
        "JOIN {documents} AS d ON d.id = nn.document_id ORDER BY nn.distance, nn.id"
    ).format(chunks=qualified(coll, "chunks"), documents=qualified(coll, "documents"), where=where)


def run_nearest(conn: psycopg.Connection[Any], statement: sql.Composed, params: dict[str, Any],
                settings: dict[str, str], explain: bool = False) -> tuple[list[str], float, str]:
    with conn.transaction():
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        plan = ""
        if explain:
            rows = conn.execute(sql.SQL("EXPLAIN ") + statement, params).fetchall()
            plan = "\n".join(r[0] for r in rows)
        started = time.perf_counter()
        ids = [r[0] for r in conn.execute(statement, params).fetchall()]
        return ids, time.perf_counter() - started, plan


EXACT_SETTINGS = {"enable_indexscan": "off", "enable_bitmapscan": "off"}


def exact_neighbours(conn: psycopg.Connection[Any], coll: Collection, queries: Sequence[SyntheticQuery],
                     filtered: bool, k: int) -> tuple[list[list[str]], str]:
    statement = nearest_statement(coll, filtered)
    results, plan = [], ""
    for i, q in enumerate(queries):
        ids, _, text = run_nearest(conn, statement, {"embedding": q.embedding, "k": k, "group": q.group},
                                   EXACT_SETTINGS, explain=(i == 0))
        if i == 0:
            plan = text
            if "chunks_embedding_idx" in plan:
                raise RuntimeError(f"the exact query used the HNSW index:\n{plan}")
        results.append(ids)
    return results, short_plan(plan)


def short_plan(plan: str) -> str:
    """EXPLAIN text without the 384 numbers of each vector literal."""
    return re.sub(r"'\[[^']*\]'::vector", "'[...]'::vector", plan)


def recall(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]], k: int) -> float:
    return round(statistics.fmean(len(set(f[:k]) & set(t[:k])) / max(1, min(k, len(t))) for f, t in zip(found, truth)), 4)


def measure_recall(conn: psycopg.Connection[Any], coll: Collection, searcher: Searcher, queries: Sequence[SyntheticQuery],
                   semantic: Scenario, filtered_semantic: Scenario, k: int = 10) -> dict[str, Any]:
    used_ef = search_ef(conn, searcher, SearchOptions())
    log(f"  exact top-{k} for {len(queries)} queries (sequential scan)")
    truth, exact_plan = exact_neighbours(conn, coll, queries, filtered=False, k=k)
    statement = nearest_statement(coll, filtered=False)
    by_ef: dict[str, Any] = {}
    ann_plan = ""
    for ef in sorted(set(EF_SEARCH_VALUES) | {used_ef}):
        found, seconds, uses_index = [], [], False
        for i, q in enumerate(queries):
            ids, elapsed, plan = run_nearest(
                conn, statement, {"embedding": q.embedding, "k": k, "group": q.group},
                {"hnsw.ef_search": str(ef), "hnsw.iterative_scan": "off"}, explain=(i == 0))
            if plan:
                # On a small table the planner may prefer an exact sequential scan at a large ef_search.
                uses_index = "chunks_embedding_idx" in plan
                ann_plan = ann_plan or (plan if uses_index else "")
            found.append(ids)
            seconds.append(elapsed)
        by_ef[str(ef)] = {"recall_at_10": recall(found, truth, k), "uses_hnsw_index": uses_index, **summarize(seconds)}
    filtered_truth, _ = exact_neighbours(conn, coll, queries, filtered=True, k=k)
    plans = {f"{mode}{', filtered' if filtered else ''}": searcher_plan(conn, searcher, mode, queries[0], filtered)
             for mode, filtered in (("semantic", False), ("hybrid", False), ("semantic", True))}
    return {
        "k": k,
        "ef_search_used_by_search_py": used_ef,
        "searcher_uses_hnsw_index": {name: "chunks_embedding_idx" in plan for name, plan in plans.items()},
        "searcher_plans": plans,
        "raw_knn_by_ef_search": by_ef,
        "searcher_semantic_recall_at_10": recall(semantic.doc_ids, truth, k),
        "searcher_filtered_semantic_recall_at_10": recall(filtered_semantic.doc_ids, filtered_truth, k),
        "exact_plan": exact_plan,
        "ann_plan": short_plan(ann_plan),
    }


# --- one size --------------------------------------------------------------------------


def run_size(conn: psycopg.Connection[Any], n: int, n_queries: int, seed: int, vocab: Vocabulary, space: VectorSpace,
             keep: bool) -> dict[str, Any]:
    name = f"scale_{n}"
    drop_collection(conn, name)
    coll = init_collection(conn, name, model=MODEL, dimension=DIMENSION, max_seq_length=MAX_SEQ_LENGTH).collection
    rng = np.random.default_rng([seed, n])
    log(f"[{n:,} chunks] loading into collection {name!r}")
    load_report, doc_vectors = load(conn, coll, rng, vocab, space, n)
    size_report = sizes(conn, coll)
    log(f"  {size_report['postings']:,} postings, {size_report['distinct_terms']:,} distinct terms")

    query_rng = np.random.default_rng([seed, n, 1])
    queries = make_queries(query_rng, vocab, doc_vectors, n_queries)
    warmup = make_queries(query_rng, vocab, doc_vectors, WARMUP_QUERIES)
    searcher = Searcher(conn, coll)
    scenarios = [
        Scenario("keyword", "keyword"),
        Scenario("semantic", "semantic"),
        Scenario("hybrid", "hybrid"),
        Scenario("semantic, 10% filter", "semantic", filtered=True),
        Scenario("hybrid, 10% filter", "hybrid", filtered=True),
    ]
    measure_latency(searcher, scenarios, queries, warmup)
    latency = {
        s.name: {
            **summarize(s.latencies),
            "server_cpu_ms_mean": None if s.server_cpu_seconds is None else round(s.server_cpu_seconds * 1000 / len(s.latencies), 2),
            "client_cpu_ms_mean": round(s.client_cpu_seconds * 1000 / len(s.latencies), 2),
            "load_average_1min": [round(x, 2) for x in s.load_average],
            "rows_min": min(s.rows),
            "queries_with_k_rows": round(sum(r == 10 for r in s.rows) / len(s.rows), 4),
        }
        for s in scenarios
    }
    work = keyword_work(conn, coll, queries)
    recall_report = measure_recall(conn, coll, searcher, queries, scenarios[1], scenarios[3])
    result = {
        "chunks": n,
        "collection": name,
        "queries": n_queries,
        "load": load_report,
        "size": size_report,
        "latency": latency,
        "keyword_work": work,
        "keyword_latency_ms_by_query": [round(s * 1000, 2) for s in scenarios[0].latencies],
        "recall": recall_report,
    }
    if not keep:
        drop_collection(conn, name)
    return result


# --- output ----------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(data: dict[str, Any]) -> str:
    m, s, runs = data["machine"], data["server"], data["sizes"]
    out = [
        f"Machine: {m['cpu_model']}, {m['nproc']} CPUs, {m['ram_gib']} GiB RAM ({m['platform']})",
        f"PostgreSQL {s['server_version']}, pgvector {s['pgvector']}; shared_buffers {s['shared_buffers']}, "
        f"work_mem {s['work_mem']}, jit {s['jit']}",
        f"Data: {data['data']['text']}; {data['data']['vectors']}",
        "",
        "Load (write_batch, 1000 docs/batch, HNSW built after the data, then VACUUM ANALYZE)",
        table(
            ["chunks", "load s", "docs/s", "HNSW build s", "vacuum s", "postings", "terms",
             "chunks MB", "HNSW MB", "GIN MB", "postings MB"],
            [[f"{r['chunks']:,}", r["load"]["load_seconds"], r["load"]["documents_per_second"],
              r["load"]["index_build_seconds"], r["load"]["vacuum_analyze_seconds"], f"{r['size']['postings']:,}",
              f"{r['size']['distinct_terms']:,}", r["size"]["mb"]["chunks_total"], r["size"]["mb"]["hnsw_index"],
              r["size"]["mb"]["gin_index"], r["size"]["mb"]["postings_total"]] for r in runs],
        ),
        "",
        f"Latency of Searcher.run (k=10, candidates=100; {data['queries']} queries after {WARMUP_QUERIES} warm-up; ms)",
    ]
    rows = []
    for r in runs:
        for name, lat in r["latency"].items():
            rows.append([f"{r['chunks']:,}", name, lat["p50_ms"], lat["p95_ms"], lat["max_ms"],
                         lat["server_cpu_ms_mean"], lat["client_cpu_ms_mean"], f"{lat['queries_with_k_rows']:.0%}",
                         "{:.1f}-{:.1f}".format(*lat["load_average_1min"])])
    out.append(table(["chunks", "mode", "p50", "p95", "max", "server CPU", "client CPU", "k rows", "load avg"], rows))
    out.append("(server/client CPU: mean CPU ms per query of the PostgreSQL backend and of this process; wall-clock\n"
               " percentiles grow when other processes compete for the CPUs, CPU time hardly does. k rows: queries\n"
               " returning k=10 hits; a keyword query whose words are all stop words or unknown returns fewer.)")
    out += ["", "Keyword work per query (postings of the query's lexemes)"]
    out.append(table(["chunks", "lexemes (mean)", "postings p50", "postings p95", "postings max"],
                     [[f"{r['chunks']:,}", r["keyword_work"]["lexemes_mean"], f"{r['keyword_work']['postings_p50']:,}",
                       f"{r['keyword_work']['postings_p95']:,}", f"{r['keyword_work']['postings_max']:,}"] for r in runs]))
    out += ["", "HNSW recall@10 against exact search (raw ORDER BY <=> LIMIT 10; latency in ms)"]
    rows = []
    for r in runs:
        rec = r["recall"]
        for ef, v in rec["raw_knn_by_ef_search"].items():
            used = " (search.py)" if int(ef) == rec["ef_search_used_by_search_py"] else ""
            exact = "" if v["uses_hnsw_index"] else " [planner chose exact seq scan]"
            rows.append([f"{r['chunks']:,}", f"{ef}{used}{exact}", v["recall_at_10"], v["p50_ms"], v["p95_ms"]])
        exact = "" if rec["searcher_uses_hnsw_index"]["semantic"] else " [exact seq scan]"
        rows.append([f"{r['chunks']:,}", f"Searcher semantic{exact}", rec["searcher_semantic_recall_at_10"], "", ""])
        exact = "" if rec["searcher_uses_hnsw_index"]["semantic, filtered"] else " [exact, no HNSW]"
        rows.append([f"{r['chunks']:,}", f"Searcher semantic, 10% filter{exact}", rec["searcher_filtered_semantic_recall_at_10"], "", ""])
    out.append(table(["chunks", "ef_search", "recall@10", "p50", "p95"], rows))
    busy = [f"{r['chunks']:,}/{name}" for r in runs for name, lat in r["latency"].items()
            if max(lat["load_average_1min"]) > 1.5 * m["nproc"] / 2]
    if busy:
        out += ["", f"WARNING: load average above {0.75 * m['nproc']:.1f} during {len(busy)} measurement(s): other "
                    "processes were using the CPUs, so wall-clock latencies are inflated; compare server CPU."]
    out += ["", "Targets"]
    for line in data["targets"]:
        out.append(f"  {line}")
    return "\n".join(out)


def targets(runs: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    largest = max(runs, key=lambda r: r["chunks"])
    p50 = largest["latency"]["hybrid"]["p50_ms"]
    lines.append(f"hybrid p50 at {largest['chunks']:,} chunks: {p50} ms (target < {HYBRID_P50_TARGET_MS:.0f} ms) "
                 f"{'PASS' if p50 < HYBRID_P50_TARGET_MS else 'FAIL'}")
    rec = largest["recall"]
    used = rec["raw_knn_by_ef_search"][str(rec["ef_search_used_by_search_py"])]["recall_at_10"]
    lines.append(f"HNSW recall@10 at ef_search={rec['ef_search_used_by_search_py']} (search.py, candidates=100) at "
                 f"{largest['chunks']:,} chunks: {used} (target >= {RECALL_TARGET}) {'PASS' if used >= RECALL_TARGET else 'FAIL'}")
    filtered = largest["latency"]["semantic, 10% filter"]
    lines.append(f"filtered semantic returns k rows: {filtered['queries_with_k_rows']:.0%} of queries "
                 f"{'PASS' if filtered['queries_with_k_rows'] == 1 else 'FAIL'}")
    return lines


# --- main ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", default="5000,100000", help="comma-separated collection sizes (default 5000,100000)")
    parser.add_argument("--queries", type=int, default=200, help="measured queries per size (default 200)")
    parser.add_argument("--home", type=Path, help="PGVSEARCH home for the private server (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the scale_<N> collections (useful with --home)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--words", type=Path, help="a word list to use instead of pseudo-words")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(x.replace("_", "")) for x in args.chunks.split(",") if x.strip()]
    except ValueError:
        parser.error("--chunks takes comma-separated whole numbers, e.g. 5000,100000")
    if not args.sizes or min(args.sizes) < 100 or args.queries < 1:
        parser.error("--chunks sizes must be at least 100 and --queries at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    temporary = args.home is None
    home = Path(tempfile.mkdtemp(prefix="pgvsearch-scale-")) if temporary else args.home.expanduser().resolve()
    pgdata = home / "pgdata"
    log(f"starting a private embedded server in {pgdata}")
    server = start_server(pgdata)
    try:
        with psycopg.connect(server.conninfo(), autocommit=True, application_name="pgvsearch-scale") as conn:
            conn.execute("SET client_min_messages = warning")
            init_collection(conn, "scale_probe", model=MODEL, dimension=DIMENSION, max_seq_length=MAX_SEQ_LENGTH)
            drop_collection(conn, "scale_probe")  # creates the extension and registry
            rng = np.random.default_rng(args.seed)
            vocab = Vocabulary.build(stop_words(conn), rng, args.words)
            space = VectorSpace.build(rng)
            data: dict[str, Any] = {
                "machine": machine_info(),
                "server": server_info(conn),
                "queries": args.queries,
                "seed": args.seed,
                "data": {
                    "text": f"{vocab.source}; {CHUNK_WORDS[0]}-{CHUNK_WORDS[1]} words per chunk, "
                            f"queries {QUERY_WORDS[0]}-{QUERY_WORDS[1]} words",
                    "vectors": f"{DIMENSION}-d, {CENTROIDS} centroids, per-cluster {SUBSPACE_RANK}-d Gaussian subspace "
                               f"(norm ~{LOCAL_SCALE * np.sqrt(SUBSPACE_RANK):.2f}) + isotropic noise (norm {ISOTROPIC_NORM}), "
                               f"normalised; queries = document + isotropic noise (norm {QUERY_NOISE_NORM})",
                },
                "sizes": [],
            }
            for n in args.sizes:
                data["sizes"].append(run_size(conn, n, args.queries, args.seed, vocab, space, keep=args.keep))
            data["targets"] = targets(data["sizes"])
    finally:
        log("stopping the server")
        stop_server(pgdata)
        if temporary:
            shutil.rmtree(home, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(report(data))
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
