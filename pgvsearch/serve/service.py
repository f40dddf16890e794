"""The long-lived state behind the MCP tools, and what each tool does with it.

One process answers many calls: the settings are resolved once, the connection is opened
once (checked with one round trip before each call, and reopened when the database closed it
since: after a server restart the next call succeeds), each collection's row is
read once and each query model loaded once, in fp32 as the CLI embeds queries. Calls share
the connection one at a time (a lock): a call takes milliseconds, and a connection carries
one transaction at a time.

Nothing here knows about MCP: each method takes plain values, calls the library functions
the CLI calls and returns JSON-ready dicts (``Hit.to_dict``, ``Answer.to_dict``), so the MCP
tools (``tools``) and a test can call it alike.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import DatabaseError, UsageError

if TYPE_CHECKING:
    import psycopg

    from ..config import Settings
    from ..embedding import Embedder
    from ..search import SearchOptions
    from ..store import Collection

log = logging.getLogger("pgvsearch.serve")

# Queries are embedded at full precision whatever the documents' precision, as the CLI does.
QUERY_PRECISION = "fp32"
MAX_K = 100
"""The most results one call returns: a larger k is capped, and the result says so."""
MAX_CANDIDATES = 1000
"""The most documents a ranking contributes before fusion (the CLI takes any number; a shared server caps it)."""
DOCUMENT_RADIUS = 2
"""Chunks read on each side of the one asked for by ``get_document``."""


class CallAbandoned(Exception):
    """The client went away or cancelled: the answer being written is no longer wanted."""


class SearchService:
    """Answers the MCP tools for one database; ``collection`` fixed at launch or chosen per call."""

    def __init__(self, settings: "Settings", *, fixed_collection: bool = False,
                 llm_url: str | None = None, llm_model: str | None = None, llm_timeout: float = 60.0) -> None:
        from ..ask import resolve_llm

        self.settings = settings
        self.fixed_collection = fixed_collection
        self.llm, self.llm_note = resolve_llm(settings, url=llm_url, model=llm_model, timeout=llm_timeout)
        self._lock = threading.Lock()
        self._conn: "psycopg.Connection[Any] | None" = None
        self._collections: dict[str, "Collection"] = {}
        self._embedders: dict[str, "Embedder"] = {}

    # -- state: connection, collections, models --------------------------------------------
    def warm_up(self) -> None:
        """Connect and load the default collection's model now, so the first call is fast.
        A failure is logged, not raised: the server starts and the next call tries again."""
        from ..errors import describe_error

        try:
            with self._session() as conn:
                self._embedder(self._collection(conn, None)).embed(["warm-up"])
        except Exception as exc:  # noqa: BLE001 - reported on stderr; each call reports its own error
            log.warning("not ready yet: %s; each tool call tries again", describe_error(exc)[0])

    @contextmanager
    def _session(self) -> Iterator["psycopg.Connection[Any]"]:
        """The connection, for one call at a time; opened again after the database went away."""
        import psycopg

        from ..store import connect_for_reading

        with self._lock:
            if self._conn is not None and not (self._conn.closed or self._conn.broken) and not self._alive(self._conn):
                log.warning("note: the database connection was lost since the last call (a server restart?); reconnecting")
                self._forget_connection()
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._forget_connection()
                # A read replica when configured (checked for lag when the connection opens), else the primary.
                self._conn = connect_for_reading(self.settings, notice=log.warning)
            try:
                yield self._conn
            except (psycopg.OperationalError, DatabaseError):
                self._forget_connection()
                raise
            except Exception:
                # A dropped or re-created collection reads again on the next call (one cheap query).
                self._collections.clear()
                if self._conn is not None and self._conn.broken:
                    self._forget_connection()
                raise

    @staticmethod
    def _alive(conn: "psycopg.Connection[Any]") -> bool:
        """Whether a connection kept from an earlier call still answers (one round trip). After a
        server restart or an idle timeout the server has closed it, and the call reconnects
        instead of failing once. Nothing of the call has been sent yet, so nothing runs twice."""
        import psycopg

        try:
            conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def _forget_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - a dead connection may fail to close; it is gone either way
                pass
        self._conn = None
        self._collections.clear()

    def close(self) -> None:
        with self._lock:
            self._forget_connection()

    def collection_name(self, requested: str | None) -> str:
        """The collection a call reads: the launch one, or the call's ``collection``."""
        from ..config import validate_collection

        default = self.settings.collection
        if requested is None or requested == "" or requested == default:
            return default
        if self.fixed_collection:
            raise UsageError(f"this server answers for collection {default!r} only (started with --collection {default})")
        return validate_collection(requested)

    def _collection(self, conn: "psycopg.Connection[Any]", requested: str | None) -> "Collection":
        from ..store import require_collection

        name = self.collection_name(requested)
        if name not in self._collections:
            self._collections[name] = require_collection(conn, name)
        return self._collections[name]

    def _embedder(self, coll: "Collection") -> "Embedder":
        """The collection's query model, loaded once per model (in fp32, the query precision)."""
        from ..embedding import load_embedder

        embedder = self._embedders.get(coll.model)
        if embedder is None:
            embedder = load_embedder(coll.model, cache_dir=self.settings.model_cache, precision=QUERY_PRECISION,
                                     device=self.settings.device,
                                     notice=lambda m: log.warning("note: %s", m))
            self._embedders[coll.model] = embedder
        coll.check_embedder(embedder)
        return embedder

    # -- the tools ---------------------------------------------------------------------------
    def search(self, mode: str, query: str, options: "SearchOptions", collection: str | None = None) -> dict[str, Any]:
        """A ``mode`` search: its hits as ``--format json`` prints them, and a note when k was capped."""
        from ..search import Searcher

        query = _require_query(query, "the query")
        options, note = _capped(options)
        with self._session() as conn:
            coll = self._collection(conn, collection)
            embedder = None if mode == "keyword" else self._embedder(coll)
            hits = Searcher(conn, coll, embedder).run(query, mode, options)
        return {"collection": coll.name, "mode": mode, "query": query, "k": options.k,
                "hits": [h.to_dict() for h in hits], "note": note}

    def ask(self, question: str, options: "SearchOptions", collection: str | None = None,
            context_tokens: int = 3000, abandoned: Callable[[], bool] = lambda: False) -> dict[str, Any]:
        """An answer with its sources (``Answer.to_dict``): from the language model when one is
        configured, else extractive. ``abandoned`` is asked as the answer streams in: when it
        says the caller has gone, the answer stops (:class:`CallAbandoned`)."""
        from ..ask import ask as answer_question

        question = _require_query(question, "the question")
        options, note = _capped(options)

        def on_token(_: str) -> None:
            if abandoned():
                raise CallAbandoned("the client went away")

        with self._session() as conn:
            coll = self._collection(conn, collection)
            answer = answer_question(conn, coll, self._embedder(coll), question, options, self.llm,
                                     context_tokens=context_tokens, on_token=on_token)
        notes = [n for n in (note, self.llm_note if answer.mode == "extractive" else None) if n]
        return {"collection": coll.name, **answer.to_dict(), "note": " ".join(notes) or None}

    def get_document(self, doc_id: str, chunk: int | None = None, radius: int = DOCUMENT_RADIUS,
                     collection: str | None = None) -> dict[str, Any]:
        """A stored document's text: all of it (up to a limit), or chunk ``chunk`` and ``radius`` chunks on each side."""
        from ..ask import window_text
        from ..search import MAX_DOCUMENT_CHUNKS, read_document

        with self._session() as conn:
            coll = self._collection(conn, collection)
            doc = read_document(conn, coll, doc_id, around=chunk, radius=radius)
        parts = [(c.position, c.context, c.content) for c in doc.chunks]
        text = window_text(parts, doc.title, coll.chunk_overlap).text if parts else ""
        note = None
        if chunk is None and not doc.complete:
            note = (f"the document has {doc.chunk_count} chunks; this is chunks {doc.first}-{doc.last} "
                    f"(at most {MAX_DOCUMENT_CHUNKS} per call): pass chunk and radius to read further")
        elif chunk is not None and radius > (MAX_DOCUMENT_CHUNKS - 1) // 2:
            note = f"radius is capped at {(MAX_DOCUMENT_CHUNKS - 1) // 2} chunks"
        return {"collection": coll.name, "doc_id": doc.doc_id, "title": doc.title, "source": doc.source,
                "metadata": doc.metadata, "chunk_count": doc.chunk_count, "first_chunk": doc.first,
                "last_chunk": doc.last, "complete": doc.complete, "text": text, "note": note}

    def status(self, collection: str | None = None) -> dict[str, Any]:
        """What ``pgvsearch status --format json`` shows, and whether answers come from a language model."""
        from ..store import collection_report

        with self._session() as conn:
            report = collection_report(conn, self.settings, self._collection(conn, collection))
        report["answers"] = f"language model {self.llm.model} at {self.llm.display_url}" if self.llm else "extractive (no language model configured)"
        return _json_ready(report)

    def list_collections(self) -> dict[str, Any]:
        """The collections a call may name (only the launch one when it was fixed with --collection)."""
        from ..store import list_collections

        with self._session() as conn:
            found = list_collections(conn)
        if self.fixed_collection:
            found = [c for c in found if c.name == self.settings.collection]
        rows = [{"name": c.name, "model": c.model, "dimension": c.dimension, "storage": c.storage,
                 "precision": c.precision, "chunk_tokens": c.chunk_tokens, "text_config": c.text_config,
                 "created_at": c.created_at} for c in found]
        return _json_ready({"default": self.settings.collection, "fixed": self.fixed_collection, "collections": rows})


def _require_query(text: str, what: str) -> str:
    from ..search import require_text

    if not isinstance(text, str):
        raise UsageError(f"{what} must be text")
    if not text.strip():
        raise UsageError(f"{what} is empty")
    return require_text(text, what)


def _capped(options: "SearchOptions") -> tuple["SearchOptions", str | None]:
    """``options`` with k and candidates within the server's limits, and a note saying what was capped."""
    import dataclasses

    notes = []
    if options.k > MAX_K:
        notes.append(f"k={options.k} was capped at {MAX_K}")
        options = dataclasses.replace(options, k=MAX_K)
    if options.candidates > MAX_CANDIDATES:
        notes.append(f"candidates={options.candidates} was capped at {MAX_CANDIDATES}")
        options = dataclasses.replace(options, candidates=MAX_CANDIDATES)
    return options.validate(), ("; ".join(notes) or None)


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    """Dates and paths as strings, as ``--format json`` writes them."""
    import json

    return json.loads(json.dumps(data, default=str))
