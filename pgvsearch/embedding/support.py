"""Small shared pieces of the export pipeline: the "cannot serve through ONNX" signal, one-line
exception descriptions, and muting chatty libraries while they work."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    from sentence_transformers import SentenceTransformer


class CannotExport(ConfigError):
    """The model cannot be served through ONNX (unsupported modules, export or check failed).

    ``backend="auto"`` catches it and falls back to sentence-transformers, reusing ``st_model``
    when the model was already loaded.
    """

    def __init__(self, message: str, st_model: SentenceTransformer | None = None) -> None:
        super().__init__(message)
        self.st_model = st_model


def raise_if_interrupted(exc: BaseException) -> None:
    """Re-raise Ctrl-C (or SIGTERM, which the CLI turns into it) that surfaced as another error.

    A KeyboardInterrupt raised while a C extension initialises comes back as an ImportError
    ("initialization failed") chained to it; taken for a missing library, it would send the run
    on with a fallback backend, the user's interruption swallowed."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        seen = seen.__cause__ or seen.__context__


def describe(exc: BaseException, limit: int = 300) -> str:
    """One line for a message: the exception type and the first line of its text."""
    text = (str(exc).strip().splitlines() or [""])[0][:limit]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.contextmanager
def quiet_logging() -> Iterator[None]:
    """Mute library log records below ERROR (onnxruntime.quantization logs advice on the root logger)."""
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


@contextlib.contextmanager
def quiet_tools() -> Iterator[None]:
    """What the graph tools (optimizer, quantizer) print and warn, out of the way: no log records
    below ERROR, no warnings, and their stdout sent to stderr (stdout is the CLI's output)."""
    with quiet_logging(), warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        yield
