"""Exit codes and the exceptions library code raises for user-facing failures.

Library functions raise a :class:`PgvsearchError` subclass with a message that says what
went wrong and what to do next. The CLI turns it into one line on stderr and the exit code
the class carries. Messages must never contain a password or an API key.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    PARTIAL = 3
    CONFIG = 4
    DATABASE = 5
    LLM = 6
    CLUSTER = 7
    LOCKED = 75
    INTERRUPTED = 130


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "ok",
    ExitCode.UNEXPECTED: "unexpected error",
    ExitCode.USAGE: "usage error",
    ExitCode.PARTIAL: "partial success (inputs skipped)",
    ExitCode.CONFIG: "configuration/schema mismatch",
    ExitCode.DATABASE: "database unreachable, authentication failed, connection lost, or a statement stopped by the server (timeout, disk full)",
    ExitCode.LLM: "language-model error",
    ExitCode.CLUSTER: "embedding cluster (Ray) lost",
    ExitCode.LOCKED: "another ingest holds the lock",
    ExitCode.INTERRUPTED: "interrupted",
}
"""The one table of exit codes: the CLI's help and the docs are written from it."""


def exit_codes_help() -> str:
    return "Exit codes: " + ", ".join(f"{int(code)} {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()) + "."


class PgvsearchError(Exception):
    """Base class: an error the user can act on. ``exit_code`` is what the CLI exits with."""

    exit_code: ExitCode = ExitCode.UNEXPECTED


class UsageError(PgvsearchError):
    """Bad arguments or input given by the user (exit 2)."""

    exit_code = ExitCode.USAGE


class ConfigError(PgvsearchError):
    """Configuration or schema mismatch: model/dimension, missing pgvector, unknown collection (exit 4)."""

    exit_code = ExitCode.CONFIG


class DatabaseError(PgvsearchError):
    """Database unreachable, authentication failed, the connection dropped, or the server
    stopped a statement (statement_timeout, lock_timeout, disk full) (exit 5)."""

    exit_code = ExitCode.DATABASE


class LLMError(PgvsearchError):
    """The language-model endpoint failed: unreachable, 401, 429, timeout, context too long (exit 6)."""

    exit_code = ExitCode.LLM


class LockedError(PgvsearchError):
    """Another ingest holds the collection's lock (exit 75)."""

    exit_code = ExitCode.LOCKED


class EmbeddingError(PgvsearchError):
    """The model produced unusable vectors (NaN/inf or wrong length) for an input."""

    exit_code = ExitCode.UNEXPECTED


SERVER_GAVE_UP = {
    "57014": "statement_timeout, or a cancel request",
    "55P03": "lock_timeout: another session held a lock this statement waited for",
}
"""SQLSTATEs of a statement the server stopped, each with what to look at."""


def is_usage_error(exc: BaseException) -> bool:
    """Click's (Typer's vendored) UsageError/BadParameter family, without importing it by path."""
    return hasattr(exc, "format_message") and any(cls.__name__ == "ClickException" for cls in type(exc).__mro__)


def describe_error(exc: BaseException) -> tuple[str, int]:
    """The one line that explains ``exc`` (secrets redacted) and the exit code it gives."""
    from .redact import redact_secrets

    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", int(ExitCode.INTERRUPTED)
    if isinstance(exc, PgvsearchError):
        return f"error: {exc}", int(exc.exit_code)
    if is_usage_error(exc):
        return f"error: {exc.format_message()}", int(ExitCode.USAGE)  # type: ignore[attr-defined]
    message = redact_secrets(" ".join(str(exc).split()))
    if type(exc).__module__.startswith("psycopg"):
        import psycopg

        state = getattr(exc, "sqlstate", None) or ""
        # Connection exceptions (class 08), administrator shutdowns (57P0x) or a connection
        # that broke without a SQLSTATE: the database went away.
        if isinstance(exc, psycopg.OperationalError) and (not state or state.startswith("08") or state.startswith("57P0")):
            return (f"error: lost the database connection: {message}; committed work is kept, run the command again",
                    int(ExitCode.DATABASE))
        primary = redact_secrets(" ".join((getattr(getattr(exc, "diag", None), "message_primary", None) or message).split()))
        # The server gave up on a statement: a timeout set for the session (statement_timeout,
        # lock_timeout, e.g. in the DSN's options) or no space left. The transaction rolled back.
        if state in SERVER_GAVE_UP:
            return (f"error: the database stopped the statement: {primary} ({SERVER_GAVE_UP[state]}); "
                    "committed work is kept, run the command again", int(ExitCode.DATABASE))
        if state.startswith("53"):  # insufficient_resources: disk_full, out_of_memory, too_many_connections
            return (f"error: the database server is out of resources: {primary}; committed work is kept, "
                    "free disk space (or memory, connections) on the server and run the command again",
                    int(ExitCode.DATABASE))
        if state == "42501":  # insufficient_privilege: a configuration matter, not a crash
            return (f"error: the database refused: {primary}; pgvsearch needs CREATE on the database for `init` "
                    "(its schemas) and ownership of a collection's schema to write to it", int(ExitCode.CONFIG))
    return f"unexpected error: {type(exc).__name__}: {message} (run with --debug for the traceback)", int(ExitCode.UNEXPECTED)


class ClusterError(PgvsearchError):
    """The Ray cluster an ``ingest --ray`` embeds on is unreachable or lost its workers (exit 7);
    the batches committed before stay, the next run embeds the rest."""

    exit_code = ExitCode.CLUSTER
