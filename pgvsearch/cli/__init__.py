"""The `pgvsearch` command: a thin Typer layer over the library.

app.py (the app and its command table) -> one module per command group (admin, ingest,
search, ask, eval, mcp, server), sharing options.py (options defined once) and context.py
(settings, connection, collection, embedder); entry.py (main) is the error boundary.
"""

from .app import app
from .entry import main

__all__ = ["app", "main"]
