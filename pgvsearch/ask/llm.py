"""Which language model to ask: :class:`LLMConfig` and :func:`resolve_llm`, or the note shown instead.

The endpoint URL and model name come from :class:`~pgvsearch.config.Settings` (already resolved:
command line > ``OPENAI_BASE_URL`` / ``PGVSEARCH_LLM_MODEL`` > config file). Two values are read
from the environment here and nowhere else (:func:`_api_key`, :func:`_retry_base`): the API key,
``OPENAI_API_KEY``, which stays out of Settings and config files so it is never printed with
them (nor in :class:`LLMConfig`'s repr); and ``PGVSEARCH_LLM_RETRY_BASE``, the first backoff delay.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from ..config import resolve_llm_endpoint
from ..errors import LLMError, UsageError

if TYPE_CHECKING:
    from ..config import Settings

DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 4
DEFAULT_RETRY_BASE = 1.0
MAX_RETRY_WAIT = 60.0
"""Total seconds spent waiting between retries of one request (429 and 5xx)."""
OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"

NO_LLM_NOTE = (
    "note: no language model configured; showing the best-matching sentences. "
    "Set OPENAI_BASE_URL/OPENAI_API_KEY or pass --llm-url/--llm-model for generated answers."
)
NO_MODEL_NAME_NOTE = (
    "note: a language-model URL is set but no model name; showing the best-matching sentences. "
    "Pass --llm-model or set PGVSEARCH_LLM_MODEL for generated answers."
)


@dataclass(frozen=True, repr=False)
class LLMConfig:
    """Where and how to reach an OpenAI-compatible Chat Completions endpoint."""

    base_url: str
    """e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (a full .../chat/completions URL also works)."""
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    """Seconds to wait for the connection and for each piece of the streamed answer."""
    retries: int = DEFAULT_RETRIES
    """Extra attempts after HTTP 429 or a transient 5xx."""
    retry_base: float = DEFAULT_RETRY_BASE
    """First backoff delay in seconds; it doubles on each retry (Retry-After wins when sent)."""
    max_retry_wait: float = MAX_RETRY_WAIT

    def __repr__(self) -> str:
        return f"LLMConfig(url={self.display_url!r}, model={self.model!r}, timeout={self.timeout:g})"

    @property
    def chat_url(self) -> str:
        parts = urllib.parse.urlsplit(self.base_url)
        path = parts.path.rstrip("/")
        if not path.endswith("/chat/completions"):
            path += "/chat/completions"
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))

    @property
    def display_url(self) -> str:
        """The endpoint fit for messages: no user:password@, query string or fragment."""
        parts = urllib.parse.urlsplit(self.chat_url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def resolve_llm(
    settings: "Settings | None" = None,
    *,
    url: str | None = None,
    model: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> tuple[LLMConfig | None, str | None]:
    """The model to ask, or ``None`` and the one-line note to show instead.

    ``url``/``model`` are command-line values; they win over ``settings`` (which already
    resolved OPENAI_BASE_URL / PGVSEARCH_LLM_MODEL / the config file). Without ``settings``
    the URL and model come from ``environ`` by the same rule (no config file). The API key
    comes from OPENAI_API_KEY only. A model is configured when a URL or a key is present and
    a model name is known; a key alone means OpenAI with gpt-4o-mini; a URL without a model
    name asks the server's ``/v1/models`` and takes the model when it serves exactly one.
    """
    env = os.environ if environ is None else environ
    if settings is None:
        known_url, known_model = resolve_llm_endpoint(environ=env)
    else:
        known_url, known_model = settings.llm_url, settings.llm_model
    base = url or known_url or None
    name = model or known_model or None
    key = _api_key(env)
    if timeout <= 0:
        raise UsageError("--llm-timeout must be a positive number of seconds")
    if not base and not key:
        if model:
            raise UsageError(
                "--llm-model needs an endpoint: pass --llm-url (e.g. http://localhost:11434/v1 for Ollama) "
                "or set OPENAI_BASE_URL or OPENAI_API_KEY"
            )
        return None, NO_LLM_NOTE
    if not name and (not base or urllib.parse.urlsplit(base).hostname == "api.openai.com") and key:
        name = OPENAI_DEFAULT_MODEL
    base = base or OPENAI_BASE_URL
    if urllib.parse.urlsplit(base).scheme not in ("http", "https") or not urllib.parse.urlsplit(base).hostname:
        raise LLMError("the language-model URL must look like http(s)://host[:port]/v1 (--llm-url, OPENAI_BASE_URL or llm_url)")
    if not name:
        name = _the_served_model(base, key, timeout)
    if not name:
        if url:
            raise UsageError("--llm-url needs a model name: pass --llm-model or set PGVSEARCH_LLM_MODEL")
        return None, NO_MODEL_NAME_NOTE
    return LLMConfig(base_url=base, model=name, api_key=key, timeout=float(timeout), retry_base=_retry_base(env)), None


def _the_served_model(base: str, key: str | None, timeout: float) -> str | None:
    """The model a server given without a model name serves, when it serves exactly one (the usual
    case for Ollama, llama.cpp and vLLM); LLMError listing them when it serves several; None when
    it cannot tell (then no model is configured, as before)."""
    from .discovery import DISCOVERY_TIMEOUT, served_models

    served = served_models(base, key, timeout=min(timeout, DISCOVERY_TIMEOUT))
    if not served:
        return None
    if len(served) == 1:
        return served[0]
    where = LLMConfig(base_url=base, model="?").display_url.removesuffix("/chat/completions")
    shown = ", ".join(served[:20]) + (f" and {len(served) - 20} more" if len(served) > 20 else "")
    raise LLMError(f"the language-model server at {where} serves {len(served)} models ({shown}); "
                   "choose one with --llm-model or PGVSEARCH_LLM_MODEL")


def _api_key(env: Mapping[str, str]) -> str | None:
    """OPENAI_API_KEY: the one place the API key is read."""
    key = (env.get("OPENAI_API_KEY") or "").strip() or None
    if key and any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise LLMError("OPENAI_API_KEY contains control characters (a stray newline?); set it again without them")
    return key


def _retry_base(env: Mapping[str, str]) -> float:
    """PGVSEARCH_LLM_RETRY_BASE: the first backoff delay in seconds (default 1)."""
    retry_raw = env.get("PGVSEARCH_LLM_RETRY_BASE")
    try:
        return DEFAULT_RETRY_BASE if not retry_raw else max(0.0, float(retry_raw))
    except ValueError:
        raise LLMError(f"PGVSEARCH_LLM_RETRY_BASE must be a number of seconds, got {retry_raw!r}") from None
