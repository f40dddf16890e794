"""doc_id rules, in one place: how a document is named, and how a run reconciles its names
with the documents already stored.

* A file's doc_id is its path relative to the folder given (:func:`doc_id_for`); a JSON Lines
  record's is its ``_id`` (or ``id``), else ``<file's doc_id>#L<line>`` (:func:`record_doc_id`).
* doc_ids converge to the widest folder: a file stored from a narrower folder takes the wider
  folder's doc_id when that folder is ingested (the old one is retired), and keeps the wider one
  when a narrower folder is ingested later.
* A doc_id held by another file that still exists is not overwritten; one whose file is gone is
  taken over (a moved folder, or a collection filled from another machine).
* Prune deletes only what is really gone.

:class:`DocIds` is that logic over one run's state; it looks at the file system but never at
the database (the ingestor hands it the stored rows).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .document import Skipped, SourceDocument
from .text import display, scrub

STDIN = "<stdin>"


def doc_id_for(path: Path, root: Path) -> str:
    """A file's doc_id: its path relative to ``root`` (POSIX separators), else the path itself."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        try:
            rel = Path(os.path.relpath(path, root))
        except ValueError:
            rel = path
        if rel.parts[:1] == ("..",):
            rel = path
    return rel.as_posix()


def records_prefix(path: str) -> str:
    """What the stored source of every record of a JSON Lines file starts with."""
    return f"{path}#L"


def record_source(path: str, line: int) -> str:
    """The stored ``source`` of a JSON Lines record: ``file.jsonl#L12``."""
    return f"{records_prefix(path)}{line}"


def record_doc_id(record: dict[str, Any], file_doc_id: str, line: int) -> tuple[str, bool] | None:
    """A JSON Lines record's doc_id and whether it came from the line number (the record has
    no ``_id``/``id``); None when the id is not a scalar."""
    raw_id = record.get("_id")
    if raw_id is None or raw_id == "":
        raw_id = record.get("id")
    if isinstance(raw_id, (bool, dict, list)):
        return None
    doc_id = scrub(str(raw_id)).strip() if raw_id is not None else ""
    if not doc_id:
        return record_source(file_doc_id, line), True
    return doc_id, False


@dataclass(frozen=True)
class Stored:
    """Where a stored document came from: its ``source``, the file behind it and, for a JSON
    Lines record, the record's line."""

    source: str
    path: str
    line: int | None = None

    @property
    def is_record(self) -> bool:
        return self.line is not None

    @classmethod
    def of(cls, doc: SourceDocument) -> Stored:
        return cls(doc.source, doc.path, doc.line)

    @classmethod
    def from_row(cls, source: str, path: Any, line: Any) -> Stored:
        """A stored row, from its source and its metadata's ``path`` and ``line`` (every
        document pgvsearch writes has them). Fallback: a row whose metadata does not name its
        record (written through :func:`write_batch` with other metadata) is a whole file named
        by its source."""
        if isinstance(path, str) and isinstance(line, int) and not isinstance(line, bool) and source == record_source(path, line):
            return cls(source, path, line)
        return cls(source, source)


def exists(path: str) -> bool:
    """Whether a file is there; a path we may not look into counts as there (nothing proves it gone)."""
    if "\ufffd" in path:
        return True  # a file name that was not valid UTF-8 is stored mangled: it cannot be looked up
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def path_derived(doc_id: str, origin: Stored) -> bool:
    """Whether the doc_id comes from the file's path: a whole file, or a JSONL record without
    an id (``<file doc_id>#L<n>``); such doc_ids follow the widest folder the file was read from."""
    if not os.path.isabs(origin.path):
        return False
    return not origin.is_record or doc_id.endswith(origin.source[len(origin.path):])


