"""The error boundary: every failure becomes one line on stderr and a documented exit code.

Exit codes are listed once, in :data:`pgvsearch.errors.EXIT_CODE_MEANINGS`.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from ..errors import ExitCode, describe_error, is_usage_error
from .app import app
from .context import err
from .signals import raise_interrupt

# Read-only commands whose process ends right after printing: nothing is left to clean up once
# main() returns (the connection is closed, the output written), so they skip the interpreter's
# teardown, ~0.1 s of freeing numpy, onnxruntime and psycopg state, a sixth of a cold query.
FAST_EXIT_COMMANDS = frozenset({"search", "keyword", "hybrid"})


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("PGVSEARCH_DEBUG") == "1"
    if argv is None:
        # Run as the command: SIGTERM (cron's `timeout`, systemd) is Ctrl-C from the start,
        # not only once an ingest has begun, so every command exits 130 with a message.
        signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        code = app(args=args, prog_name="pgvsearch", standalone_mode=False)
        if code == ExitCode.INTERRUPTED:
            # Typer turns Ctrl-C (or SIGTERM) inside a command into a silent exit code 130: say so.
            _interrupted(as_command=argv is None)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:  # a confirmation prompt answered "no" (or Ctrl-D): nothing was done
        err("pgvsearch: aborted")
        code = int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        _interrupted(as_command=argv is None)
        code = int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        code = int(ExitCode.OK)
    except Exception as exc:
        if debug and not is_usage_error(exc):
            import traceback

            traceback.print_exc()
        message, code = describe_error(exc)
        err(f"pgvsearch: {message}")
    code = code if isinstance(code, int) else 0
    if argv is None and (code == ExitCode.INTERRUPTED or (args[:1] and args[0] in FAST_EXIT_COMMANDS)):
        _fast_exit(code)
    sys.exit(code)


def _interrupted(*, as_command: bool) -> None:
    """Say that the command was interrupted. Run as the command, the process is ending: from here
    a second Ctrl-C or SIGTERM is ignored, so that it cannot escape mid-exit as a traceback or a
    death by SIGINT instead of exit 130 (seen once in CI after this very message)."""
    if as_command:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # also drops a signal already caught but not yet raised
    err("pgvsearch: interrupted")


def _fast_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be written
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
