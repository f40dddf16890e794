"""The short human reasons a :class:`~.document.Skipped` input carries."""

from __future__ import annotations

import errno


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024.0
        if value < 1024.0 or unit == "TB":
            break
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def size_reason(size: int, max_bytes: int) -> str:
    a, b = human_size(size), human_size(max_bytes)
    if a == b:  # e.g. one byte over: show exact figures rather than "10 MB > 10 MB"
        a, b = f"{size} bytes", f"{max_bytes} bytes"
    return f"larger than max size ({a} > {b})"


def short(exc: BaseException, limit: int = 160) -> str:
    msg = " ".join(str(exc).split()) or type(exc).__name__
    if len(msg) > limit:
        msg = msg[: limit - 3] + "..."
    return msg


def oserror_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file vanished during the run"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.strerror:
        return f"cannot read: {exc.strerror.lower()}"
    return f"cannot read: {short(exc)}"
