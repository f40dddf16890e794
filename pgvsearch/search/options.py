"""What a search may ask for: the modes, the fusions, and SearchOptions (validated once, here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..errors import UsageError
from ..store import SEARCH_MODES

MODES = SEARCH_MODES
"""semantic, keyword, hybrid: one search function each in a collection's schema (docs/sql.md)."""
FUSIONS = ("rrf", "dbsf")
"""How hybrid search fuses its branches: Reciprocal Rank Fusion (default) or distribution-based score fusion."""


def require_text(value: str, what: str) -> str:
    """``value`` if it is valid Unicode text PostgreSQL can hold. A command-line argument that is
    not valid UTF-8 (typed in a Latin-1 terminal, say) reaches Python as lone surrogates; a query
    file or an MCP call can carry NUL, which no PostgreSQL text may hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} is not valid UTF-8 text; check the encoding of the terminal or script") from None
    if "\x00" in value:
        raise UsageError(f"{what} contains a NUL character, which PostgreSQL text cannot hold")
    return value


@dataclass(frozen=True)
class SearchOptions:
    k: int = 10
    candidates: int = 100
    """How many documents each branch contributes to fusion (and the semantic chunk pool)."""
    rrf_k: float = 60.0
    fusion: str = "rrf"
    semantic_weight: float = 1.0
    keyword_weight: float = 1.0
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    prefix: str | None = None
    """Only documents whose doc_id or source starts with this."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Only documents whose metadata has these key/value pairs (compared as text)."""

    def validate(self) -> "SearchOptions":
        if self.k < 1:
            raise UsageError("-k must be at least 1")
        if self.candidates < 1:
            raise UsageError("--candidates must be at least 1")
        if self.rrf_k < 0:
            raise UsageError("--rrf-k must not be negative")
        if self.fusion not in FUSIONS:
            raise UsageError(f"--fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        if self.semantic_weight < 0 or self.keyword_weight < 0:
            raise UsageError("branch weights must not be negative")
        if self.bm25_k1 < 0 or not 0 <= self.bm25_b <= 1:
            raise UsageError("BM25 needs k1 >= 0 and 0 <= b <= 1")
        if self.prefix is not None:
            require_text(self.prefix, "--prefix")
        for key, value in self.metadata.items():
            require_text(f"{key}={value}", "--meta")
        return self

    @property
    def filtered(self) -> bool:
        return self.prefix is not None or bool(self.metadata)
