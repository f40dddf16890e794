"""mcp: serve search, ask and documents to agents over the Model Context Protocol."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .context import settings_for
from .options import CollectionName, Debug, Device, Dsn, MaxLag, ReadDsn


def mcp(
    http: Annotated[Optional[str], typer.Option("--http", help="Serve streamable HTTP at [HOST:]PORT (loopback, e.g. 127.0.0.1:8765) instead of stdio; the endpoint is /mcp.", show_default=False)] = None,
    host: Annotated[Optional[str], typer.Option("--host", help="Listen on this address beyond loopback (e.g. 0.0.0.0); needs a bearer token.", show_default=False)] = None,
    token_env: Annotated[Optional[str], typer.Option("--token-env", help="Environment variable holding the bearer token HTTP requests must send [default: PGVSEARCH_MCP_TOKEN].", show_default=False)] = None,
    llm_url: Annotated[Optional[str], typer.Option("--llm-url", help="OpenAI-compatible base URL for the ask tool [default: OPENAI_BASE_URL, config llm_url; extractive answers without].", show_default=False)] = None,
    llm_model: Annotated[Optional[str], typer.Option("--llm-model", help="Chat model for the ask tool [default: PGVSEARCH_LLM_MODEL, config llm_model].", show_default=False)] = None,
    llm_timeout: Annotated[float, typer.Option("--llm-timeout", help="Seconds to wait for the model to connect and for each piece of its answer.")] = 60.0,
    log_level: Annotated[str, typer.Option("--log-level", help="Server log level on stderr: debug, info, warning or error.")] = "warning",
    dsn: Dsn = None,
    collection: CollectionName = None,
    read_dsn: ReadDsn = None,
    max_lag: MaxLag = None,
    device: Device = None,
    debug: Debug = False,
) -> None:
    """Serve the collection to AI assistants and agents (MCP tools: search, keyword, hybrid, ask, get_document, status, list_collections).

    Example (an assistant's MCP config runs): pgvsearch mcp -c docs
    """
    from ..errors import UsageError
    from ..serve import serve_mcp

    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise UsageError("--log-level must be debug, info, warning or error")
    serve_mcp(settings_for(dsn, collection, read_dsn, max_lag, device), fixed_collection=collection is not None, http=http, host=host,
              token_env=token_env, llm_url=llm_url, llm_model=llm_model, llm_timeout=llm_timeout, log_level=log_level)
