"""SIGTERM (cron's `timeout`, systemd) is treated as Ctrl-C, so commands stop the same way."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Any, Iterator


def raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C: finish or roll back the current batch, then exit 130."""
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
