"""Nothing ignored in silence: every file of a folder walk is read or accounted for; plain .json;
--text globs; two folders whose files share names (--root, then each folder alone)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conftest import run_cli


def _doc_ids(conn: Any, collection: Any) -> dict[str, str]:
    rows = conn.execute(f'SELECT doc_id, source FROM "{collection.schema}".documents').fetchall()
    return {doc_id: source for doc_id, source in rows}


def _bad_folder(root: Path) -> Path:
    """The folder of the report: a 52 MB log, a small log, NOTES, a huge .json, and documents."""
    bad = root / "bad"
    bad.mkdir()
    (bad / "guide.md").write_text("# Guide\n\nHow to rotate the API keys of a project.\n")
    (bad / "faq.txt").write_text("FAQ\n\nRefunds take five business days.\n")
    with open(bad / "app.log", "wb") as f:  # sparse: 52 MB without writing them
        f.truncate(52 * 1024 * 1024)
    (bad / "small.log").write_text("2026-12-01 12:00:01 ERROR payment gateway timeout for order 1234\n")
    (bad / "NOTES").write_text("Remember: the staging database is rebuilt every night at 02:00.\n")
    with open(bad / "huge.json", "wb") as f:
        f.truncate(3 * 1024 * 1024)
    (bad / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (bad / ".env").write_text("SECRET=1\n")
    (bad / ".git").mkdir()
    (bad / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return bad


def test_a_folder_walk_accounts_for_every_file(collection: Any, tmp_path: Path) -> None:
    bad = _bad_folder(tmp_path)
    report_file = tmp_path / "report.json"
    result = run_cli("ingest", str(bad), "-c", collection.name, "--max-size", "2", "--report", str(report_file))
    assert result.returncode == 3, result.stderr  # huge.json is over --max-size: a skip with a reason
    report = json.loads(report_file.read_text())
    assert report["added"] == 2
    assert [s["path"] for s in report["skipped_inputs"]] == [str(bad / "huge.json")]
    assert "larger than" in report["skipped_inputs"][0]["reason"] or "max" in report["skipped_inputs"][0]["reason"]
    assert report["ignored"] == 4
    assert report["ignored_by_type"] == {".log": 2, ".png": 1, "(no extension)": 1}
    assert report["ignored_over_max_size"] == 1
    listed = {Path(item["path"]).name: item["reason"] for item in report["ignored_inputs"]}
    assert set(listed) == {"app.log", "small.log", "NOTES"}  # the image is counted, not listed
    assert "over --max-size" in listed["app.log"] and "--text" in listed["NOTES"]
    assert report["hidden"] == 2  # .env and .git (the folder once, not its files)
    summary = result.stderr
    assert "4 files ignored (.log ×2, .png ×1, no extension ×1; 1 over --max-size; the JSON report lists them)" in summary, summary
    assert "2 hidden files or folders left out" in summary


def test_text_globs_read_any_file_as_plain_text(conn: Any, collection: Any, tmp_path: Path) -> None:
    bad = _bad_folder(tmp_path)
    os.remove(bad / "app.log")
    os.remove(bad / "huge.json")
    result = run_cli("ingest", str(bad), "-c", collection.name, "--text", "*.log", "--text", "NOTES", "-f", "json", "-q")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["added"] == 4 and data["ignored_by_type"] == {".png": 1}
    assert {"small.log", "NOTES"} <= set(_doc_ids(conn, collection))
    hits = run_cli("keyword", "staging database rebuilt", "-c", collection.name, "-f", "json")
    assert json.loads(hits.stdout.splitlines()[0])["doc_id"] == "NOTES"


def test_json_files_are_documents_or_ignored_and_pruned_by_object(conn: Any, collection: Any, tmp_path: Path) -> None:
    docs = tmp_path / "kb"
    docs.mkdir()
    articles = docs / "articles.json"
    articles.write_text(json.dumps([
        {"_id": "a1", "title": "Refunds", "text": "Refunds take five business days.", "team": "billing"},
        {"title": "Shipping", "text": "Parcels ship within two days."},
    ], indent=2))
    (docs / "one.json").write_text(json.dumps({"_id": "solo", "text": "A single object is one document."}))
    (docs / "package.json").write_text(json.dumps({"name": "site", "version": "1.0.0"}))
    (docs / "broken.json").write_text('{"text": "unterminated')
    result = run_cli("ingest", str(docs), "-c", collection.name, "-f", "json", "-q")
    assert result.returncode == 3, result.stderr  # broken.json is a skip with its reason
    data = json.loads(result.stdout)
    assert data["added"] == 3 and data["skipped"] == 1 and "malformed JSON" in data["skipped_inputs"][0]["reason"]
    assert [Path(i["path"]).name for i in data["ignored_inputs"]] == ["package.json"]
    ids = _doc_ids(conn, collection)
    assert {"a1", "solo"} <= set(ids) and any(i.startswith("articles.json#L") for i in ids)
    meta = conn.execute(f'SELECT metadata FROM "{collection.schema}".documents WHERE doc_id = %s', ("a1",)).fetchone()[0]
    assert meta["team"] == "billing" and meta["line"] == 2
    # An object that leaves the file is pruned; the others are unchanged.
    articles.write_text(json.dumps([{"_id": "a1", "title": "Refunds", "text": "Refunds take five business days.", "team": "billing"}], indent=2))
    (docs / "broken.json").unlink()
    again = json.loads(run_cli("ingest", str(docs), "-c", collection.name, "--prune", "-f", "json", "-q").stdout)
    assert (again["deleted"], again["unchanged"], again["added"]) == (1, 2, 0), again
    assert not any(i.startswith("articles.json#L") for i in _doc_ids(conn, collection))


def test_two_folders_with_the_same_file_names_keep_them_apart_with_root(conn: Any, collection: Any, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for project, body in (("flask", "Flask registers blueprints on the app."), ("requests", "Requests sends HTTP requests.")):
        folder = src / project / "docs"
        folder.mkdir(parents=True)
        (folder / "api.rst").write_text(f"API\n===\n\n{body}\n")
        (folder / f"{project}-only.rst").write_text(f"{project}\n=====\n\nOnly in {project}.\n")
    flask, requests = src / "flask" / "docs", src / "requests" / "docs"
    clash = run_cli("ingest", str(flask), str(requests), "-c", collection.name, "-q")
    assert clash.returncode == 3 and f"pass --root {src}" in clash.stderr, clash.stderr
    outside = run_cli("ingest", str(flask), "-c", collection.name, "--root", str(requests))
    assert outside.returncode == 2 and "outside" in outside.stderr
    both = json.loads(run_cli("ingest", str(flask), str(requests), "-c", collection.name, "--root", str(src), "-f", "json", "-q").stdout)
    assert both["skipped"] == 0
    ids = _doc_ids(conn, collection)
    assert {"flask/docs/api.rst", "requests/docs/api.rst", "flask/docs/flask-only.rst", "requests/docs/requests-only.rst"} <= set(ids)
    # One folder alone later, with --prune: its documents keep their wider doc_ids, the other's stay.
    alone = json.loads(run_cli("ingest", str(flask), "-c", collection.name, "--prune", "-f", "json", "-q").stdout)
    assert (alone["added"], alone["deleted"], alone["skipped"]) == (0, 0, 0), alone
    after = _doc_ids(conn, collection)
    assert {"flask/docs/api.rst", "requests/docs/api.rst"} <= set(after) and "api.rst" not in after
    assert len(after) == len(ids)


def test_a_file_over_max_size_read_with_text_is_a_skip(collection: Any, tmp_path: Path) -> None:
    """--max-size limits what is read: the 52 MB log ignored by type is not a failure (exit 0),
    the same log read with --text is a skip with its reason (exit 3)."""
    bad = _bad_folder(tmp_path)
    os.remove(bad / "huge.json")
    ignored = json.loads(run_cli("ingest", str(bad), "-c", collection.name, "-f", "json", "-q").stdout)
    assert (ignored["skipped"], ignored["ignored_over_max_size"]) == (0, 1), ignored
    result = run_cli("ingest", str(bad), "-c", collection.name, "--text", "*.log", "-f", "json", "-q")
    assert result.returncode == 3, result.stderr
    data = json.loads(result.stdout)
    assert [(Path(s["path"]).name, s["reason"]) for s in data["skipped_inputs"]] == [("app.log", "larger than max size (52 MB > 50 MB)")]
    assert data["added"] == 1 and data["ignored_by_type"] == {".png": 1, "(no extension)": 1}  # small.log read as text


def test_a_large_json_array_is_read_in_linear_time(tmp_path: Path) -> None:
    """An 8 MB array of 32,000 objects took minutes when each object copied the rest of the text."""
    import time

    from pgvsearch.sources import parse_file

    path = tmp_path / "kb" / "articles.json"
    path.parent.mkdir()
    objects = [{"_id": f"a{i}", "title": f"Article {i}", "text": "word " * 40} for i in range(32_000)]
    path.write_text(json.dumps(objects, indent=2))
    started = time.perf_counter()
    docs = list(parse_file(path, path.parent))
    assert time.perf_counter() - started < 30
    assert [d.doc_id for d in docs[:2]] == ["a0", "a1"] and len(docs) == 32_000
    assert [d.line for d in docs[:3]] == [2, 7, 12] and docs[-1].line == 2 + 5 * 31_999


def test_each_of_two_folders_alone_later_keeps_the_other_and_names_new_files_with_root(conn: Any, collection: Any, tmp_path: Path) -> None:
    """After --root src, each folder ingested alone (and pruned) leaves the other's documents alone;
    a file new to it is named relative to the folder given, unless --root is given again, and a
    clash that makes says how to avoid it; --root later renames it to the wider doc_id."""
    src = tmp_path / "src"
    flask, requests = src / "flask" / "docs", src / "requests" / "docs"
    for folder in (flask, requests):
        folder.mkdir(parents=True)
        (folder / "api.rst").write_text(f"API\n===\n\nThe API of {folder.parent.name}.\n")
    assert run_cli("ingest", str(flask), str(requests), "-c", collection.name, "--root", str(src), "-q").returncode == 0
    for folder in (flask, requests):
        (folder / "changes.rst").write_text(f"Changes\n=======\n\nWhat changed in {folder.parent.name}.\n")
    (flask / "faq.json").write_text(json.dumps([{"text": "Flask questions and answers."}]))

    def ingest(folder: Path, *extra: str) -> tuple[int, dict[str, Any]]:
        result = run_cli("ingest", str(folder), "-c", collection.name, "--prune", "-f", "json", "-q", *extra)
        return result.returncode, json.loads(result.stdout)

    code, alone = ingest(flask)
    assert (code, alone["added"], alone["unchanged"], alone["deleted"]) == (0, 2, 1, 0), alone
    assert {"changes.rst", "faq.json#L1", "requests/docs/api.rst"} <= set(_doc_ids(conn, collection))
    code, clash = ingest(requests)
    assert (code, clash["added"], clash["deleted"]) == (3, 0, 0), clash
    assert [s["path"] for s in clash["skipped_inputs"]] == [str(requests / "changes.rst")]
    assert f"already holds {flask / 'changes.rst'}" in clash["skipped_inputs"][0]["reason"]
    assert f"pass --root {src}" in clash["skipped_inputs"][0]["reason"]
    code, rooted = ingest(requests, "--root", str(src))
    assert (code, rooted["added"], rooted["deleted"], rooted["skipped"]) == (0, 1, 0, 0), rooted
    code, renamed = ingest(flask, "--root", str(src))
    assert (code, renamed["updated"], renamed["unchanged"], renamed["deleted"]) == (0, 2, 1, 0), renamed
    ids = {"flask/docs/api.rst", "flask/docs/changes.rst", "flask/docs/faq.json#L1", "requests/docs/api.rst", "requests/docs/changes.rst"}
    assert set(_doc_ids(conn, collection)) == ids
    (flask / "changes.rst").unlink()
    code, pruned = ingest(flask)
    assert (code, pruned["deleted"], pruned["unchanged"]) == (0, 1, 2), pruned
    code, whole = ingest(src)
    assert (code, whole["added"], whole["updated"], whole["deleted"], whole["unchanged"]) == (0, 0, 0, 0, 4), whole
    assert set(_doc_ids(conn, collection)) == ids - {"flask/docs/changes.rst"}