class DocIds:
    """The doc_ids of one ingest run: the paths given, what is stored, what this run read and took."""

    def __init__(self, paths: Sequence[str]) -> None:
        # One walk over every path, folders first and the widest first: a file reached from two
        # overlapping arguments is read once, under the widest folder's doc_id.
        # os.path.abspath also normalizes ("a/../b" is "b"): one spelling per path, as sources have.
        self.walk = sorted({os.path.abspath(p) for p in paths if p != "-"}, key=lambda p: (not os.path.isdir(p), len(Path(p).parts), p))
        self.folders = [display(p).rstrip("/") + "/" for p in self.walk if os.path.isdir(p)]  # as sources spell them
        self.given = {display(p) for p in self.walk if not os.path.isdir(p)}  # the files given, as sources spell them
        self.stored: dict[str, Stored] = {}  # doc_id -> where the stored document came from
        self.file_ids: dict[str, list[str]] = {}  # source -> doc_ids, for documents that are whole files
        self.seen: dict[str, str] = {}  # doc_id -> source, taken in this run
        self.seen_sources: set[str] = set()
        self.keep_sources: set[str] = set()  # files this run could not read: their documents stay
        self.read_files: set[str] = set()

    # -- what is stored, what was read -------------------------------------------------
    def add_stored(self, doc_id: str, origin: Stored) -> None:
        self.stored[doc_id] = origin
        if path_derived(doc_id, origin):
            self.file_ids.setdefault(origin.source, []).append(doc_id)

    def file_read(self, path: str) -> None:
        self.read_files.add(display(path))

    def skipped(self, item: Skipped) -> None:
        # A file we could not read this time is not a deleted file: keep its documents.
        self.keep_sources.add(item.path)

    # -- naming the documents read -----------------------------------------------------
    def identify(self, doc: SourceDocument) -> tuple[SourceDocument, Stored | None]:
        """The document's doc_id in this collection, and the other file that holds it, if any.

        A file's doc_id is its path relative to the folder given. A file already stored keeps
        the doc_id it got from a wider folder (``ingest docs/sub`` after ``ingest docs`` keeps
        ``sub/x.md``, no duplicate); from a narrower one it takes the wider one now (and the
        old one is retired). A doc_id held by another file that still exists (``a/README.md``
        and ``b/README.md``, ingested one folder at a time) is not overwritten; one whose file
        is gone is taken over (a moved folder, or a collection filled from another machine).
        """
        if path_derived(doc.doc_id, Stored.of(doc)):
            for known in self.file_ids.get(doc.source, ()):
                if known != doc.doc_id and known.endswith("/" + doc.doc_id):
                    doc = dataclasses.replace(doc, doc_id=known)
                    break
        holder = self.stored.get(doc.doc_id)
        if holder is None or holder.source == doc.source:
            return doc, None
        if holder.path == STDIN:
            return doc, (None if doc.path == STDIN else holder)  # stdin replaces only stdin
        if holder.path == doc.path:
            return doc, None  # the same file (a record that moved to another line of it)
        if not os.path.isabs(holder.path) or not exists(holder.path):
            return doc, None  # gone: moved, or stored from another machine
        try:
            if os.path.samefile(holder.path, doc.path):
                return doc, None  # the same file reached through a symbolic link
        except OSError:
            pass
        return doc, holder

    def may_move(self, holder: Stored) -> bool:
        """Whether this run may re-store the holder under another doc_id (or drop it from its file)."""
        return any(holder.path.startswith(folder) for folder in self.folders) or holder.path in self.given

    def moved(self, holder: Stored) -> bool:
        if holder.is_record:
            # Its JSONL file was read in full and no record took this doc_id from it.
            return holder.path in self.read_files and holder.path not in self.keep_sources
        return holder.source in self.seen_sources

    def claim(self, doc: SourceDocument, holder: Stored | None) -> str | None:
        """Take ``doc.doc_id`` for ``doc`` in this run; else the reason the document is skipped."""
        if holder is not None:
            what = "standard input" if holder.path == STDIN else f"{holder.path}, which still exists"
            parent = None if holder.is_record else _common_parent(doc, holder.path)
            root = f", pass --root {parent} (doc_ids relative to that folder)" if parent else ""
            return (
                f"doc_id {doc.doc_id!r} already holds {what} (a file's doc_id is its path relative to the folder "
                f"given: ingest a folder that contains both{root}, or use another collection)"
            )
        if doc.doc_id in self.seen:
            parent = _common_parent(doc, self.seen[doc.doc_id])
            root = f"; to keep both, pass --root {parent} so doc_ids are paths relative to that folder" if parent else ""
            return f"duplicate doc_id {doc.doc_id!r} (also from {self.seen[doc.doc_id]}){root}"
        self.seen[doc.doc_id] = doc.source
        self.seen_sources.add(doc.source)
        return None

    def retired(self, doc: SourceDocument) -> list[str]:
        """Other doc_ids this file was stored under (from a narrower folder): replaced by this one."""
        return [i for i in self.file_ids.get(doc.source, ()) if i != doc.doc_id and i not in self.seen]

    # -- prune -------------------------------------------------------------------------
    def prune_scope(self) -> tuple[list[str], list[str]]:
        """Sources under the paths given: exact ones (the files given), and prefixes (the
        folders given, and the records of a JSONL file given)."""
        exact = sorted(self.given)
        return exact, self.folders + [records_prefix(path) for path in exact]

    def gone(self, origin: Stored) -> bool:
        """Prune only what is really gone: a file that no longer exists, or a record missing from
        a JSONL file read in full this run. Files left out by --include/--exclude, hidden files,
        and files or folders that could not be read keep their documents."""
        if origin.path in self.keep_sources:
            return False
        if not exists(origin.path):  # a path we may not look into, or cannot spell, is not evidence
            return True
        return origin.is_record and origin.path in self.read_files


def _common_parent(doc: SourceDocument, other: str) -> str | None:
    """For a whole file whose doc_id another file has (``flask/docs/api.rst`` and
    ``requests/docs/api.rst``): the folder that holds both, for ``--root``; None otherwise."""
    if doc.line is not None or other == STDIN or not (os.path.isabs(doc.path) and os.path.isabs(other)):
        return None
    try:
        return display(os.path.commonpath([os.path.dirname(doc.path), os.path.dirname(other)]))
    except ValueError:
        return None
