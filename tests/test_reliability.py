"""Reliability and security: bad input, crashes, concurrency and secrets.

Every test runs against the real embedded PostgreSQL; the CLI runs as a subprocess wherever
exit codes and signals matter. After every fault, ``consistency.check_consistency`` asserts
the storage invariants (no orphans, no partial document, finite vectors of the right
dimension, exact BM25 statistics, valid indexes, no advisory lock left behind).

The signal and crash tests interrupt a real ingest (real model, real CLI) of a folder of a
few hundred small generated notes. To make the interruption land mid-run every time, the
test waits for the first committed batch and then freezes the ingest with SIGSTOP while it
delivers the fault (SIGKILL needs no freezing), so no timing guesswork is involved.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import string
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pytest

from conftest import ROOT, make_collection, run_cli, unique_name
from consistency import check_consistency, document_count, snapshot

N_NOTES = 240  # with --batch-chunks 64 (BATCH): four committed batches, one chunk per note
BATCH = ("--batch-chunks", "64")
VOCAB = (
    "invoice refund shipping order account password billing parcel courier warehouse receipt "
    "discount voucher delivery address payment card bank transfer subscription renewal"
).split()


# --- helpers ---------------------------------------------------------------------------------
class FaultyEmbedder:
    """A deterministic stand-in for a model: a hashed unit vector per text, and deliberately
    bad output for texts carrying a marker word (NaN, infinity, an all-zero vector, vectors
    of the wrong length, or one vector too few)."""

    def __init__(self, inner: Any, dimension: int | None = None) -> None:
        self.inner = inner
        self.model_name, self.max_seq_length = inner.model_name, inner.max_seq_length
        self.dimension = dimension or inner.dimension
        self.backend, self.precision = "fake", "fp32"

    def tokenizer(self) -> Any:
        return self.inner.tokenizer()

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "little")
            vector = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            vector /= np.linalg.norm(vector)
            if "NANMARKER" in text:
                vector[3] = np.nan
            if "INFMARKER" in text:
                vector[5] = np.inf
            if "ZEROMARKER" in text:
                vector[:] = 0
            rows.append(vector)
        matrix = np.stack(rows) if rows else np.zeros((0, self.dimension), np.float32)
        if any("WRONGDIMMARKER" in t for t in texts):
            matrix = matrix[:, :-1]
        if any("FEWROWSMARKER" in t for t in texts):
            matrix = matrix[:-1]
        return matrix


@contextmanager
def cli_process(*args: str, stdin: Any = subprocess.DEVNULL, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """`python -m pgvsearch ARGS` running in the background; killed if the test leaves it running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgvsearch", *args], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, **(env or {})}, cwd=ROOT,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
        proc.communicate()


def wait_until(condition: Callable[[], Any], proc: subprocess.Popen[str] | None = None, timeout: float = 180, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"process ended (exit {proc.returncode}) before {what}: {err}{out}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def ingest_lock_sessions(conn: Any, collection: str, *, granted: bool) -> list[int]:
    """Backends holding (or waiting for) the collection's ingest lock, found through pg_locks."""
    from pgvsearch.store import lock_key

    key = lock_key(collection)
    rows = conn.execute(
        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted = %s AND a.application_name = 'pgvsearch' "
        "AND l.classid::int8 = %s AND l.objid::int8 = %s",
        (granted, key >> 32, key & 0xFFFFFFFF),
    ).fetchall()
    return [r[0] for r in rows]


@contextmanager
def frozen(proc: subprocess.Popen[str]) -> Iterator[None]:
    """SIGSTOP the process for the duration: it keeps its locks and open transaction."""
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def pgvsearch_backends_since(conn: Any, since: Any) -> int:
    """Sessions of pgvsearch clients in this database that started after ``since``."""
    return int(conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgvsearch' "
        "AND datname = current_database() AND pid <> pg_backend_pid() AND backend_start > %s",
        (since,),
    ).fetchone()[0])


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def docs_of(conn: Any, coll: Any) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        f'SELECT doc_id, source, title, metadata, content_hash, chunk_count FROM "{coll.schema}".documents'
    ).fetchall()
    return {r[0]: {"source": r[1], "title": r[2], "metadata": r[3], "hash": r[4], "chunks": r[5]} for r in rows}


def texts_of(conn: Any, coll: Any, doc_id: str) -> str:
    return conn.execute(
        f'SELECT string_agg(c.content, \' \' ORDER BY c.position) FROM "{coll.schema}".chunks c '
        f'JOIN "{coll.schema}".documents d ON d.id = c.document_id WHERE d.doc_id = %s',
        (doc_id,),
    ).fetchone()[0]


def skipped_by_name(report: Any) -> dict[str, str]:
    items = report["skipped_inputs"] if isinstance(report, dict) else report.skipped
    return {Path(item["path"]).name: item["reason"] for item in items}  # JSONL lines: "name.jsonl:LINE"


# --- shared fixtures -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred short notes: one chunk each, enough for an ingest to be caught mid-run."""
    root = tmp_path_factory.mktemp("corpus") / "notes"
    root.mkdir()
    rng = random.Random(20241123)
    for i in range(N_NOTES):
        words = " ".join(rng.choice(VOCAB) for _ in range(12))
        (root / f"note-{i:03d}.txt").write_text(f"Note {i}\n\n{words}.\n")
    return root


