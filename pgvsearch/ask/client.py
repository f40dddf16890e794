"""The Chat Completions client: POST, retries (429/5xx, Retry-After), server-sent events, and
one-line error messages.

Only the standard library is used for HTTP (urllib, server-sent events), so importing this
module stays cheap. The API key is only ever set on the request's Authorization header; it is
redacted from anything a server echoes back and never appears in a message or repr.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import socket
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from ..errors import LLMError
from ..redact import redact_tokens as redact
from .llm import LLMConfig

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
ERROR_BODY_LIMIT = 64 * 1024
_CONTEXT_TOO_LONG_RE = re.compile(
    r"context[ _-]?length|maximum context|context[ _-]?window|too many tokens|context_length_exceeded"
    r"|maximum (?:number of )?tokens|prompt is too long|exceeds? the (?:model'?s? )?(?:max|context)",
    re.IGNORECASE,
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: urllib would carry the Authorization header to the new host."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


class _Retry(Exception):
    def __init__(self, message: str, delay: float | None) -> None:
        super().__init__(message)
        self.message = message
        self.delay = delay


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def _server_message(raw: bytes, secret: str | None) -> str:
    text = raw.decode("utf-8", "replace")
    message: Any = None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            message = error.get("message") or error.get("detail") or error.get("code")
        elif isinstance(error, str):
            message = error
        message = message or data.get("message") or data.get("detail")
    flat = " ".join(str(message or text).split())
    flat = redact(flat, secret)
    return flat if len(flat) <= 300 else flat[:299] + "…"


def _error_code(raw: bytes) -> str:
    try:
        error = json.loads(raw.decode("utf-8", "replace")).get("error")
    except (ValueError, AttributeError):
        return ""
    return str(error.get("code") or error.get("type") or "") if isinstance(error, dict) else ""


def _sse_events(lines: Iterable[bytes]) -> Iterator[str]:
    """The data of each server-sent event (multi-line data joined by newlines)."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


