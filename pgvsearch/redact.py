"""Secrets never reach output, logs or error messages: the one home of redaction.

Every message built from text we did not write (a server's error, an exception's str) passes
through :func:`redact_secrets`; connection strings shown to people through :func:`redact_dsn`.
"""

from __future__ import annotations

import os
import re

SECRET_ENV_VARIABLES = ("OPENAI_API_KEY", "PGPASSWORD")
_DSN_URI_PASSWORD_RE = re.compile(r"(://[^:/?#@]*:)[^@/?#]*@")
_DSN_KEYWORD_PASSWORD_RE = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_TOKEN_RE = re.compile(r"(Bearer\s+)\S+|\bsk-[A-Za-z0-9_\-]{6,}", re.IGNORECASE)
"""Bearer tokens and OpenAI-style keys, wherever they appear."""


def redact_dsn(dsn: str) -> str:
    """A DSN fit for printing: any password (URI or key=value form) replaced by ``***``."""
    return _DSN_KEYWORD_PASSWORD_RE.sub(r"\1***", _DSN_URI_PASSWORD_RE.sub(r"\1***@", dsn))


def redact_tokens(text: str, *secrets: str | None) -> str:
    """``text`` without the given secrets, bearer tokens or ``sk-`` keys."""
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), "***")
    return _TOKEN_RE.sub(lambda m: (m.group(1) or "") + "***", text)


def redact_secrets(text: str, *secrets: str | None) -> str:
    """The backstop for messages we did not write: DSN passwords, the given secrets, and the
    secrets held in the environment (OPENAI_API_KEY, PGPASSWORD) replaced by ``***``."""
    text = redact_dsn(text)
    env_secrets = ((os.environ.get(name) or "").strip() for name in SECRET_ENV_VARIABLES)
    for secret in (*secrets, *env_secrets):
        if secret:
            text = text.replace(str(secret), "***")
    return text
