"""The synthetic corpus of benchmarks/scale.py: text, vectors, hierarchical sources, metadata
and the queries with their filters. Everything is drawn from numpy generators seeded by the
caller, so a load and its queries are the same on every run with the same seed and size.

Filters (``FILTER_LEVELS``): a document's source is ``synthetic/a/b/c/doc0001234`` with
a, b, c digits drawn uniformly, so the prefix ``synthetic/3/`` keeps 10 % of the documents,
``synthetic/3/7/`` 1 % and ``synthetic/3/7/2/`` 0.1 %; its metadata has ``group`` (10
values, 10 %), ``tenant`` (100 values, 1 %) and ``team`` (1,000 values, 0.1 %), drawn
independently of each other, of the source digits and of the vector clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import psycopg

from pgvsearch.chunking import Chunk
from pgvsearch.ingest import EmbeddedBatch, PreparedDocument
from pgvsearch.search import SearchOptions, vector_literal
from pgvsearch.sources import SourceDocument

DIMENSION = 384
CENTROIDS = 500
SUBSPACE_RANK = 16
LOCAL_SCALE = 0.225  # per subspace coordinate: local noise norm ~0.9
ISOTROPIC_NORM = 0.35  # isotropic document noise, as a vector norm
QUERY_NOISE_NORM = 0.5  # isotropic query noise, as a vector norm
PSEUDO_WORDS = 30_000
ZIPF_SHIFT = 2.7  # Mandelbrot's fit for English
CHUNK_WORDS = (120, 200)
QUERY_WORDS = (3, 12)
BATCH_DOCUMENTS = 1000
SOURCE_ROOT = "synthetic/"
# selectivity label -> (source digits in the prefix, metadata key, values of that key)
FILTER_LEVELS = {"10%": (1, "group", 10), "1%": (2, "tenant", 100), "0.1%": (3, "team", 1000)}
FILTER_KINDS = ("prefix", "meta")


def data_params() -> dict[str, Any]:
    """What the generator depends on besides seed and size (a kept collection is reused only if equal)."""
    return {
        "generator": 2, "dimension": DIMENSION, "centroids": CENTROIDS, "subspace_rank": SUBSPACE_RANK,
        "local_scale": LOCAL_SCALE, "isotropic_norm": ISOTROPIC_NORM, "pseudo_words": PSEUDO_WORDS,
        "zipf_shift": ZIPF_SHIFT, "chunk_words": list(CHUNK_WORDS), "batch_documents": BATCH_DOCUMENTS,
        "filter_levels": {k: list(v) for k, v in FILTER_LEVELS.items()},
    }


def meta_value(key: str, values: int, drawn: int) -> str:
    return f"{key[0]}{drawn:0{len(str(values - 1))}d}"


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


def documents(rng: np.random.Generator, vocab: Vocabulary, space: VectorSpace, n: int) -> Iterator[EmbeddedBatch]:
    """n one-chunk documents, in batches for ``pgvsearch.ingest.write_batch``."""
    for start in range(0, n, BATCH_DOCUMENTS):
        size = min(BATCH_DOCUMENTS, n - start)
        vectors = space.documents(rng, size)
        digits = rng.integers(10, size=(size, 3))
        drawn = {key: rng.integers(values, size=size) for _, key, values in FILTER_LEVELS.values()}
        docs = []
        for j, i in enumerate(range(start, start + size)):
            text = vocab.text(rng, *CHUNK_WORDS)
            doc_id = f"doc{i:07d}"
            metadata = {key: meta_value(key, values, int(drawn[key][j])) for _, key, values in FILTER_LEVELS.values()}
            doc = SourceDocument(
                doc_id=doc_id, source=f"{SOURCE_ROOT}{'/'.join(map(str, digits[j]))}/{doc_id}", title="", text=text,
                format="txt", metadata=metadata,
            )
            docs.append(PreparedDocument(doc, [Chunk(position=0, content=text, context="")], f"synthetic-{i}", replaces=False))
        yield EmbeddedBatch(docs, [vectors[j : j + 1] for j in range(size)])


@dataclass(frozen=True)
class Filter:
    kind: str  # "prefix" or "meta"
    selectivity: str  # a FILTER_LEVELS label
    prefix: str | None = None
    key: str | None = None
    value: str | None = None

    def options(self) -> SearchOptions:
        if self.kind == "prefix":
            return SearchOptions(prefix=self.prefix)
        assert self.key is not None and self.value is not None
        return SearchOptions(metadata={self.key: self.value})

    def params(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "key": self.key, "value": self.value}


@dataclass
class SyntheticQuery:
    text: str
    embedding: str  # pgvector literal
    filters: dict[tuple[str, str], Filter]  # (kind, selectivity) -> filter


def query_filters(rng: np.random.Generator) -> dict[tuple[str, str], Filter]:
    digits = rng.integers(10, size=3)
    filters = {}
    for label, (depth, key, values) in FILTER_LEVELS.items():
        prefix = SOURCE_ROOT + "".join(f"{d}/" for d in digits[:depth])
        filters[("prefix", label)] = Filter("prefix", label, prefix=prefix)
        filters[("meta", label)] = Filter("meta", label, key=key, value=meta_value(key, values, int(rng.integers(values))))
    return filters


def make_queries(rng: np.random.Generator, vocab: Vocabulary, n_documents: int, count: int,
                 vectors_of: Callable[[list[str]], np.ndarray]) -> list[SyntheticQuery]:
    """Queries near random documents (whose vectors ``vectors_of`` reads by doc_id, from the
    database, so that a kept collection gives the same queries without the load)."""
    sources = rng.integers(n_documents, size=count)
    vectors = unit_noisy_copies(rng, vectors_of([f"doc{i:07d}" for i in sources]))
    return [SyntheticQuery(vocab.text(rng, *QUERY_WORDS), vector_literal(vec), query_filters(rng)) for vec in vectors]
