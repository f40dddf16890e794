"""Streamable HTTP: where the server listens, and the bearer token that guards it.

Loopback (127.0.0.1, ::1, localhost) is the default and needs no token: only programs on
this machine reach it, and the SDK refuses requests whose Host or Origin header is not
loopback (DNS rebinding). Any other address must be given explicitly with ``--host`` and
needs a bearer token, read from an environment variable (never the command line, where
``ps`` shows it): requests without ``Authorization: Bearer <token>`` get 401.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import Any, Awaitable, Callable

from ..errors import UsageError

TOKEN_ENV = "PGVSEARCH_MCP_TOKEN"
MIN_TOKEN_LENGTH = 16
LOOPBACK = ("127.0.0.1", "::1", "localhost")
PATH = "/mcp"


def listen_address(http: str, host: str | None) -> tuple[str, int]:
    """``--http [HOST:]PORT`` and ``--host``: the address to bind. HOST in --http may only be
    loopback; anything else must be asked for with --host."""
    where, sep, port_text = http.rpartition(":")
    where = where.strip("[]") if sep else ""
    try:
        port = int(port_text)
    except ValueError:
        raise UsageError(f"--http takes [HOST:]PORT, e.g. 127.0.0.1:8765, not {http!r}") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"--http: port {port} is not between 0 and 65535")
    if where and where not in LOOPBACK:
        raise UsageError(f"--http {http}: to listen beyond loopback pass --host {where} (it needs a bearer token: set {TOKEN_ENV})")
    if host and where and host != where:
        raise UsageError(f"--http names host {where} and --host {host}: give one")
    return (host or where or "127.0.0.1"), port


def bearer_token(host: str, token_env: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The token requests must carry: from ``token_env`` (default PGVSEARCH_MCP_TOKEN); required beyond loopback."""
    env = os.environ if environ is None else environ
    name = token_env or TOKEN_ENV
    token = (env.get(name) or "").strip() or None
    if token_env and token is None:
        raise UsageError(f"--token-env {token_env}: the variable is not set or empty")
    if token is None and host not in LOOPBACK:
        raise UsageError(f"listening on {host} needs a bearer token: set {TOKEN_ENV} (or name another variable with --token-env)")
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise UsageError(f"the bearer token in {name} is too short: use at least {MIN_TOKEN_LENGTH} random characters (e.g. `openssl rand -hex 32`)")
    return token


ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class RequireBearer:
    """ASGI middleware: an HTTP request without ``Authorization: Bearer <token>`` gets 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "invalid_token", "error_description": "send Authorization: Bearer <token>"}).encode()
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="pgvsearch"')]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def run_http(server: Any, host: str, port: int, token: str | None) -> None:
    """Serve ``server`` (an MCPServer) at http://HOST:PORT/mcp until interrupted; logs on stderr."""
    import anyio
    import uvicorn

    app: ASGIApp = server.streamable_http_app(host=host, streamable_http_path=PATH)
    if token:
        app = RequireBearer(app, token)
    # log_config=None: uvicorn's own logging setup would send access lines to stdout.
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, log_level="warning",
                            timeout_graceful_shutdown=2)
    anyio.run(uvicorn.Server(config).serve)
