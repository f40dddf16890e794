"""Collections: init, status, drop."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ..errors import ConfigError, UsageError
from .context import connection, err, reading_connection, settings_for
from .options import CollectionName, Debug, Dsn, Format, MaxLag, ReadDsn



def init(
    model: Annotated[str, typer.Option("--model", "-m", help="sentence-transformers model name or path.")] = "all-MiniLM-L6-v2",
    storage: Annotated[Optional[str], typer.Option("--storage", help="vector, halfvec (half the space; needed above 2,000 dims), binary (a 1-bit HNSW index, 1/32 of its size, re-ranked by the full vectors) or auto [default: auto].", show_default=False)] = None,
    chunk_tokens: Annotated[Optional[int], typer.Option("--chunk-tokens", help="Max tokens per chunk, up to the model's max sequence length [default: 128, or the model's max if smaller].", show_default=False)] = None,
    chunk_overlap: Annotated[Optional[int], typer.Option("--chunk-overlap", help="Tokens shared by neighbouring chunks [default: 0; chunks end at sentence or paragraph boundaries].", show_default=False)] = None,
    text_config: Annotated[Optional[str], typer.Option("--text-config", help="PostgreSQL text search configuration for keyword search [default: english].", show_default=False)] = None,
    distributed: Annotated[bool, typer.Option("--distributed", help="Citus: shard the collection's documents, chunks and postings by document across the workers (docs/scaling.md). Needs the citus extension.")] = False,
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
    from ..store import distribute_collection, pgvector_advice, pgvector_version, prepare_collection, require_citus

    if precision is not None and precision not in PRECISIONS:  # before connecting
        raise UsageError(f"--precision must be {' or '.join(PRECISIONS)}")
    settings = settings_for(dsn, collection)
    with connection(settings) as conn:
        if distributed:
            require_citus(conn)  # before anything is created
        result, embedder = prepare_collection(
            conn, settings, settings.collection, model=model, precision=precision, storage=storage, text_config=text_config,
            chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap, notice=lambda m: err(f"note: {m}"),
        )
        sharded = distribute_collection(conn, result.collection) if distributed else None
        version = pgvector_version(conn)
    advice = pgvector_advice(version) if version else None
    if advice:
        err(f"warning: {advice}")
    coll = result.collection
    if pick_format(fmt) == "json":
        print_json({
            "collection": coll.name, "created": result.created, "model": coll.model, "dimension": coll.dimension,
            "storage": coll.storage, "chunk_tokens": coll.chunk_tokens, "chunk_overlap": coll.chunk_overlap,
            "precision": coll.precision, "backend": embedder.backend,
            **({"distributed": True} if sharded is not None else {}),
        })
    else:
        verb = "created" if result.created else "already exists"
        err(f"collection {coll.name!r} {verb}: model {coll.model} ({coll.dimension} dims, {coll.storage}, {coll.precision} documents), "
            f"chunks of {coll.chunk_tokens} tokens" + (f" with {coll.chunk_overlap} overlap" if coll.chunk_overlap else ""))
        if sharded is not None:
            err("distributed by document over the Citus workers" + ("" if sharded.collection else " (already)"))


def status(
    fmt: Format = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    read_dsn: ReadDsn = None,
    max_lag: MaxLag = None,
    debug: Debug = False,
) -> None:
    """Show a collection: model, dimension, documents, chunks, index sizes, where data lives.

    Example: pgvsearch status --format json
    """
    from ..render import pick_format, print_csv, print_json, print_status_table
    from ..store import collection_report, require_collection

    settings = settings_for(dsn, collection, read_dsn, max_lag)
    with reading_connection(settings) as conn:
        data = collection_report(conn, settings, require_collection(conn, settings.collection))
    if data["pgvector_advice"]:
        err(f"warning: {data['pgvector_advice']}")
    chosen = pick_format(fmt)
    if chosen == "json":
        print_json(data)
    elif chosen == "csv":
        print_csv([data], list(data))
    else:
        print_status_table(data)


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
    from ..tables import drop_collection_and_tracking

    validate_collection(name)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to drop without --yes when not on a terminal")
        typer.confirm(f"Delete collection {name!r} and all its documents?", abort=True)
    settings = settings_for(dsn, name)
    with connection(settings) as conn:
        dropped, left = drop_collection_and_tracking(conn, name)
        if not dropped:
            raise ConfigError(f"collection {name!r} does not exist")
    for line in left:
        err(f"warning: {line}")
    err(f"dropped collection {name!r}")
