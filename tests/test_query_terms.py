"""A query of stop words only: keyword search has nothing to rank by, and says so (on stderr)."""

from __future__ import annotations

import json
from typing import Any

from conftest import run_cli

STOP_WORDS_ONLY = "the of and to is"


def test_query_terms_are_the_lexemes_keyword_search_looks_up(conn: Any, sample_collection: Any) -> None:
    from pgvsearch.search import query_terms

    assert query_terms(conn, sample_collection, STOP_WORDS_ONLY) == []
    assert query_terms(conn, sample_collection, "?!  ...") == []
    assert query_terms(conn, sample_collection, "How do I reset my password?") == ["reset", "password"]
    # The collection's word separators apply, as in keyword search: two words, not a compound.
    assert query_terms(conn, sample_collection, "two-factor/backup") == ["two", "factor", "backup"]


def test_keyword_with_stop_words_only_says_so_on_stderr_and_exits_0(sample_collection: Any) -> None:
    result = run_cli("keyword", STOP_WORDS_ONLY, "-c", "sample", "-f", "json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no searchable words" in lines[0] and "english" in lines[0], result.stderr

    plain = run_cli("keyword", "refund", "-c", "sample", "-f", "json")
    assert plain.returncode == 0 and "no searchable words" not in plain.stderr
    assert plain.stdout.strip()


def test_hybrid_with_stop_words_only_ranks_by_meaning_and_says_so(sample_collection: Any) -> None:
    result = run_cli("hybrid", STOP_WORDS_ONLY, "-c", "sample", "-f", "json", "-k", "3")
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]  # stdout is the JSON, untouched
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert all(h["keyword_rank"] is None and h["semantic_rank"] is not None for h in hits)
    assert "ranks by meaning only" in result.stderr and "no searchable words" in result.stderr

    plain = run_cli("hybrid", "refund a duplicate charge", "-c", "sample", "-f", "json", "-k", "3")
    assert plain.returncode == 0 and "no searchable words" not in plain.stderr


def test_a_query_file_names_each_query_without_searchable_words(sample_collection: Any) -> None:
    queries = "refund\n" + STOP_WORDS_ONLY + "\nreset password\n"
    result = run_cli("keyword", "--queries", "-", "-c", "sample", "-f", "json", input=queries)
    assert result.returncode == 0, result.stderr
    assert {json.loads(line)["query_id"] for line in result.stdout.splitlines()} == {"1", "3"}
    notes = [line for line in result.stderr.splitlines() if "no searchable words" in line]
    assert len(notes) == 1 and "'2'" in notes[0], result.stderr


def test_semantic_search_needs_no_such_note(sample_collection: Any) -> None:
    result = run_cli("search", STOP_WORDS_ONLY, "-c", "sample", "-f", "json", "-k", "2")
    assert result.returncode == 0 and "no searchable words" not in result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_ask_says_when_the_question_is_ranked_by_meaning_only(sample_collection: Any) -> None:
    result = run_cli("ask", "what is it and how is it?", "-c", "sample", "-f", "json", "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)  # the answer object, unaffected
    assert "ranks by meaning only" in result.stderr
