"""Fuzz campaign of `pgvsearch ingest` on generated folders.

Each run writes or changes a folder of random files (names with Unicode, newlines, leading
dashes, undecodable bytes, 255-byte names; sizes from empty to 60 KB; UTF-8,
UTF-16, Latin-1, Shift-JIS, binary, NUL bytes; Markdown, HTML, reST, JSON Lines, PDFs with
broken bytes; symlinks to files and folders, loops, dangling links, FIFOs), then runs the
ingest CLI on it with random options, and checks:

- no traceback on stderr, and an exit code from the documented set (errors.py): 0 or 3, or 2
  for an invocation that is deliberately malformed; 1 (unexpected error) is always a failure;
- the JSON report on stdout parses and counts what happened;
- the collection's consistency check (tests/consistency.py) passes after every run.

It stops by itself after --runs runs or --seconds seconds, whichever comes first, and prints
a JSON summary on stdout (runs, examples, failures, exit-code histogram). Exit 0 when no run
failed. Everything is drawn from one seed (--seed), so a failure is reproduced by its seed
and run number.

    .venv/bin/python benchmarks/fuzz.py --seconds 1200 --runs 100000 --seed 1
    .venv/bin/python benchmarks/fuzz.py --runs 20 --home ~/.local/share/pgvsearch   # an existing home
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable

EXPECTED_CODES = {0, 3}  # ok, partial success (inputs skipped)
MALFORMED_CODES = {2}  # a usage error, for an invocation built to be wrong

NAME_PIECES = [
    "notes", "README", "a", "x", "données", "東京", "файл", "😀", "ﬁle", "İ", "ß", "e\u0301", "\u200b", "\u202e",
    " ", "  lead", "trail ", "-", "--", "-rf", "--help", "-c", "$HOME", "`id`", "'q'", '"dq"', "*", "?", "[a]",
    "\\", "%s", "{x}", "#L12", "..", ".", "\t", "\n", "\r", "CON", "nul", "~", "=", ";", "|", "&",
]
SUFFIXES = [".md", ".md", ".txt", ".txt", ".markdown", ".rst", ".html", ".htm", ".jsonl", ".ndjson", ".pdf",
            ".MD", ".Txt", ".bin", ".png", "", ".md.bak", ".jsonl.txt"]
SKIPPED_FOLDERS = [".git", "node_modules", ".venv", ".hidden", "__pycache__"]
ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252", "shift_jis", "koi8-r"]
WORDS = ("the refund policy takes five business days password reset login token boundary layer pressure wing "
         "über naïve café 東京 данные ß İ ﬁ 😀 x86_64 e=mc² C++ #hash --flag -x NULL ' \" ; DROP TABLE").split()


# --------------------------------------------------------------------------------------------
# Generated content
# --------------------------------------------------------------------------------------------


def random_name(rng: random.Random, *, suffix: bool = True) -> bytes:
    """A file name as bytes: Unicode pieces, control characters, leading dashes, sometimes
    bytes that are not UTF-8, sometimes the longest name the filesystem allows."""
    parts = [rng.choice(NAME_PIECES) for _ in range(rng.randint(1, 4))]
    name = "".join(parts).replace("/", "_").encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        name += bytes([rng.randint(0x80, 0xFF)])  # not UTF-8
    if rng.random() < 0.05:
        name = (name * 255)[:240]
    if name in (b".", b".."):
        name = b"dot" + name
    if suffix:
        name = name[:240] + rng.choice(SUFFIXES).encode()
    return name or b"x"


def random_text(rng: random.Random, size: int) -> str:
    """Words, Markdown headings, code blocks, lines of random code points."""
    out: list[str] = []
    length = 0
    while length < size:
        kind = rng.random()
        if kind < 0.15:
            piece = "#" * rng.randint(1, 7) + " " + " ".join(rng.choices(WORDS, k=rng.randint(0, 40)))
        elif kind < 0.25:
            piece = "```\n" + "\n".join("# " + " ".join(rng.choices(WORDS, k=8)) for _ in range(rng.randint(1, 30))) + (
                "\n```" if rng.random() < 0.8 else "")
        elif kind < 0.35:
            piece = "".join(chr(rng.choice([rng.randint(1, 0x7F), rng.randint(0x80, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
                            for _ in range(rng.randint(1, 200)))
        elif kind < 0.4:
            piece = rng.choice(WORDS) * rng.randint(100, 3000)  # one very long word
        else:
            piece = " ".join(rng.choices(WORDS, k=rng.randint(1, 120)))
        out.append(piece)
        length += len(piece) + 2
    return rng.choice(["\n\n", "\n", "\r\n", "\r"]).join(out)[:size]


def encode(rng: random.Random, text: str) -> bytes:
    data = text.encode(rng.choice(ENCODINGS), errors="replace")
    roll = rng.random()
    if roll < 0.05:  # NUL bytes inside text
        at = rng.randint(0, len(data))
        data = data[:at] + b"\x00" * rng.randint(1, 3) + data[at:]
    elif roll < 0.1:  # a few flipped bytes
        raw = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            if raw:
                raw[rng.randrange(len(raw))] = rng.randint(0, 255)
        data = bytes(raw)
    return data


def jsonl_content(rng: random.Random, size: int) -> str:
    lines = []
    for n in range(rng.randint(0, 30)):
        roll = rng.random()
        record: Any = {"_id": rng.choice([f"r{n}", f"r{rng.randint(0, 5)}", "", None, 7, ["x"], "-" + random_text(rng, 20)]),
                       "title": random_text(rng, rng.randint(0, 60)), "text": random_text(rng, rng.randint(0, size // 10 + 10))}
        if roll < 0.1:
            lines.append(json.dumps(record)[: rng.randint(1, 40)])  # truncated
        elif roll < 0.15:
            lines.append(json.dumps(random_text(rng, 30)))  # not an object
        elif roll < 0.2:
            lines.append("")
        else:
            if rng.random() < 0.2:
                record["metadata"] = {random_text(rng, 5): random_text(rng, 10), "n": rng.choice([1e308, -0.0, 2**70])}
            lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5))
    return "\n".join(lines)


def pdf_content(rng: random.Random) -> bytes:
    text = " ".join(rng.choices([w for w in WORDS if w.isascii()], k=rng.randint(0, 40))).replace("(", "").replace(")", "")
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    for _ in range(rng.choice([0, 0, 1, 3])):  # broken bytes
        at = rng.randrange(len(out))
        out[at : at + 4] = bytes(rng.randint(0, 255) for _ in range(4))
    if rng.random() < 0.1:
        del out[rng.randrange(len(out)):]
    return bytes(out)


def file_content(rng: random.Random, name: bytes) -> bytes:
    size = rng.choice([0, 1, 10, 200, 2_000, 2_000, 8_000, rng.randint(0, 60_000)])
    lower = name.lower()
    roll = rng.random()
    if roll < 0.05:
        return bytes(rng.randint(0, 255) for _ in range(min(size, 5000)))  # binary
    if roll < 0.08:
        return b"  \n\t\r\n " * rng.randint(0, 20)  # whitespace only
    if lower.endswith(b".pdf"):
        return pdf_content(rng)
    if lower.endswith((b".jsonl", b".ndjson")):
        return encode(rng, jsonl_content(rng, size))
    if lower.endswith((b".html", b".htm")):
        body = random_text(rng, size)
        return encode(rng, f"<html><head><title>{body[:30]}</title></head><body><p>{body}</p>"
                           + rng.choice(["</body></html>", "<script>x()", "<!--", "<table><tr><td>"]))
    if lower.endswith(b".rst"):
        body = random_text(rng, size)
        return encode(rng, f"Title\n=====\n\n{body}\n\n.. toctree::\n\n" + rng.choice(["", ".. include:: /etc/passwd\n", "`x <y>`_\n"]))
    if lower.endswith((b".md", b".markdown")) and rng.random() < 0.2:
        return encode(rng, "---\ntitle: " + random_text(rng, 30).replace("\n", " ") + "\n---\n" + random_text(rng, size))
    return encode(rng, random_text(rng, size))


# --------------------------------------------------------------------------------------------
# Generated folders
# --------------------------------------------------------------------------------------------


def _write(path: bytes, data: bytes) -> None:
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError:  # a name the filesystem refuses: the generator moves on
        pass


def _dirs(root: bytes) -> list[bytes]:
    found = [root]
    for folder, subdirs, _files in os.walk(root):
        found.extend(os.path.join(folder, d) for d in subdirs)
    return found


def _files(root: bytes) -> list[bytes]:
    return [os.path.join(folder, f) for folder, _d, files in os.walk(root) for f in files
            if not os.path.islink(os.path.join(folder, f))]


def add_entries(rng: random.Random, root: bytes, count: int) -> int:
    """Add ``count`` random entries under ``root``: files, folders, symlinks, FIFOs."""
    made = 0
    for _ in range(count):
        parent = rng.choice(_dirs(root))
        roll = rng.random()
        try:
            if roll < 0.7:
                name = os.path.join(parent, random_name(rng))
                _write(name, file_content(rng, name))
            elif roll < 0.8:
                folder = rng.choice(SKIPPED_FOLDERS).encode() if rng.random() < 0.2 else random_name(rng, suffix=False)
                os.makedirs(os.path.join(parent, folder), exist_ok=True)
            elif roll < 0.97:
                link = os.path.join(parent, random_name(rng))
                kind = rng.random()
                if kind < 0.25:
                    target = rng.choice(_files(root) or [b"missing.md"])  # to a file (or dangling)
                elif kind < 0.5:
                    target = rng.choice([b".", b"..", root, rng.choice(_dirs(root))])  # a folder: maybe a loop
                elif kind < 0.75:
                    target = b"nowhere/" + random_name(rng)  # dangling
                else:
                    target = link  # itself: ELOOP
                os.symlink(target, link)
            else:
                os.mkfifo(os.path.join(parent, random_name(rng)))
            made += 1
        except OSError:
            pass
    return made


def mutate(rng: random.Random, root: bytes) -> int:
    """Change an existing folder: edit, truncate, delete, rename files; add a few entries."""
    changed = 0
    files = _files(root)
    for path in rng.sample(files, k=min(len(files), rng.randint(0, 5))):
        action = rng.random()
        try:
            if action < 0.4:
                _write(path, file_content(rng, path))
            elif action < 0.6:
                os.remove(path)
            elif action < 0.8:
                os.rename(path, os.path.join(rng.choice(_dirs(root)), random_name(rng)))
            else:
                with open(path, "ab") as f:
                    f.write(encode(rng, random_text(rng, rng.randint(1, 500))))
            changed += 1
        except OSError:
            pass
    return changed + add_entries(rng, root, rng.randint(0, 6))


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


def ingest_command(rng: random.Random, root: bytes, collection: str) -> tuple[list[bytes], bytes | None, bool]:
    """(argv after `pgvsearch`, stdin bytes or None, whether a usage error is acceptable)."""
    args: list[bytes] = [b"ingest", b"-c", collection.encode(), b"-f", b"json", b"-q"]
    stdin = None
    malformed = False
    roll = rng.random()
    if roll < 0.7:
        paths = [root]
    elif roll < 0.85:  # some of the files, after `--` (names may start with a dash)
        paths = rng.sample(_files(root), k=min(3, len(_files(root)))) or [root]
        args.append(b"--")
    elif roll < 0.95:  # standard input
        paths = [b"-"]
        stdin = file_content(rng, rng.choice([b"x.md", b"x.jsonl", b"x.txt", b"x.html", b"x.pdf"]))
    else:  # a file name starting with a dash, without `--`: a usage error, or a path
        paths = [rng.choice(_files(root) or [root])]
        if os.path.basename(paths[0]).startswith(b"-"):
            paths = [os.path.basename(paths[0])]
            malformed = True
    options: list[bytes] = []
    if rng.random() < 0.3:
        options.append(b"--prune")
    if rng.random() < 0.15:
        options += [b"--include", rng.choice([b"*.md", b"*.txt", b"*", b"[", b"**/*.jsonl", b"\xff*"])]
    if rng.random() < 0.15:
        options += [b"--exclude", rng.choice([b"*.pdf", b"node_modules", b"*", b"-*"])]
    if rng.random() < 0.15:
        options += [b"--max-size", rng.choice([b"0.001", b"0.05", b"1"])]
    if rng.random() < 0.3:
        options += [b"--batch-chunks", str(rng.choice([1, 2, 7, 64])).encode()]
    if b"--" in args:
        args.remove(b"--")
        return args + options + [b"--"] + paths, stdin, malformed
    return args + options + paths, stdin, malformed


def check_run(proc: subprocess.CompletedProcess[bytes], malformed: bool) -> list[str]:
    """What is wrong with one finished run (nothing: an empty list)."""
    from pgvsearch.errors import EXIT_CODE_MEANINGS

    problems = []
    stderr = proc.stderr.decode("utf-8", "replace")
    allowed = EXPECTED_CODES | (MALFORMED_CODES if malformed else set())
    if proc.returncode not in {int(c) for c in EXIT_CODE_MEANINGS}:
        problems.append(f"undocumented exit code {proc.returncode}")
    elif proc.returncode not in allowed:
        problems.append(f"exit code {proc.returncode}")
    if "Traceback (most recent call last)" in stderr:
        problems.append("traceback on stderr")
    if proc.returncode in EXPECTED_CODES:
        try:
            report = json.loads(proc.stdout)
            if not isinstance(report, dict) or report.get("error") is not None:
                problems.append(f"report: {str(report)[:200]}")
        except ValueError:
            problems.append(f"stdout is not one JSON report: {proc.stdout[:200]!r}")
    elif proc.returncode in allowed and "\n" in stderr.strip():
        problems.append("more than one line on stderr for an error")
    return problems


def campaign(
    *, env: dict[str, str], collection: str, work: Path, check: Callable[[], Any], runs: int, seconds: float,
    seed: int, max_entries: int = 25, log: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Run ``pgvsearch ingest`` on generated folders until ``runs`` or ``seconds``; ``check``
    (the consistency check) is called after every run and fails the run if it raises."""
    rng = random.Random(seed)
    started = time.monotonic()
    codes: Counter[int] = Counter()
    failures: list[dict[str, Any]] = []
    examples = done = 0
    root = b""
    while done < runs and time.monotonic() - started < seconds:
        if not root or rng.random() < 0.2:  # a new folder, or the last one changed
            root = os.fsencode(work / f"run{done}")
            os.makedirs(root)
            examples += add_entries(rng, root, rng.randint(0, max_entries))
        else:
            examples += mutate(rng, root)
        argv, stdin, malformed = ingest_command(rng, root, collection)
        try:
            proc = subprocess.run([os.fsencode(PYTHON), b"-m", b"pgvsearch", *argv], input=stdin or b"", env=env,
                                  capture_output=True, timeout=600, cwd=work)
            problems = check_run(proc, malformed)
            codes[proc.returncode] += 1
        except subprocess.TimeoutExpired:
            proc, problems = None, ["timed out after 600 s"]
        try:
            check()
        except AssertionError as e:
            problems.append(f"consistency: {str(e)[:500]}")
        if problems:
            failures.append({"run": done, "seed": seed, "argv": [os.fsdecode(a) for a in argv], "problems": problems,
                             "stderr": proc.stderr.decode("utf-8", "replace")[-2000:] if proc else ""})
            log(f"run {done}: FAILED {problems}")
        else:
            log(f"run {done}: exit {proc.returncode if proc else '?'}")
        done += 1
        if rng.random() < 0.1:  # keep the work folder small
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True, exist_ok=True)
            root = b""
    return {"runs": done, "examples": examples, "failures": failures,
            "exit_codes": {str(k): v for k, v in sorted(codes.items())}, "seconds": round(time.monotonic() - started, 1),
            "seed": seed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="stop after this many ingest runs (default 50)")
    parser.add_argument("--seconds", type=float, default=300, help="or after this many seconds (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-entries", type=int, default=25, help="entries in a new generated folder, at most")
    parser.add_argument("--home", type=Path, default=None, help="PGVSEARCH_HOME to use (default: a new temporary one)")
    parser.add_argument("--collection", default="fuzz", help="created if missing; documents accumulate across runs")
    parser.add_argument("--verbose", action="store_true", help="one line per run on stderr")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "tests"))
    from consistency import check_consistency

    from pgvsearch.config import resolve_settings
    from pgvsearch.store import connect, get_collection, stop_server

    temporary = args.home is None
    home = Path(tempfile.mkdtemp(prefix="pgvsearch-fuzz-")) if temporary else args.home.expanduser().resolve()
    work = Path(tempfile.mkdtemp(prefix="pgvsearch-fuzz-files-"))
    env = dict(os.environ, PGVSEARCH_HOME=str(home), PGVSEARCH_CONFIG=str(home / "none.toml"), HF_HUB_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(ROOT))
    for var in ("PGVSEARCH_DSN", "PGVSEARCH_COLLECTION", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGPASSWORD"):
        env.pop(var, None)
    os.environ.update({k: env[k] for k in ("PGVSEARCH_HOME", "PGVSEARCH_CONFIG", "HF_HUB_OFFLINE")})
    try:
        subprocess.run([PYTHON, "-m", "pgvsearch", "init", "-c", args.collection, "-f", "json"], env=env, check=True,
                       capture_output=True)
        settings = resolve_settings()
        with connect(settings) as conn:
            def check() -> None:
                check_consistency(conn, get_collection(conn, args.collection))

            summary = campaign(env=env, collection=args.collection, work=work, check=check, runs=args.runs,
                               seconds=args.seconds, seed=args.seed, max_entries=args.max_entries,
                               log=(lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else (lambda line: None))
            summary["documents"] = check_consistency(conn, get_collection(conn, args.collection))["documents"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if temporary:
            stop_server(home / "pgdata")
            shutil.rmtree(home, ignore_errors=True)
    summary["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}"
    summary["command"] = " ".join(["benchmarks/fuzz.py", *sys.argv[1:]])
    print(json.dumps(summary, ensure_ascii=False))
    sys.exit(1 if summary["failures"] else 0)


if __name__ == "__main__":
    main()