@pytest.fixture(scope="module")
def reference(settings: Any, embedder: Any, corpus: Path) -> dict[str, tuple[str, int, str]]:
    """The corpus ingested cleanly, in one go, into its own collection."""
    from pgvsearch.store import connect
    from pgvsearch.ingest import ingest_paths

    with connect(settings) as connection:
        coll = make_collection(connection, embedder, unique_name("ref"))
        report = ingest_paths(connection, coll, embedder, [str(corpus)])
        assert report.added == N_NOTES and not report.skipped
        check_consistency(connection, coll)
        return snapshot(connection, coll)


ROLE, RIGHT_PASSWORD, WRONG_PASSWORD = "alice", "R1ght-pa55-q7Zx", "Wr0ng-pa55-k3Yv"


@pytest.fixture(scope="module")
def second_server(tmp_path_factory: pytest.TempPathFactory, pgvs_home: Path) -> Iterator[Any]:
    """Another embedded server whose role `alice` must log in with a password (scram-sha-256)."""
    import psycopg

    from pgvsearch.store import init_collection
    from pgvsearch.store import start_server, stop_server

    pgdata = tmp_path_factory.mktemp("secured") / "pgdata"
    srv = start_server(pgdata)
    try:
        with psycopg.connect(srv.conninfo(), autocommit=True) as c:
            c.execute(f"CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{RIGHT_PASSWORD}'")
            hba = pgdata / "pg_hba.conf"
            hba.write_text(f"local all {ROLE} scram-sha-256\n" + hba.read_text())
            c.execute("SELECT pg_reload_conf()")
            init_collection(c, "remote", model="all-MiniLM-L6-v2", dimension=384, max_seq_length=256)
        yield srv
    finally:
        stop_server(pgdata)


# === Inputs ==================================================================================
def test_nul_bytes_are_removed_and_the_file_is_named_in_a_warning(conn: Any, collection: Any, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "nul.txt").write_bytes(b"Nul title\n\nsome\x00 text about\x00 herons\x00 and egrets\n")
    (docs / "records.jsonl").write_bytes(b'{"_id": "rec\\u0000-1", "text": "storks\\u0000 nest here", "k\\u0000ey": "v\\u0000al"}\n')
    report_file = tmp_path / "report.json"
    result = run_cli("ingest", str(docs), "-c", collection.name, "--report", str(report_file))
    assert result.returncode == 0, result.stderr
    nul_path = str(docs / "nul.txt")
    assert any(line.startswith(f"warning {nul_path}:") and "NUL" in line for line in result.stderr.splitlines()), result.stderr
    report = json.loads(report_file.read_text())
    assert report["added"] == 2 and report["skipped"] == 0
    assert {"path": nul_path, "warning": "removed 3 NUL bytes"} in report["warnings"]
    assert any(w["path"].startswith(str(docs / "records.jsonl")) and "NUL" in w["warning"] for w in report["warnings"])
    stored = docs_of(conn, collection)
    assert set(stored) == {"nul.txt", "rec-1"} and stored["rec-1"]["metadata"]["key"] == "val"
    assert texts_of(conn, collection, "nul.txt").endswith("some text about herons and egrets")
    assert "\x00" not in texts_of(conn, collection, "rec-1")
    check_consistency(conn, collection)


