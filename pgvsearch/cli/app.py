"""The `pgvsearch` Typer app: its help, and which function each command runs.

Each command parses its options, calls one library function and renders the result; the
commands live one group per module, the options they share in :mod:`.options`.
"""

from __future__ import annotations

import typer

from ..errors import exit_codes_help
from . import admin, ask, ingest, mcp, search, server, tables
from .eval import eval_command

EXIT_CODES_HELP = exit_codes_help()

app = typer.Typer(
    name="pgvsearch",
    help="Semantic, keyword and hybrid (RRF) document search on PostgreSQL + pgvector.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"pgvsearch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Options that come before the command."""


server_app = typer.Typer(help="Manage the embedded PostgreSQL server (used when no DSN is configured).", no_args_is_help=True)

# In the order `pgvsearch --help` lists them.
app.command("init")(admin.init)
app.command("ingest")(ingest.ingest)
app.command("track")(tables.track)
app.command("untrack")(tables.untrack)
app.command("search")(search.search)
app.command("keyword")(search.keyword)
app.command("hybrid")(search.hybrid)
app.command("ask")(ask.ask)
app.command("eval")(eval_command)
app.command("status")(admin.status)
app.command("mcp")(mcp.mcp)
app.command("drop")(admin.drop)
app.add_typer(server_app, name="server")
server_app.command("start")(server.start)
server_app.command("stop")(server.stop)
server_app.command("status")(server.status)
