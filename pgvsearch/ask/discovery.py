"""Which model a local server serves: ``GET /v1/models`` of an OpenAI-compatible endpoint.

Ollama, llama.cpp's server and vLLM usually serve one model; when a URL is given without a
model name, :func:`served_models` lets ``ask`` use that one instead of giving up.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

DISCOVERY_TIMEOUT = 5.0
"""Seconds to wait for the model list: a server that does not answer quickly is asked no more."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect would carry the API key to another host


def models_url(base_url: str) -> str:
    """``.../v1/models`` for a base URL given as ``.../v1`` or as the full ``.../chat/completions``."""
    parts = urllib.parse.urlsplit(base_url)
    path = parts.path.rstrip("/")
    if path.endswith("/chat/completions"):
        path = path[: -len("/chat/completions")]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/models", parts.query, ""))


def served_models(base_url: str, api_key: str | None, timeout: float = DISCOVERY_TIMEOUT) -> list[str] | None:
    """The model ids the server lists, or None when it cannot say (unreachable, no such route,
    not an OpenAI-style list): the caller then behaves as if it had not asked."""
    request = urllib.request.Request(models_url(base_url), method="GET")
    request.add_header("Accept", "application/json")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=timeout) as response:
            listing = json.loads(response.read(1 << 20))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    entries = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        return None
    ids = [str(e["id"]) for e in entries if isinstance(e, dict) and isinstance(e.get("id"), (str, int))]
    return sorted(dict.fromkeys(ids))