def test_invalid_utf8_and_latin1_are_decoded_and_never_a_database_error(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    (tmp_path / "latin1.txt").write_bytes("Café crème\n\nLe gâteau est délicieux.\n".encode("latin-1"))
    (tmp_path / "cp1252.md").write_bytes(b"# Smart quotes\n\n\x93Hello\x94 \x96 it\x92s a tapir.\n")
    (tmp_path / "broken-utf8.md").write_bytes("# Naïve\n\nA stray ".encode() + b"\xff\xfe\xc3" + " byte near the ocelot.\n".encode())
    (tmp_path / "utf16.txt").write_bytes("Grüße aus Köln\n\nEin Text über Dachse.\n".encode("utf-16"))
    (tmp_path / "records.jsonl").write_bytes(b'{"_id": "bad-bytes", "text": "caf\xe9 \xff broken bytes about lemurs"}\n')
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9-name.txt"), "w") as fh:  # a name that is not UTF-8
        fh.write("A file whose name is Latin-1, about quolls.\n")

    report = ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert report.added == 6 and not report.skipped, report.to_dict()
    stored = docs_of(conn, collection)
    assert "caf\ufffd-name.txt" in stored
    assert "Le gâteau est délicieux." in texts_of(conn, collection, "latin1.txt")
    assert "\u201cHello\u201d \u2013 it\u2019s a tapir." in texts_of(conn, collection, "cp1252.md")
    assert "ocelot" in texts_of(conn, collection, "broken-utf8.md")
    assert stored["utf16.txt"]["title"] == "Grüße aus Köln"
    assert "lemurs" in texts_of(conn, collection, "bad-bytes")
    searcher = Searcher(conn, collection, embedder)
    for word, doc_id in [("gâteau", "latin1.txt"), ("tapir", "cp1252.md"), ("Dachse", "utf16.txt"), ("quolls", "caf\ufffd-name.txt")]:
        assert searcher.run(word, "keyword", SearchOptions(k=1))[0].doc_id == doc_id
    check_consistency(conn, collection)


def test_binary_files_are_skipped_with_path_and_reason_exit_3(conn: Any, collection: Any, tmp_path: Path) -> None:
    from test_parsers import make_pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    png = b"\x89PNG\r\n\x1a\n" + bytes(random.Random(1).randrange(256) for _ in range(2048))
    (docs / "photo.txt").write_bytes(png)
    (docs / "program.md").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    (docs / "paper.txt").write_bytes(make_pdf(["A PDF wearing a .txt name"]))
    (docs / "archive.html").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    (docs / "image.png").write_bytes(png)  # not a supported type: silently left out of a folder walk
    (docs / "good.md").write_text("# Good\n\nA readable note about kingfishers.\n")
    report_file = tmp_path / "report.json"
    result = run_cli("ingest", str(docs), str(docs / "image.png"), "-c", collection.name, "--report", str(report_file))
    assert result.returncode == 3, result.stderr
    report = json.loads(report_file.read_text())
    reasons = skipped_by_name(report)
    assert set(reasons) == {"photo.txt", "program.md", "paper.txt", "archive.html", "image.png"}, reasons
    assert all(reasons[name].startswith("binary file") for name in ("photo.txt", "program.md", "paper.txt", "archive.html"))
    assert reasons["image.png"] == "unsupported type .png"
    for item in report["skipped_inputs"]:
        assert Path(item["path"]).is_absolute() and f"skipped {item['path']}: {item['reason']}" in result.stderr
    assert report["added"] == 1 and set(docs_of(conn, collection)) == {"good.md"}
    check_consistency(conn, collection)


def test_broken_or_encrypted_pdf_is_skipped_and_the_run_continues(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from test_parsers import encrypt_pdf, make_pdf

    from pgvsearch.ingest import ingest_paths

    good = make_pdf(["The platypus handbook"])
    (tmp_path / "a-broken.pdf").write_bytes(good[: len(good) // 2])
    (tmp_path / "b-encrypted.pdf").write_bytes(encrypt_pdf(make_pdf(["Secret plans"]), "hunter2"))
    (tmp_path / "c-garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (tmp_path / "d-ok.pdf").write_bytes(good)
    (tmp_path / "e-note.md").write_text("# Note\n\nStill ingested after the bad PDFs.\n")
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)])
    reasons = skipped_by_name(report.to_dict())
    assert set(reasons) == {"a-broken.pdf", "b-encrypted.pdf", "c-garbage.pdf"}, reasons
    assert "encrypted" in reasons["b-encrypted.pdf"] and all(reasons.values())
    assert report.added == 2 and set(docs_of(conn, collection)) == {"d-ok.pdf", "e-note.md"}
    assert "platypus" in texts_of(conn, collection, "d-ok.pdf")
    check_consistency(conn, collection)


def test_empty_or_whitespace_files_store_no_empty_chunk_or_zero_vector(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    empties = {
        "empty.txt": b"", "blank.md": b"  \n\t\n\r\n", "nuls.txt": b"  \x00\n\n   \n", "frontmatter-only.md": b"---\ntitle: x\n---\n\n",
        "blank.html": b"<html><head><title>t</title><script>x()</script></head><body> </body></html>",
        "empty.jsonl": b"\n\n", "blank-record.jsonl": b'{"_id": "blank", "text": "   "}\n', "empty.pdf": b"",
    }
    for name, data in empties.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "good.md").write_text("# Good\n\nSomething to index.\n")
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)])
    reasons = skipped_by_name(report.to_dict())
    assert set(reasons) == set(empties) - {"blank-record.jsonl"} | {"blank-record.jsonl:1"}, reasons
    assert all("empty" in reason for reason in reasons.values()), reasons
    assert report.added == 1 and set(docs_of(conn, collection)) == {"good.md"}
    check_consistency(conn, collection)  # includes: no empty chunk, no zero vector


