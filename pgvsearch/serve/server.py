"""The MCP server: the tools on the SDK's MCPServer, every failure a one-line tool error.

A tool error carries the line the CLI prints for the same failure (``describe_error``: no
traceback, secrets redacted), so a bad argument, a missing collection or a database that
went away is an answer the agent can read, never the end of the server. Every result says
how long pgvsearch took in ``_meta["pgvsearch/took_ms"]``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

from .. import __version__
from ..errors import ExitCode, PgvsearchError, describe_error
from ..redact import redact_secrets
from .service import SearchService
from .tools import INSTRUCTIONS, Tools

log = logging.getLogger("pgvsearch.serve")

TOOK_MS = "pgvsearch/took_ms"
"""The ``_meta`` key of a result: milliseconds from the call's arguments to its result, in the server."""


class PgvsearchServer(MCPServer[Any]):
    """MCPServer with pgvsearch's tools, argument checks and error lines."""

    def __init__(self, service: SearchService, **settings: Any) -> None:
        super().__init__("pgvsearch", version=__version__, instructions=INSTRUCTIONS, **settings)
        tools = Tools(service)
        self.tool_parameters = tools.parameters()
        for name in Tools.NAMES:
            self.add_tool(getattr(tools, name), structured_output=True)

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None) -> Any:
        started = time.perf_counter()
        known = self.tool_parameters.get(name)
        unknown = [a for a in arguments if known is not None and a not in known]
        if unknown:
            takes = ", ".join(known or ()) or "no arguments"
            return error_result(f"error: unknown argument{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(map(repr, unknown))} for {name}; it takes {takes}")
        try:
            result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            message = error_text(exc)
            if _unexpected(exc):
                log.error("tool %s: %s", name, message, exc_info=_redacted(exc.__cause__))
            else:
                log.info("tool %s: %s", name, message)
            return error_result(message)
        if isinstance(result, CallToolResult):
            took = round((time.perf_counter() - started) * 1000, 3)
            result = result.model_copy(update={"meta": {**(result.meta or {}), TOOK_MS: took}})
        return result


def error_result(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def error_text(exc: BaseException) -> str:
    """The one line for a failed call: the CLI's line for the library's error, or what was
    wrong with the arguments (a field and why, not its value)."""
    cause = exc.__cause__ if isinstance(exc, ToolError) else exc
    if isinstance(cause, ValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in cause.errors()]
        return "error: " + "; ".join(problems)
    if cause is None:  # the SDK's own refusal, e.g. an unknown tool
        return "error: " + redact_secrets(str(exc)).removeprefix("Error executing tool ")
    message, code = describe_error(cause)
    if code == ExitCode.DATABASE:
        message += " (the server connects again on the next call)"
    return message.replace("(run with --debug for the traceback)", "(the traceback is in the server's log)")


def _unexpected(exc: ToolError) -> bool:
    """A crash (worth its traceback in the log), not a bad argument or a user-facing error."""
    cause = exc.__cause__
    if not isinstance(exc, UnexpectedToolError) or cause is None or isinstance(cause, (ValidationError, PgvsearchError)):
        return False
    return describe_error(cause)[1] == ExitCode.UNEXPECTED


def _redacted(exc: BaseException | None) -> Any:
    """exc_info for the log: the traceback with any secret in the exception's message removed."""
    if exc is None:
        return None
    try:
        exc.args = tuple(redact_secrets(a) if isinstance(a, str) else a for a in exc.args)
    except Exception:  # noqa: BLE001 - some exceptions refuse new args; the log still has the type and frames
        pass
    return (type(exc), exc, exc.__traceback__)
