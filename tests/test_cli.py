"""The command itself: entry points, help, startup imports, usage errors."""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

from conftest import ROOT, run_cli


def test_import_and_help_do_not_load_torch() -> None:
    code = (
        "import sys\n"
        "import pgvsearch.cli\n"
        "from pgvsearch.cli import main\n"
        "sys.argv = ['pgvsearch', '--help']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'onnxruntime', 'pypdf') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "hybrid" in result.stdout


def test_console_script_and_module_entry_points() -> None:
    script = ROOT / ".venv" / "bin" / "pgvsearch"
    exe = str(script) if script.exists() else "pgvsearch"
    result = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "Exit codes" in result.stdout
    assert run_cli("search", "--help").returncode == 0


def test_usage_errors_exit_2_with_one_line() -> None:
    result = run_cli("search")
    assert result.returncode == 2 and "QUERY" in result.stderr
    result = run_cli("hybrid", "x", "-k", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    result = run_cli("hybrid", "x", "--meta", "novalue")
    assert result.returncode == 2 and "KEY=VALUE" in result.stderr
    result = run_cli("frobnicate")
    assert result.returncode == 2


def test_query_output_is_complete_and_a_closed_pipe_is_quiet(sample_collection: object) -> None:
    """search/keyword/hybrid skip the interpreter's teardown: their output must still be whole."""
    import json

    queries = "\n".join(f"refund question number {i}" for i in range(40)) + "\n"
    for mode in ("search", "keyword", "hybrid"):
        result = run_cli(mode, "--queries", "-", "-c", "sample", "-k", "20", "-f", "json", input=queries)
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]  # every line is whole JSON
        by_query: dict[str, list[int]] = {}
        for row in rows:
            by_query.setdefault(row["query_id"], []).append(row["rank"])
        assert list(by_query) == [str(i) for i in range(1, 41)], "every query, in order, up to the last"
        assert all(ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 1 for ranks in by_query.values())
        assert len(by_query["40"]) == len(by_query["1"]) or mode == "keyword"

    # A reader that stops after the first line (`| head -1`).
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgvsearch", "hybrid", "--queries", "-", "-c", "sample", "-k", "20", "-f", "json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(queries.encode() * 20)
    proc.stdin.close()
    assert json.loads(proc.stdout.readline())["rank"] == 1
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0
    err = proc.stderr.read().decode()
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_a_query_that_is_not_utf8_is_a_usage_error(sample_collection: object) -> None:
    for command in ("keyword", "search", "hybrid"):
        result = run_cli(command, "caf\udce9", "-c", "sample")  # the bytes caf\xe9 (Latin-1) on the command line
        assert result.returncode == 2 and "not valid UTF-8" in result.stderr and "Traceback" not in result.stderr, result.stderr
    result = run_cli("keyword", "refund", "-c", "sample", "--prefix", "caf\udce9")
    assert result.returncode == 2 and "--prefix" in result.stderr


def test_status_and_eval_print_csv(sample_collection: object, tmp_path: Path) -> None:
    import csv
    import io

    result = run_cli("status", "-c", "sample", "-f", "csv")
    assert result.returncode == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["collection"] == "sample" and int(row["documents"]) >= 20 and "sample" in row["collections"].split(",")
    queries, qrels = tmp_path / "q.jsonl", tmp_path / "qrels.tsv"
    queries.write_text('{"_id": "q1", "text": "charged twice for one order"}\n')
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\tbilling/refunds-and-duplicate-charges.md\t2\n")
    result = run_cli("eval", "-c", "sample", "--queries", str(queries), "--qrels", str(qrels), "--rrf-k", "20,60", "-f", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["mode"] for r in rows] == ["semantic", "keyword", "hybrid", "hybrid"] and [r["rrf_k"] for r in rows[2:]] == ["20.0", "60.0"]
    assert all(0 <= float(r["ndcg@10"]) <= 1 for r in rows)
    result = run_cli("eval", "-c", "sample", "--queries", str(queries), "--qrels", str(qrels), "--per-query", "-f", "csv")
    assert result.returncode == 2 and result.stdout == ""


def test_version_is_printed_and_matches_the_package() -> None:
    import pgvsearch

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"pgvsearch {pgvsearch.__version__}"


def test_shell_completion_script_and_completions() -> None:
    import os

    script = ROOT / ".venv" / "bin" / "pgvsearch"
    exe = str(script) if script.exists() else "pgvsearch"
    # Typer names the shell it detects among the parent processes: bash here, however pytest was
    # started (a command after it keeps bash from replacing itself with the program).
    shown = subprocess.run(["bash", "-c", '"$0" --show-completion; exit $?', exe], capture_output=True, text=True)
    assert shown.returncode == 0 and "_PGVSEARCH_COMPLETE" in shown.stdout
    env = dict(os.environ, COMP_WORDS="pgvsearch hybrid --fu", COMP_CWORD="2", _PGVSEARCH_COMPLETE="complete_bash")
    completed = subprocess.run([exe], capture_output=True, text=True, env=env)
    assert completed.returncode == 0 and completed.stdout.split() == ["--fusion"]


def test_a_second_signal_while_the_interruption_is_reported_still_exits_130() -> None:
    """Ctrl-C twice (or Ctrl-C and then the SIGTERM of a supervisor) while pgvsearch says
    "interrupted": the process still ends with exit 130 and that one line, not killed by SIGINT
    or with a traceback."""
    code = (
        "import os, signal, sys\n"
        "from pgvsearch.cli import entry\n"
        "def command(**kwargs):\n    raise KeyboardInterrupt\n"
        "def report(message):\n"
        "    print(message, file=sys.stderr, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    sum(range(100000))  # time for a pending signal to be raised\n"
        "entry.app = command\n"
        "entry.err = report\n"
        "sys.argv = ['pgvsearch', 'ingest', 'docs']\n"
        "entry.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert result.stderr.splitlines() == ["pgvsearch: interrupted"], result.stderr
