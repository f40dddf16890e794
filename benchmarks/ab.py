"""Interleaved A/B of one search choice on a collection kept by benchmarks/scale.py.

Two choices can be compared, each as variant "a" (what pgvsearch does) against variant "b":

* ``--pool``: the chunk pool. a: the stats row's exact chunk count, so that a collection of
  one-chunk documents reads one nearest chunk per document wanted; b: the count set to NULL, so
  that ``chunk_pool`` falls back to the planner's estimate and reads two per document (what
  pgvsearch did before it kept the count). The count is restored at the end.
* ``--setting NAME=VALUE``: a session setting. a: the server's; b: ``SET NAME = VALUE``, e.g.
  ``pgvsearch.wide_filter_chunks=1e18`` to count every wide filter's documents as pgvsearch did
  before ``filter_is_wide``.
* ``--against REV``: the code. a: this checkout's composed search statements; b: those of git
  revision REV (benchmarks/ab_revision.py), both run as the search functions run them.

The variants alternate by round, on the same queries as scale.py (same seed), after one untimed
pass. Prints each scenario's p50 per variant and how many queries got the same top k from both.

    .venv/bin/python benchmarks/scale.py --chunks 1000000 --home DIR --keep   # once
    .venv/bin/python benchmarks/ab.py --home DIR --chunks 1000000 --queries 60 --rounds 2 --pool \\
        semantic:prefix:10% hybrid:prefix:10% hybrid:meta:10% semantic
    .venv/bin/python benchmarks/ab.py --home DIR --setting pgvsearch.wide_filter_chunks=1e18 \\
        hybrid:prefix:10% hybrid:meta:10%
    .venv/bin/python benchmarks/ab.py --home DIR --queries 40 --against HEAD~1 keyword hybrid hybrid:prefix:10%
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402
from psycopg import sql  # noqa: E402

from pgvsearch.search import Searcher, SearchOptions  # noqa: E402
from pgvsearch.store import Collection, get_collection, start_server  # noqa: E402
from scale_load import vectors_reader  # noqa: E402
from scale_data import VectorSpace, Vocabulary, make_queries, stop_words  # noqa: E402

VARIANTS = ("a", "b")


def pool_choice(conn: psycopg.Connection, coll: Collection) -> Callable[[str], None]:
    stats = sql.Identifier(coll.schema, "stats")
    counted = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(coll.schema, "chunks"))).fetchone()[0]

    def use(variant: str) -> None:
        conn.execute(sql.SQL("UPDATE {} SET n_chunks = %s").format(stats), (counted if variant == "a" else None,))

    return use


def setting_choice(conn: psycopg.Connection, assignment: str) -> Callable[[str], None]:
    name, _, value = assignment.partition("=")

    def use(variant: str) -> None:
        if variant == "a":
            conn.execute(sql.SQL("RESET {}").format(sql.Identifier(*name.split("."))))
        else:
            conn.execute("SELECT set_config(%s, %s, false)", (name, value))

    return use


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="the --home of a scale.py --keep run")
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42, help="scale.py's --seed")
    choice = parser.add_mutually_exclusive_group(required=True)
    choice.add_argument("--pool", action="store_true", help="one nearest chunk per one-chunk document (a) or two (b)")
    choice.add_argument("--setting", metavar="NAME=VALUE", help="the server's setting (a) or this one (b)")
    choice.add_argument("--against", metavar="REV", help="this checkout's search statements (a) or git revision REV's (b)")
    parser.add_argument("scenarios", nargs="+", help="mode or mode:kind:selectivity, e.g. hybrid:prefix:10%%")
    args = parser.parse_args()
    if args.setting is not None and "=" not in args.setting:
        parser.error("--setting wants NAME=VALUE")

    if not (args.home / "pgdata").is_dir():
        parser.error(f"{args.home} holds no database: run scale.py --home {args.home} --keep first")
    server = start_server(args.home / "pgdata")
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        register_vector(conn)
        rng = np.random.default_rng(args.seed)  # drawn in scale.py's order: vocabulary, then vectors
        vocab = Vocabulary.build(stop_words(conn), rng, None)
        VectorSpace.build(rng)
        coll = get_collection(conn, f"scale_{args.chunks}")
        if coll is None:
            parser.error(f"no collection scale_{args.chunks} under {args.home}: run scale.py --keep first")
        queries = make_queries(np.random.default_rng([args.seed, args.chunks, 1]), vocab, args.chunks, args.queries,
                               vectors_reader(conn, coll))
        searcher = Searcher(conn, coll)
        current = {"variant": "a"}
        if args.against:
            from ab_revision import ROOT as TREE, StatementRunner, composed, revision_statements

            runners = {"a": StatementRunner(conn, searcher, composed(TREE, server.conninfo(), coll.name)),
                       "b": StatementRunner(conn, searcher, revision_statements(args.against, server.conninfo(), coll.name))}

            def use(variant: str) -> None:
                current["variant"] = variant
        else:
            use = pool_choice(conn, coll) if args.pool else setting_choice(conn, args.setting)
        try:
            for name in args.scenarios:
                mode, *filter_key = name.split(":")

                def options(q: object) -> SearchOptions:
                    return q.filters[tuple(filter_key)].options() if filter_key else SearchOptions()  # type: ignore[attr-defined]

                def run(q: object) -> list[str]:
                    if args.against:
                        return runners[current["variant"]].run(q.text, mode, options(q), q.embedding)  # type: ignore[attr-defined]
                    return [h.doc_id for h in searcher.run(q.text, mode, options(q), embedding=q.embedding)]  # type: ignore[attr-defined]

                latencies: dict[str, list[float]] = {v: [] for v in VARIANTS}
                answers: dict[str, list[list[str]]] = {v: [] for v in VARIANTS}
                for q in queries:
                    run(q)
                for r in range(args.rounds):
                    for variant in VARIANTS if r % 2 == 0 else VARIANTS[::-1]:
                        use(variant)
                        for q in queries:
                            started = time.perf_counter()
                            ids = run(q)
                            latencies[variant].append(time.perf_counter() - started)
                            if r == 0:
                                answers[variant].append(ids)
                same = sum(x == y for x, y in zip(*answers.values()))
                print(f"{name}: a p50 {statistics.median(latencies['a']) * 1000:.1f} ms, "
                      f"b p50 {statistics.median(latencies['b']) * 1000:.1f} ms; "
                      f"same top k {same}/{len(queries)}", flush=True)
        finally:
            use("a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
