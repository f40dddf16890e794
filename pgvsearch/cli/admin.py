"""Collections: init, status, drop."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import ConfigError, UsageError
from .context import connection, err, load_embedder, open_collection, settings_for
from .options import CollectionName, Debug, Dsn, Format

if TYPE_CHECKING:
    import psycopg

    from ..config import Settings
    from ..embedding import Embedder
    from ..store import Collection


def init(
    model: Annotated[str, typer.Option("--model", "-m", help="sentence-transformers model name or path.")] = "all-MiniLM-L6-v2",
    storage: Annotated[Optional[str], typer.Option("--storage", help="vector, halfvec (half the space; needed above 2,000 dims) or auto [default: auto].", show_default=False)] = None,
    chunk_tokens: Annotated[Optional[int], typer.Option("--chunk-tokens", help="Max tokens per chunk, up to the model's max sequence length [default: 128, or the model's max if smaller].", show_default=False)] = None,
    chunk_overlap: Annotated[Optional[int], typer.Option("--chunk-overlap", help="Tokens shared by neighbouring chunks [default: 0; chunks end at sentence or paragraph boundaries].", show_default=False)] = None,
    text_config: Annotated[Optional[str], typer.Option("--text-config", help="PostgreSQL text search configuration for keyword search [default: english].", show_default=False)] = None,
    precision: Annotated[Optional[str], typer.Option("--precision", help="Precision of the document embeddings: int8 (quantized ONNX, faster ingest) or fp32. Queries always use fp32. [default: int8, or the existing collection's]", show_default=False)] = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    fmt: Format = None,
    debug: Debug = False,
) -> None:
    """Create a collection (idempotent) and prepare its model. Its settings are fixed once created.

    Example: pgvsearch init --collection docs --model all-MiniLM-L6-v2
    """
    from ..embedding import PRECISIONS
    from ..render import pick_format, print_json
    from ..store import check_precision, get_collection, init_collection

    if precision is not None and precision not in PRECISIONS:
        raise UsageError(f"--precision must be {' or '.join(PRECISIONS)}")
    settings = settings_for(dsn, collection)
    with connection(settings) as conn:
        existing = get_collection(conn, settings.collection)
        if existing is not None:
            check_precision(existing, precision)  # before a possibly slow model export
        embedder, wanted = _document_embedder(model, settings, precision, existing)
        result = init_collection(
            conn, settings.collection, model=model, dimension=embedder.dimension, max_seq_length=embedder.max_seq_length,
            storage=storage, text_config=text_config, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap, precision=wanted,
        )
    coll = result.collection
    if pick_format(fmt) == "json":
        print_json({
            "collection": coll.name, "created": result.created, "model": coll.model, "dimension": coll.dimension,
            "storage": coll.storage, "chunk_tokens": coll.chunk_tokens, "chunk_overlap": coll.chunk_overlap,
            "precision": coll.precision, "backend": embedder.backend,
        })
    else:
        verb = "created" if result.created else "already exists"
        err(f"collection {coll.name!r} {verb}: model {coll.model} ({coll.dimension} dims, {coll.storage}, {coll.precision} documents), "
            f"chunks of {coll.chunk_tokens} tokens" + (f" with {coll.chunk_overlap} overlap" if coll.chunk_overlap else ""))


def _document_embedder(model: str, settings: "Settings", precision: str | None, existing: "Collection | None") -> tuple["Embedder", str]:
    """The embedder for the documents and its precision: the one asked for, else the collection's,
    else int8, falling back to fp32 for a new collection whose model has no int8 export."""
    from ..store import DEFAULT_PRECISION

    wanted = precision or (existing.precision if existing else DEFAULT_PRECISION)
    try:
        return load_embedder(model, settings, precision=wanted), wanted
    except ConfigError as exc:
        if precision is not None or existing is not None or wanted == "fp32":
            raise
        # A new collection without --precision: a model with no int8 ONNX export gets fp32 documents.
        err(f"note: {' '.join(str(exc).split())}; using fp32 embeddings")
        return load_embedder(model, settings, precision="fp32"), "fp32"


def status(
    fmt: Format = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    debug: Debug = False,
) -> None:
    """Show a collection: model, dimension, documents, chunks, index sizes, where data lives.

    Example: pgvsearch status --format json
    """
    from ..render import pick_format, print_csv, print_json, print_status_table

    settings = settings_for(dsn, collection)
    with connection(settings) as conn:
        data = _status_data(conn, settings)
    chosen = pick_format(fmt)
    if chosen == "json":
        print_json(data)
    elif chosen == "csv":
        print_csv([data], list(data))
    else:
        print_status_table(data)


def _status_data(conn: "psycopg.Connection[Any]", settings: "Settings") -> dict[str, Any]:
    """What `status` shows: the collection's settings, its counts and sizes, where its data lives."""
    from ..store import collection_status, describe_target, list_collections

    coll = open_collection(conn, settings, None)
    stats = collection_status(conn, coll)
    others = [c.name for c in list_collections(conn)]
    return {
        "collection": coll.name, "model": coll.model, "dimension": coll.dimension, "storage": coll.storage,
        "text_config": coll.text_config, "word_separators": coll.word_separators, "precision": coll.precision,
        "chunk_tokens": coll.chunk_tokens, "chunk_overlap": coll.chunk_overlap,
        "documents": stats["documents"], "chunks": stats["chunks"], "postings": stats["postings"],
        "hnsw_index_bytes": stats["hnsw_index_bytes"], "gin_index_bytes": stats["gin_index_bytes"],
        "postings_bytes": stats["postings_bytes"], "chunks_bytes": stats["chunks_bytes"],
        "last_update": stats["last_update"], "database": describe_target(settings), "connection": settings.dsn_source,
        "data_dir": str(settings.pgdata) if settings.embedded else None, "model_cache": str(settings.model_cache),
        "collections": others,
    }


def drop(
    name: Annotated[str, typer.Argument(help="Collection to delete with all its documents.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dsn: Dsn = None,
    debug: Debug = False,
) -> None:
    """Delete a collection and everything in it.

    Example: pgvsearch drop scratch --yes
    """
    from ..config import validate_collection
    from ..store import drop_collection

    validate_collection(name)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to drop without --yes when not on a terminal")
        typer.confirm(f"Delete collection {name!r} and all its documents?", abort=True)
    settings = settings_for(dsn, name)
    with connection(settings) as conn:
        if not drop_collection(conn, name):
            raise ConfigError(f"collection {name!r} does not exist")
    err(f"dropped collection {name!r}")
