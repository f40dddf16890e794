"""Serve: pgvsearch for agents and applications, over the Model Context Protocol.

- ``service``: SearchService, the long-lived state (settings, one connection, collections,
  query models) and what each tool does with it, through the library functions the CLI uses
- ``tools``: the MCP tools (typed, documented parameters) and ``results`` (their output schemas)
- ``server``: the SDK's MCPServer with the tools; failures as one-line tool errors
- ``http``: the streamable HTTP listener and its bearer token
- ``run``: ``serve_mcp``, what ``pgvsearch mcp`` calls

The MCP SDK (and pydantic, starlette, uvicorn) is imported only when a server is built:
names here resolve on first use (PEP 562), so ``import pgvsearch.serve`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "serve_mcp": "run",
    "SearchService": "service",
    "MAX_K": "service",
    "MAX_CANDIDATES": "service",
    "PgvsearchServer": "server",
    "TOOK_MS": "server",
    "TOKEN_ENV": "http",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
