"""server start|stop|status: the embedded PostgreSQL server (used when no DSN is configured)."""

from __future__ import annotations

from .context import err, settings_for
from .options import Debug, Format


def start(debug: Debug = False) -> None:
    """Start the embedded server (it also starts by itself on first use)."""
    from ..store import ensure_server

    settings = settings_for(None, None)
    srv = ensure_server(settings.pgdata)
    err(f"embedded PostgreSQL running (pid {srv.pid}), data in {settings.pgdata}")


def stop(debug: Debug = False) -> None:
    """Stop the embedded server; the next command starts it again."""
    from ..store import stop_server

    settings = settings_for(None, None)
    stopped = stop_server(settings.pgdata)
    err("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


def status(fmt: Format = None, debug: Debug = False) -> None:
    """Say whether the embedded server runs and where its data lives."""
    from ..render import pick_format, print_json
    from ..store import running_server

    settings = settings_for(None, None)
    srv = running_server(settings.pgdata)
    data = {"running": srv is not None, "pid": srv.pid if srv else None, "data_dir": str(settings.pgdata),
            "socket_dir": srv.socket_dir if srv else None}
    if pick_format(fmt) == "json":
        print_json(data)
    else:
        err(f"{'running (pid %d)' % srv.pid if srv else 'not running'}; data in {settings.pgdata}")