class ChatClient:
    """POSTs to {base}/chat/completions with stream=true and yields the answer as it arrives."""

    def __init__(self, config: LLMConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirect)

    def __repr__(self) -> str:
        return f"ChatClient({self.config.display_url!r}, model={self.config.model!r})"

    def request_body(self, messages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        return {"model": self.config.model, "messages": [dict(m) for m in messages], "stream": True}

    def complete(self, messages: Sequence[Mapping[str, str]], on_token: Callable[[str], None] | None = None) -> str:
        """The whole answer; ``on_token`` receives each piece as soon as it arrives."""
        body = json.dumps(self.request_body(messages)).encode("utf-8")
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._open(body)
            except _Retry as retry:
                delay = retry.delay if retry.delay is not None else self.config.retry_base * 2 ** (attempt - 1)
                if attempt > self.config.retries or waited + delay > self.config.max_retry_wait:
                    tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
                    raise LLMError(f"{retry.message}; gave up after {tries} and {waited:.0f}s of waiting, try again later") from None
                self._sleep(delay)
                waited += delay
                continue
            with response:
                return self._read(response, on_token)

    # -- one request -----------------------------------------------------------------------
    def _open(self, body: bytes) -> http.client.HTTPResponse:
        cfg = self.config
        request = urllib.request.Request(cfg.chat_url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "text/event-stream, application/json")
        if cfg.api_key:
            request.add_header("Authorization", f"Bearer {cfg.api_key}")
        try:
            return self._opener.open(request, timeout=cfg.timeout)  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            self._http_error(exc)
        except urllib.error.URLError as exc:
            self._connection_error(exc.reason)
        except (OSError, http.client.HTTPException) as exc:
            self._connection_error(exc)
        except ValueError as exc:  # e.g. an invalid header or URL; the message may quote the key
            raise LLMError(f"cannot send the request to {cfg.display_url}: {redact(str(exc), cfg.api_key)}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _http_error(self, exc: urllib.error.HTTPError) -> None:
        cfg = self.config
        try:
            raw = exc.read(ERROR_BODY_LIMIT) if exc.fp is not None else b""
        except (OSError, http.client.HTTPException):
            raw = b""
        finally:
            exc.close()
        code = exc.code
        detail = _server_message(raw, cfg.api_key) if raw else (exc.reason or "")
        where = f"the language model at {cfg.display_url}"
        if code in (401, 403):
            hint = "check OPENAI_API_KEY" if cfg.api_key else "set OPENAI_API_KEY"
            verb = "rejected the API key" if cfg.api_key else "needs an API key"
            raise LLMError(f"{where} {verb} (HTTP {code}: {detail}); {hint}") from None
        if code == 429 and _error_code(raw) == "insufficient_quota":
            raise LLMError(f"{where} says the account's quota is used up (HTTP 429: {detail})") from None
        if code in RETRY_STATUSES:
            label = "is rate limiting requests" if code == 429 else "is unavailable"
            raise _Retry(f"{where} {label} (HTTP {code}: {detail})", _retry_after(exc.headers))
        if code in (400, 413, 422) and _CONTEXT_TOO_LONG_RE.search(raw.decode("utf-8", "replace")):
            raise LLMError(
                f"the question and passages are too long for model {cfg.model} (HTTP {code}: {detail}); "
                "lower --context-tokens or -k"
            ) from None
        if code == 404:
            raise LLMError(
                f"{where} answered HTTP 404 ({detail}); check the URL (OpenAI-compatible servers usually end in /v1) "
                f"and the model name {cfg.model!r}"
            ) from None
        if 300 <= code < 400:
            target = redact(exc.headers.get("Location", "?"), cfg.api_key)
            raise LLMError(f"{where} redirects (HTTP {code}) to {target}; use that address as --llm-url") from None
        raise LLMError(f"{where} refused the request (HTTP {code}: {detail})") from None

    def _connection_error(self, reason: object) -> None:
        cfg = self.config
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise LLMError(
                f"the language model at {cfg.display_url} did not respond within {cfg.timeout:g}s; "
                "raise --llm-timeout or check the server"
            ) from None
        text = redact(" ".join(str(getattr(reason, "strerror", None) or reason).split()), cfg.api_key)
        raise LLMError(
            f"cannot reach the language model at {cfg.display_url} ({text}); "
            "check --llm-url / OPENAI_BASE_URL and that the server is running"
        ) from None

    # -- the answer ------------------------------------------------------------------------
    def _read(self, response: http.client.HTTPResponse, on_token: Callable[[str], None] | None) -> str:
        cfg = self.config
        parts: list[str] = []
        try:
            if response.headers.get_content_type() == "application/json":
                content = self._chunk_text(response.read(), "message")
                if content:
                    parts.append(content)
                    if on_token:
                        on_token(content)
                return "".join(parts)
            for data in _sse_events(response):
                if data.strip() == "[DONE]":
                    break
                piece = self._chunk_text(data.encode("utf-8"), "delta")
                if piece:
                    parts.append(piece)
                    if on_token:
                        on_token(piece)
        except (TimeoutError, socket.timeout):
            raise LLMError(
                f"the language model at {cfg.display_url} stopped sending for {cfg.timeout:g}s mid-answer; "
                "raise --llm-timeout or check the server"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise LLMError(
                f"the connection to the language model at {cfg.display_url} broke mid-answer ({type(exc).__name__})"
            ) from None
        return "".join(parts)

    def _chunk_text(self, raw: bytes, key: str) -> str:
        cfg = self.config
        try:
            data = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            raise LLMError(f"the language model at {cfg.display_url} sent something that is not Chat Completions JSON") from None
        if not isinstance(data, dict):
            raise LLMError(f"the language model at {cfg.display_url} sent something that is not Chat Completions JSON")
        if data.get("error"):
            detail = _server_message(raw, cfg.api_key)
            if _CONTEXT_TOO_LONG_RE.search(detail):
                raise LLMError(f"the question and passages are too long for model {cfg.model} ({detail}); lower --context-tokens or -k")
            raise LLMError(f"the language model at {cfg.display_url} failed: {detail}")
        choices = data.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            return ""
        part = choices[0].get(key) or {}
        content = part.get("content") if isinstance(part, dict) else None
        return content if isinstance(content, str) else ""
