"""``pgvsearch mcp``: check the options, load the model and connect once, then serve."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("pgvsearch.serve")


def serve_mcp(
    settings: "Settings",
    *,
    fixed_collection: bool = False,
    http: str | None = None,
    host: str | None = None,
    token_env: str | None = None,
    llm_url: str | None = None,
    llm_model: str | None = None,
    llm_timeout: float = 60.0,
    log_level: str = "WARNING",
) -> None:
    """Serve the MCP tools over stdio (``http`` None) or streamable HTTP at ``[HOST:]PORT``,
    until the client closes stdin (stdio) or the process is interrupted."""
    from .http import bearer_token, listen_address, run_http

    if http is None and (host or token_env):
        raise UsageError("--host and --token-env apply to --http")
    address = listen_address(http, host) if http is not None else None
    token = bearer_token(address[0], token_env) if address else None
    from .server import PgvsearchServer
    from .service import SearchService

    # One plain line per record on stderr (stdout is the stdio protocol's); set before the SDK's
    # own logging setup, which then leaves it alone.
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = SearchService(settings, fixed_collection=fixed_collection, llm_url=llm_url, llm_model=llm_model, llm_timeout=llm_timeout)
    server = PgvsearchServer(service, log_level=log_level.upper())  # its logging goes to stderr
    service.warm_up()
    where = "stdio" if address is None else f"http://{_netloc(*address)}/mcp" + (" (bearer token required)" if token else "")
    sys.stderr.write(f"pgvsearch mcp: collection {settings.collection!r}{' only' if fixed_collection else ''}, "
                     f"answers {'from ' + service.llm.model if service.llm else 'extractive'}, on {where}\n")
    sys.stderr.flush()
    try:
        if address is None:
            server.run("stdio")
        else:
            run_http(server, address[0], address[1], token)
    finally:
        service.close()


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