def test_a_5000_character_word_is_ingested_and_postgres_notices_do_not_fail_the_run(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.chunking import Chunk
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    rng = random.Random(5)
    (tmp_path / "repeated.txt").write_text("Long word\n\n" + "a" * 5000 + " then ordinary words about kestrels.\n")
    (tmp_path / "random.md").write_text("# Random\n\n" + "".join(rng.choice(string.ascii_lowercase) for _ in range(5000)) + " falcons\n")
    notices: list[str] = []
    conn.execute("SET client_min_messages = notice")  # let PostgreSQL's notices reach the client
    conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert report.added == 2 and not report.skipped, report.to_dict()
    assert any("too long" in n for n in notices), notices  # PostgreSQL did complain, and nothing failed
    tokenizer = embedder.tokenizer()
    for context, content in conn.execute(f'SELECT context, content FROM "{collection.schema}".chunks').fetchall():
        assert len(tokenizer.encode(Chunk(0, content, context).embed_text).ids) <= embedder.max_seq_length
    assert texts_of(conn, collection, "repeated.txt").count("a") >= 5000  # the word is split across chunks, not dropped
    searcher = Searcher(conn, collection, embedder)
    assert searcher.run("kestrels", "keyword", SearchOptions(k=1))[0].doc_id == "repeated.txt"
    assert searcher.run("falcons", "keyword", SearchOptions(k=1))[0].doc_id == "random.md"
    check_consistency(conn, collection)


def _peak_rss_reset() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak resident size
        return True
    except OSError:
        return False


def _proc_status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(field)


def test_very_large_file_is_ingested_in_bounded_memory_and_max_size_skips_with_reason(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    big = tmp_path / "big"
    big.mkdir()
    rng = random.Random(3)
    lines = [" ".join(rng.choice(VOCAB) for _ in range(14)) + ".\n" for _ in range(2500)]
    text = "Big manual\n\n" + "".join(lines) + "The last line names the zanzibar lighthouse.\n"
    (big / "manual.txt").write_text(text)
    size_mb = len(text) / 2**20
    measured = _peak_rss_reset()
    before = _proc_status_mb("VmRSS")
    report = ingest_paths(conn, collection, FaultyEmbedder(embedder), [str(big)])
    growth = _proc_status_mb("VmHWM") - before
    assert report.added == 1 and report.chunks > 100, report.to_dict()
    assert Searcher(conn, collection, embedder).run("zanzibar lighthouse", "keyword", SearchOptions(k=1))[0].doc_id == "manual.txt"
    if measured:  # one document is held whole (it commits atomically); memory is bounded by --max-size
        assert growth < 250, f"peak RSS grew {growth:.0f} MB for a {size_mb:.2f} MB file"
    check_consistency(conn, collection)

    # Pathological files are skipped, with a reason, before they are read.
    limited = tmp_path / "limited"
    limited.mkdir()
    (limited / "too-big.txt").write_text("x " * 700_000)  # 1.3 MB
    with open(limited / "sparse.txt", "wb") as fh:  # 3 GB that would take minutes (and memory) to read
        fh.truncate(3 * 2**30)
    (limited / "small.md").write_text("# Small\n\nFits under the limit.\n")
    assert "--max-size" in run_cli("ingest", "--help").stdout
    result = run_cli("ingest", str(limited), "-c", collection.name, "--max-size", "1", "-f", "json", timeout=60)
    assert result.returncode == 3, result.stderr
    data = json.loads(result.stdout)
    reasons = skipped_by_name(data)
    assert reasons == {"too-big.txt": "larger than max size (1.3 MB > 1 MB)", "sparse.txt": "larger than max size (3 GB > 1 MB)"}
    assert data["added"] == 1
    result = run_cli("ingest", str(limited / "sparse.txt"), "-c", collection.name, "-f", "json", timeout=60)
    assert result.returncode == 3 and skipped_by_name(json.loads(result.stdout)) == {"sparse.txt": "larger than max size (3 GB > 50 MB)"}
    check_consistency(conn, collection)


def test_symlink_loops_unreadable_and_vanishing_files_are_skipped_and_the_walk_ends(conn: Any, embedder: Any, collection: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pgvsearch.ingest.pipeline as ingest_module
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.sources import Skipped

    root = tmp_path / "kb"
    (root / "sub").mkdir(parents=True)
    for name in ("good.md", "locked.md", "victim.md"):
        (root / name).write_text(f"# {name}\n\nText of {name}.\n")
    assert ingest_paths(conn, collection, embedder, [str(root)]).added == 3

    (root / "loop-a.md").symlink_to("loop-b.md")
    (root / "loop-b.md").symlink_to("loop-a.md")
    (root / "dangling.md").symlink_to("nowhere.md")
    (root / "sub" / "up").symlink_to(root)  # a folder loop: not followed, the walk must still end
    locked = str(root / "locked.md")
    real_open, real_discover = os.open, ingest_module.discover

    def unreadable(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:  # root ignores chmod 000
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_open(path, flags, *args, **kwargs)

    def vanishing(*args: Any, **kwargs: Any) -> Iterator[Any]:  # deleted between the walk and the read
        for item in real_discover(*args, **kwargs):
            if not isinstance(item, Skipped) and item[0].name == "victim.md":
                item[0].unlink()
            yield item

    monkeypatch.setattr(os, "open", unreadable)
    monkeypatch.setattr(ingest_module, "discover", vanishing)
    report = ingest_paths(conn, collection, embedder, [str(root)], prune=True)
    monkeypatch.undo()
    assert skipped_by_name(report.to_dict()) == {
        "loop-a.md": "symlink loop", "loop-b.md": "symlink loop", "dangling.md": "broken symlink",
        "locked.md": "permission denied", "victim.md": "file vanished during the run",
    }
    # A file skipped this time is not a deleted file: even --prune keeps its document.
    assert (report.unchanged, report.deleted) == (1, 0) and set(docs_of(conn, collection)) == {"good.md", "locked.md", "victim.md"}
    check_consistency(conn, collection)
    report = ingest_paths(conn, collection, embedder, [str(root)], prune=True)
    assert (report.unchanged, report.deleted) == (2, 1) and set(docs_of(conn, collection)) == {"good.md", "locked.md"}
    check_consistency(conn, collection)


def test_malformed_jsonl_lines_are_reported_with_line_numbers_and_the_rest_ingested(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    rng = random.Random(9)
    long_id = "".join(rng.choice(string.ascii_letters) for _ in range(4000))  # incompressible, too long for a btree entry
    lines = [
        '{"_id": "r1", "text": "first good record"}',
        '{"_id": "r2", "text": ',
        "not json at all",
        "[1, 2, 3]",
        '{"_id": "r5"}',
        '{"_id": "r6", "text": "huge numbers in the metadata", "score": 1e400, "low": -1e999}',
        json.dumps({"_id": long_id, "text": "a record whose id the database refuses"}),
        '{"_id": "r8", "text": "last good record"}',
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)])
    skipped = {item["path"]: item["reason"] for item in report.to_dict()["skipped_inputs"]}
    assert skipped.keys() == {f"{path}:2", f"{path}:3", f"{path}:4", f"{path}:5", f"{path}#L7"}, skipped
    for n in (2, 3, 4, 5):
        assert f"line {n}" in skipped[f"{path}:{n}"]
    assert "malformed JSON" in skipped[f"{path}:2"] and "missing text" in skipped[f"{path}:5"]
    assert skipped[f"{path}#L7"].startswith("refused by the database:")
    stored = docs_of(conn, collection)
    assert set(stored) == {"r1", "r6", "r8"} and report.added == 3
    assert stored["r6"]["metadata"]["score"] is None and stored["r6"]["metadata"]["low"] is None
    check_consistency(conn, collection)


def test_nan_inf_or_wrong_length_vectors_are_refused_and_nothing_bad_is_written(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    faulty = FaultyEmbedder(embedder)
    (tmp_path / "good-1.md").write_text("# One\n\nA healthy document.\n")
    (tmp_path / "flaky.md").write_text("# Flaky\n\nFine the first time.\n")
    assert ingest_paths(conn, collection, faulty, [str(tmp_path)]).added == 2
    first = docs_of(conn, collection)["flaky.md"]

    (tmp_path / "flaky.md").write_text("# Flaky\n\nNow the model returns NANMARKER for it.\n")
    (tmp_path / "good-2.md").write_text("# Two\n\nAnother healthy document.\n")
    bad = {"nan.md": "NANMARKER", "inf.md": "INFMARKER", "zero.md": "ZEROMARKER", "wrong-dim.md": "WRONGDIMMARKER", "few-rows.md": "FEWROWSMARKER"}
    for name, marker in bad.items():
        (tmp_path / name).write_text(f"# {name}\n\nThis text makes the model misbehave: {marker}.\n")
    report = ingest_paths(conn, collection, faulty, [str(tmp_path)])
    data = report.to_dict()
    reasons = skipped_by_name(data)
    assert set(reasons) == set(bad) | {"flaky.md"}, reasons
    assert all(reason.startswith("refused: model returned") for reason in reasons.values()), reasons
    assert "NaN or infinite" in reasons["nan.md"] and "NaN or infinite" in reasons["inf.md"] and "all-zero" in reasons["zero.md"]
    assert "shape" in reasons["wrong-dim.md"] and "shape" in reasons["few-rows.md"]
    assert (data["added"], data["unchanged"], data["skipped"]) == (1, 1, 6) and report.partial
    stored = docs_of(conn, collection)
    assert set(stored) == {"good-1.md", "good-2.md", "flaky.md"}
    assert stored["flaky.md"] == first  # the refused new version left the old one untouched
    check_consistency(conn, collection)
    # A refused document is not a deleted file: --prune keeps it.
    report = ingest_paths(conn, collection, faulty, [str(tmp_path)], prune=True)
    assert report.deleted == 0 and set(docs_of(conn, collection)) == set(stored)
    check_consistency(conn, collection)

    # A model that crashes outright fails the run: the error propagates, nothing is pruned.
    class CrashingEmbedder(FaultyEmbedder):
        def embed(self, texts: Sequence[str], batch_size: int = 32) -> Any:
            if any("CRASHMARKER" in t for t in texts):
                raise RuntimeError("the model crashed")
            return super().embed(texts, batch_size)

    (tmp_path / "good-1.md").unlink()
    (tmp_path / "crash.md").write_text("# Crash\n\nCRASHMARKER\n")
    with pytest.raises(RuntimeError, match="the model crashed"):
        ingest_paths(conn, collection, CrashingEmbedder(embedder), [str(tmp_path)], prune=True)
    assert set(docs_of(conn, collection)) == set(stored)
    check_consistency(conn, collection)


def test_model_dimension_mismatch_exits_4_before_any_input_is_read(conn: Any, embedder: Any, collection: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pgvsearch.ingest.pipeline as ingest_module
    from pgvsearch.errors import ConfigError
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.store import init_collection

    name = unique_name()
    init_collection(conn, name, model=embedder.model_name, dimension=768, max_seq_length=256)
    # stdin is a pipe nobody writes to or closes: reading any input would block forever.
    with cli_process("ingest", "-", "-c", name, stdin=subprocess.PIPE) as proc:
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("ingest started reading its input before checking the model's dimension")
        assert proc.stderr is not None
        stderr = proc.stderr.read()
    assert code == 4
    (line,) = error_lines(stderr)
    assert "384" in line and "768" in line and "init" in line and "Traceback" not in stderr

    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an input was read")

    monkeypatch.setattr(ingest_module, "discover", no_reading)
    monkeypatch.setattr(ingest_module, "parse_stream", no_reading)
    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    with pytest.raises(ConfigError, match=r"8-dimensional.*stores 384"):
        ingest_paths(conn, collection, FaultyEmbedder(embedder, dimension=8), [str(tmp_path), "-"])
    assert document_count(conn, collection) == 0


# === Faults ==================================================================================
@pytest.mark.parametrize("case", ["server down", "unknown host", "never answers"])
def test_unreachable_database_exits_5_within_the_connect_timeout(case: str, pgvs_home: Path, tmp_path: Path) -> None:
    timeout = 2
    secret = "s3cret-Pa55-" + uuid.uuid4().hex[:6]
    listener = None
    if case == "server down":  # a socket folder where no server listens
        target, dsn, command = f"{tmp_path}:5432", f"host={tmp_path} port=5432 user=alice password={secret} dbname=app", ["ingest", str(tmp_path)]
    elif case == "unknown host":
        target, dsn, command = "db.invalid:5432", f"postgresql://alice:{secret}@db.invalid:5432/app", ["hybrid", "anything"]
    else:  # accepts TCP connections into its backlog but never says a word
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        target, dsn, command = f"127.0.0.1:{port}", f"postgresql://alice:{secret}@127.0.0.1:{port}/app", ["status"]
    try:
        for debug in ([], ["--debug"]):
            started = time.monotonic()
            result = run_cli(*command, "--dsn", dsn, *debug, env={"PGVSEARCH_CONNECT_TIMEOUT": str(timeout)}, timeout=60)
            elapsed = time.monotonic() - started
            assert result.returncode == 5, result.stderr
            assert elapsed < timeout + 10, f"took {elapsed:.1f}s"
            assert secret not in result.stderr + result.stdout
            assert f"cannot connect to PostgreSQL at {target}" in result.stderr
            if debug:
                assert "Traceback" in result.stderr
            else:
                assert len(error_lines(result.stderr)) == 1 and result.stdout == ""
            if case == "never answers":
                assert "timeout" in result.stderr
    finally:
        if listener is not None:
            listener.close()


@pytest.mark.parametrize("form", ["dsn", "uri", "PGPASSWORD"])
def test_wrong_password_exits_5_and_the_password_appears_nowhere(form: str, second_server: Any) -> None:
    host, port = second_server.socket_dir, second_server.port

    def connection(password: str) -> tuple[list[str], dict[str, str]]:
        if form == "dsn":
            return ["--dsn", f"host={host} port={port} user={ROLE} dbname=pgvsearch password={password}"], {}
        if form == "uri":
            return ["--dsn", f"postgresql://{ROLE}:{password}@/pgvsearch?host={host}&port={port}"], {}
        return [], {"PGHOST": host, "PGPORT": str(port), "PGUSER": ROLE, "PGDATABASE": "pgvsearch", "PGPASSWORD": password}

    for debug in ([], ["--debug"]):
        args, env = connection(WRONG_PASSWORD)
        result = run_cli("status", "-c", "remote", "-f", "json", *args, *debug, env=env)
        assert result.returncode == 5, result.stderr
        output = result.stdout + result.stderr
        assert WRONG_PASSWORD not in output and RIGHT_PASSWORD not in output
        assert f"{host}:{port}/pgvsearch" in result.stderr and "password authentication failed" in result.stderr
        assert ("Traceback" in result.stderr) == bool(debug)
    args, env = connection(RIGHT_PASSWORD)
    result = run_cli("status", "-c", "remote", "-f", "json", "--debug", *args, env=env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["database"] == f"{host}:{port}/pgvsearch" and status["collection"] == "remote"
    assert RIGHT_PASSWORD not in result.stdout + result.stderr


def test_sigkill_during_ingest_leaves_no_partial_document_and_a_rerun_matches_a_clean_run(conn: Any, collection: Any, corpus: Path, reference: Any) -> None:
    with cli_process("ingest", str(corpus), "-c", collection.name, *BATCH, "-q") as proc:
        wait_until(lambda: document_count(conn, collection), proc, what="the first committed batch")
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Also waits for the lock to go. The first load of an empty collection builds the HNSW index
    # at its end, so the kill left it missing: the rerun below must build it.
    committed = check_consistency(conn, collection, vector_index=False)["documents"]
    assert 0 < committed < N_NOTES, "the kill should land mid-run"
    visible = snapshot(conn, collection)
    assert all(reference[doc_id] == value for doc_id, value in visible.items())
    result = run_cli("ingest", str(corpus), "-c", collection.name, *BATCH, "-f", "json", "-q")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["added"], data["unchanged"], data["skipped"]) == (N_NOTES - committed, committed, 0)
    check_consistency(conn, collection)
    assert snapshot(conn, collection) == reference


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_or_sigterm_during_ingest_finishes_or_rolls_back_prints_a_summary_and_exits_130(
    sig: signal.Signals, conn: Any, embedder: Any, collection: Any, corpus: Path, reference: Any, tmp_path: Path
) -> None:
    from pgvsearch.ingest import ingest_paths

    # Documents whose files are gone: only a run that completes may --prune them.
    stale = [corpus / f"stale-{i}.txt" for i in range(3)]
    for i, path in enumerate(stale):
        path.write_text(f"Stale {i}\n\nA note deleted since the last run.\n")
    try:
        assert ingest_paths(conn, collection, embedder, [str(p) for p in stale]).added == 3
    finally:
        for path in stale:
            path.unlink()
    # A signal before the pipeline starts (connected, loading the model) is an interruption too.
    spawned = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    with cli_process("ingest", str(corpus), "-c", collection.name, *BATCH, "--prune") as proc:
        wait_until(lambda: pgvsearch_backends_since(conn, spawned), proc, what="the ingest to connect")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and error_lines(err)[-1:] == ["pgvsearch: interrupted"], (proc.returncode, err)
    assert document_count(conn, collection) == len(stale)

    report_file = tmp_path / "report.json"
    with cli_process("ingest", str(corpus), "-c", collection.name, *BATCH, "--prune", "--report", str(report_file)) as proc:
        wait_until(lambda: document_count(conn, collection) > len(stale), proc, what="the first committed batch")
        with frozen(proc):  # the signal arrives mid-run, while a batch is being embedded or written
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and any(" added, " in line for line in err.splitlines()), err
    assert err.splitlines()[-2].startswith("interrupted:") and err.splitlines()[-1] == "pgvsearch: interrupted", err
    report = json.loads(report_file.read_text())
    assert report["interrupted"] is True and report["deleted"] == 0
    check_consistency(conn, collection)
    visible = snapshot(conn, collection)
    assert {f"stale-{i}.txt" for i in range(3)} <= visible.keys(), "prune must not run after an interrupted run"
    committed = {k: v for k, v in visible.items() if not k.startswith("stale-")}
    assert 0 < len(committed) < N_NOTES and report["added"] == len(committed)
    assert all(reference[doc_id] == value for doc_id, value in committed.items())

    result = run_cli("ingest", str(corpus), "-c", collection.name, *BATCH, "--prune", "-f", "json", "-q")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["added"], data["unchanged"], data["deleted"]) == (N_NOTES - len(committed), len(committed), 3)
    check_consistency(conn, collection)
    assert snapshot(conn, collection) == reference


def test_two_ingests_of_one_collection_one_exits_75_the_other_waits_with_wait(conn: Any, collection: Any, corpus: Path, reference: Any) -> None:
    with cli_process("ingest", str(corpus), "-c", collection.name, *BATCH, "-q") as first:
        wait_until(lambda: document_count(conn, collection), first, what="the first committed batch")
        os.kill(first.pid, signal.SIGSTOP)  # it holds the collection's ingest lock, mid-run, for as long as we need
        try:
            assert len(ingest_lock_sessions(conn, collection.name, granted=True)) == 1
            check_consistency(conn, collection, locks=False, vector_index=False)  # mid-run, only whole documents are visible
            second = run_cli("ingest", str(corpus), "-c", collection.name, *BATCH, "-f", "json", timeout=120)
            assert second.returncode == 75, second.stderr
            (line,) = error_lines(second.stderr)
            assert line.startswith("pgvsearch: error: another ingest") and "--wait" in line and second.stdout == ""
            with cli_process("ingest", str(corpus), "-c", collection.name, *BATCH, "--wait", "-f", "json", "-q") as waiting:
                wait_until(lambda: ingest_lock_sessions(conn, collection.name, granted=False), waiting, what="--wait to queue for the lock")
                os.kill(first.pid, signal.SIGCONT)
                assert first.wait(timeout=180) == 0
                out, err = waiting.communicate(timeout=180)
        finally:
            if first.poll() is None:
                os.kill(first.pid, signal.SIGCONT)
    assert waiting.returncode == 0, err
    data = json.loads(out)
    assert (data["added"], data["updated"], data["unchanged"]) == (0, 0, N_NOTES)  # it ran after the first one finished
    check_consistency(conn, collection)
    assert snapshot(conn, collection) == reference


def test_dropped_connection_mid_ingest_exits_5_keeps_committed_documents_and_a_rerun_completes(conn: Any, collection: Any, corpus: Path, reference: Any) -> None:
    with cli_process("ingest", str(corpus), "-c", collection.name, *BATCH) as proc:
        wait_until(lambda: document_count(conn, collection), proc, what="the first committed batch")
        with frozen(proc):
            backends = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgvsearch' AND pid <> pg_backend_pid() AND datname = current_database()"
            ).fetchall()
            (pid,) = ingest_lock_sessions(conn, collection.name, granted=True)
            assert (pid,) in backends
            assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 5, err
    (line,) = error_lines(err)
    assert line.startswith("pgvsearch: error:") and "connection" in line and "Traceback" not in err
    committed = check_consistency(conn, collection, vector_index=False)["documents"]  # built at the end of the rerun
    assert 0 < committed < N_NOTES
    assert all(reference[doc_id] == value for doc_id, value in snapshot(conn, collection).items())
    result = run_cli("ingest", str(corpus), "-c", collection.name, *BATCH, "-f", "json", "-q")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == N_NOTES - committed
    check_consistency(conn, collection)
    assert snapshot(conn, collection) == reference


def test_concurrent_init_runs_all_succeed_and_the_schema_is_intact(second_server: Any, tmp_path: Path) -> None:
    import psycopg

    from pgvsearch.store import get_collection

    database = unique_name("fresh")  # no pgvector, no registry yet: every CREATE races
    with psycopg.connect(second_server.conninfo(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    dsn = second_server.conninfo(database)
    names = ["docs", "docs", "docs", "other"]
    with cli_process("init", "-c", names[0], "--dsn", dsn, "-f", "json") as a, \
         cli_process("init", "-c", names[1], "--dsn", dsn, "-f", "json") as b, \
         cli_process("init", "-c", names[2], "--dsn", dsn, "-f", "json") as c, \
         cli_process("init", "-c", names[3], "--dsn", dsn, "-f", "json") as d:
        results = [p.communicate(timeout=180) for p in (a, b, c, d)]
        codes = [p.returncode for p in (a, b, c, d)]
    assert codes == [0, 0, 0, 0], results
    created = [json.loads(out)["created"] for out, _ in results]
    assert sorted(created[:3]) == [False, False, True] and created[3] is True
    with psycopg.connect(dsn, autocommit=True) as check:
        assert [r[0] for r in check.execute("SELECT name FROM pgvsearch.collections ORDER BY name").fetchall()] == ["docs", "other"]
        for name in ("docs", "other"):
            check_consistency(check, get_collection(check, name))
    (tmp_path / "a.md").write_text("# After init\n\nThe collection works: wombats.\n")
    result = run_cli("ingest", str(tmp_path), "-c", "docs", "--dsn", dsn, "-f", "json", "-q")
    assert result.returncode == 0 and json.loads(result.stdout)["added"] == 1, result.stderr
    hits = run_cli("keyword", "wombats", "-c", "docs", "--dsn", dsn, "-f", "json")
    assert json.loads(hits.stdout.splitlines()[0])["doc_id"] == "a.md"


# === Hostile text ============================================================================
HOSTILE = [
    "it's a \"quoted\" name",
    "semi;colon; DROP TABLE documents; --",
    "'); DROP TABLE pgvsearch.collections; --",
    "back\\slash \\' \\\\ end",
    "ünïcødé 日本語 🚀 \u202eevil",
    "%s %(doc_ids)s {schema} $1 :name",
]
ANIMALS = ["pelican", "walrus", "toucan", "marmot", "ibis", "tapir"]


def test_hostile_doc_ids_file_names_and_metadata_keys_are_data(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.search import SearchOptions, Searcher

    docs = tmp_path / "docs"
    docs.mkdir()
    records = []
    for hostile, animal in zip(HOSTILE, ANIMALS):
        (docs / f"{hostile}.md").write_text(f"# {hostile}\n\nA file about the {animal}.\n")
        records.append({"_id": hostile, "title": hostile, "text": f"A record about the {animal}s and {hostile}", hostile: hostile, "kind": hostile})
    (docs / "records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    tables_before = conn.execute("SELECT count(*) FROM pg_tables").fetchone()[0]
    result = run_cli("ingest", str(docs), "-c", collection.name, "-f", "json", "-q")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 2 * len(HOSTILE)
    stored = docs_of(conn, collection)
    assert set(stored) == {f"{h}.md" for h in HOSTILE} | set(HOSTILE)
    searcher = Searcher(conn, collection, embedder)
    for hostile, animal in zip(HOSTILE, ANIMALS):
        assert stored[hostile]["metadata"][hostile] == hostile
        hits = searcher.run(animal, "keyword", SearchOptions(k=5, prefix=f"{hostile}.md"))
        assert [h.doc_id for h in hits] == [f"{hostile}.md"]
        hits = searcher.run(animal, "hybrid", SearchOptions(k=5, metadata={hostile: hostile, "kind": hostile}))
        assert [h.doc_id for h in hits] == [hostile]
    hostile = HOSTILE[2]
    result = run_cli("keyword", "record", "-c", collection.name, "--meta", f"{hostile}={hostile}", "--prefix", hostile, "-f", "json")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["doc_id"] for line in result.stdout.splitlines()] == [hostile]
    assert conn.execute("SELECT count(*) FROM pg_tables").fetchone()[0] == tables_before
    assert conn.execute("SELECT count(*) FROM pgvsearch.collections WHERE name = %s", (collection.name,)).fetchone()[0] == 1
    check_consistency(conn, collection)


# === Reporting for cron ======================================================================
def test_ingest_report_and_json_output_list_every_skipped_input_and_warning(conn: Any, collection: Any, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Good\n\nA note about herons.\n")
    (docs / "nul.txt").write_bytes(b"Nul\n\nbytes\x00 inside\n")
    (docs / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    (docs / "records.jsonl").write_text('{"_id": "r1", "text": "fine"}\n{"_id": broken\n')
    report_file = tmp_path / "out" / "report.json"
    report_file.parent.mkdir()

    result = run_cli("ingest", str(docs), "-c", collection.name, "--report", str(report_file), "-f", "json", "-q")
    assert result.returncode == 3, result.stderr
    report = json.loads(report_file.read_text())
    assert json.loads(result.stdout) == report
    # -q: no summary, but each skipped input gets one line: that is what a cron job must hear about.
    assert sorted(result.stderr.splitlines()) == sorted(f"skipped {i['path']}: {i['reason']}" for i in report["skipped_inputs"])
    expected_keys = {"collection", "added", "updated", "unchanged", "deleted", "skipped", "chunks", "embedded_chunks", "seconds",
                     "embed_seconds", "db_seconds", "index_seconds", "chunks_per_second", "interrupted", "error", "skipped_inputs", "warnings",
                     # what the walk left out, accounted for (issue: nothing ignored in silence)
                     "ignored", "ignored_by_type", "ignored_over_max_size", "ignored_inputs", "not_selected", "hidden"}
    assert set(report) == expected_keys
    assert (report["collection"], report["added"], report["skipped"], report["interrupted"]) == (collection.name, 3, 2, False)
    assert {item["path"] for item in report["skipped_inputs"]} == {str(docs / "binary.txt"), f"{docs / 'records.jsonl'}:2"}
    assert all(item["reason"] for item in report["skipped_inputs"])
    assert report["warnings"] == [{"path": str(docs / "nul.txt"), "warning": "removed 1 NUL byte"}]

    again = run_cli("ingest", str(docs), "-c", collection.name, "--report", str(report_file), "-q")
    assert again.returncode == 3  # still something skipped
    assert json.loads(report_file.read_text())["unchanged"] == 3
    clean = run_cli("ingest", str(docs / "good.md"), str(docs / "nul.txt"), "-c", collection.name, "--report", str(report_file))
    assert clean.returncode == 0, clean.stderr
    report = json.loads(report_file.read_text())
    assert (report["unchanged"], report["skipped"], report["skipped_inputs"]) == (2, 0, [])
    check_consistency(conn, collection)
