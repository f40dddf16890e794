"""What the sources stage hands on: a :class:`SourceDocument`, or a :class:`Skipped` input and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SourceDocument:
    """One document ready for chunking.

    ``doc_id`` is stable across runs: a file's path relative to the root folder the user gave
    (POSIX separators), a JSONL record's ``_id``/``id``, or ``"-"`` (or the given name) for
    stdin. ``metadata`` is always JSON-serialisable.

    ``path`` is the file as displayed (``"<stdin>"`` for standard input) and ``line`` the
    JSON Lines record's line, or None for a whole file. ``source`` is how the document is
    stored and shown: the path, or ``path#L<line>`` for a record. ``path`` defaults to
    ``source`` (a whole file).
    """

    doc_id: str
    source: str
    title: str
    text: str
    format: str
    metadata: dict[str, Any]
    warnings: tuple[str, ...] = ()
    path: str = field(default="", kw_only=True)
    line: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if not self.path:
            object.__setattr__(self, "path", self.source)


@dataclass(frozen=True)
class Skipped:
    """A file (or one JSONL line: ``line`` is set) that was not ingested, and why.

    ``ignored``: not a failure but a file that is no document (a JSON file without text, say):
    reported among the ignored files, not the skipped ones (which make exit code 3)."""

    path: str
    reason: str
    line: int | None = None
    ignored: bool = False

    @property
    def label(self) -> str:
        """How reports show it: the path, or ``path:LINE`` for one line of a JSONL input."""
        return self.path if self.line is None else f"{self.path}:{self.line}"


class SkipInput(Exception):
    """Internal: abort parsing one input with a human reason (becomes a :class:`Skipped`)."""


class Parsed:
    """What a format parser extracted (a plain class: cheaper to define than a dataclass)."""

    __slots__ = ("title", "text", "metadata", "warnings")

    def __init__(
        self, title: str | None, text: str, metadata: dict[str, Any], warnings: list[str]
    ) -> None:
        self.title = title
        self.text = text
        self.metadata = metadata
        self.warnings = warnings
