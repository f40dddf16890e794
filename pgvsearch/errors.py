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
    LOCKED = 75
    INTERRUPTED = 130


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
    """Database unreachable, authentication failed, or the connection dropped (exit 5)."""

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
