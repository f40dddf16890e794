"""Measuring one search scenario of benchmarks/scale.py: warm latencies, the server's and the
client's CPU, what keyword queries read, and diagnostics (the ef_search and plan a search uses)."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import psycopg
from psycopg import sql

from pgvsearch.search import Searcher, SearchOptions
from pgvsearch.store import Collection
from scale_data import SyntheticQuery
from scale_exact import qualified, short_plan
from scale_machine import backend_cpu_seconds
from scale_report import log


@dataclass
class Scenario:
    mode: str
    filter: tuple[str, str] | None = None  # (kind, selectivity), a key of SyntheticQuery.filters
    latencies: list[float] = field(default_factory=list)
    first_pass: list[float] = field(default_factory=list)  # the same queries' untimed-for-targets first run
    doc_ids: list[list[str]] = field(default_factory=list)
    server_cpu_seconds: float | None = None
    client_cpu_seconds: float = 0.0
    load_average: tuple[float, float] = (0.0, 0.0)

    @property
    def name(self) -> str:
        return self.mode if self.filter is None else f"{self.mode}, {self.filter[0]} {self.filter[1]}"

    def options(self, query: SyntheticQuery) -> SearchOptions:
        return SearchOptions() if self.filter is None else query.filters[self.filter].options()


def measure_latency(searcher: Searcher, scenario: Scenario, queries: Sequence[SyntheticQuery],
                    warmup: Sequence[SyntheticQuery]) -> None:
    """Time ``queries`` warm, as the issue asks: after the warm-up queries, each query runs once
    untimed for the record (``first_pass``: its postings, chunks and index pages may still be
    copied in from the OS cache), then once timed. Run cold, whichever scenario came first paid
    for reading the pages the others then found in shared buffers (keyword p50 at 1M: 57 ms
    first, 40 ms again a minute later)."""
    log(f"  {scenario.name}: warm-up {len(warmup)} + the {len(queries)} queries, then measure them")
    for q in warmup:
        searcher.run(q.text, scenario.mode, scenario.options(q), embedding=q.embedding)
    for q in queries:
        embedding = None if scenario.mode == "keyword" else q.embedding
        started = time.perf_counter()
        searcher.run(q.text, scenario.mode, scenario.options(q), embedding=embedding)
        scenario.first_pass.append(time.perf_counter() - started)
    load_before = os.getloadavg()[0]
    server_before, client_before = backend_cpu_seconds(searcher.conn), time.process_time()
    for q in queries:
        options = scenario.options(q)
        embedding = None if scenario.mode == "keyword" else q.embedding
        started = time.perf_counter()
        hits = searcher.run(q.text, scenario.mode, options, embedding=embedding)
        scenario.latencies.append(time.perf_counter() - started)
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
    }


def search_ef(conn: psycopg.Connection[Any], searcher: Searcher) -> int | None:
    """The hnsw.ef_search an unfiltered default search sets, or None if this version of the
    library does not expose it the way this reads it (private methods: a diagnostic only)."""
    try:
        params = searcher._params("", None, SearchOptions())
        with conn.transaction():
            searcher._tune_hnsw(params["chunk_candidates"], False, params["candidates"])
            row = conn.execute("SHOW hnsw.ef_search").fetchone()
        return int(row[0]) if row else None
    except Exception as exc:  # noqa: BLE001
        log(f"  (ef_search of the search not readable: {exc})")
        return None


def searcher_plan(conn: psycopg.Connection[Any], searcher: Searcher, mode: str, options: SearchOptions,
                  query: SyntheticQuery) -> str:
    """EXPLAIN of the statement the search function runs (Searcher.compose), under the
    settings it makes; a diagnostic that uses private methods, so it may be unavailable."""
    try:
        params = searcher._params(query.text, query.embedding, options, mode)
        with conn.transaction():
            searcher._tune_hnsw(params["chunk_candidates"], options.filtered, params["candidates"])
            rows = conn.execute(sql.SQL("EXPLAIN ") + searcher.compose(mode, options), params).fetchall()
        return short_plan("\n".join(r[0] for r in rows))
    except Exception as exc:  # noqa: BLE001
        return f"unavailable: {exc}"
