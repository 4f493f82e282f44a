"""The `omniload` command: its subcommands wired to the modules that do the work, and the way it ends.

`ingest` (omniload/cli/ingest.py) builds its flags from `omniload.api.RunArguments` and its own `Shell`
(omniload/cli/flags.py); `tables`, `docs`, `example-uris` and `version` read the registries
(omniload/cli/catalog.py); `demo` runs the bundled fake. Every mistake ends in one line on stderr, `error: <what is
wrong and how to fix it>`, with the exit status of `omniload.cli.exits.failure` (README "What the demo prints").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from omniload.api import RunArguments
from omniload.cli import catalog
from omniload.cli.exits import failure
from omniload.cli.flags import command
from omniload.cli.ingest import Shell, ingest
from omniload.cli.output import say_failure
from omniload.errors import UsageError
from omniload.sources import BUILT_IN, sources

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Copy data from SaaS APIs into databases and files.",
)


def _help_examples() -> str:
    """Every registered source's examples for `ingest --help`; a broken OMNILOAD_SOURCES is reported by the
    command that needs it, not while the CLI loads."""
    try:
        registered = tuple(sources().values())
    except UsageError:
        registered = BUILT_IN
    return "".join(source.help_examples() for source in registered)


def _version(value: bool) -> None:
    if value:
        catalog.version()
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """omniload copies data from SaaS APIs into databases and files."""


app.command(epilog=_help_examples())(command(ingest, RunArguments, Shell))
app.command()(catalog.tables)
app.command(name="docs")(catalog.docs_page)
app.command(name="example-uris")(catalog.example_uris)
app.command()(catalog.version)


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="DuckDB file to load into.")] = Path("demo.duckdb"),
    rate_limit: Annotated[float, typer.Option(help="Requests per second the fake allows.")] = 50.0,
    source_table: Annotated[str, typer.Option(help="Tables to load.")] = "all",
) -> None:
    """Load every Customer.io table from the bundled fake API into a DuckDB file (no account needed)."""
    from omniload.demo import run_demo

    raise typer.Exit(run_demo(database.resolve(), rate_limit, source_table))


def main() -> None:
    """Click's own usage errors (a missing option, a bad --progress) end in one line too, with exit status 2."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # `omniload` alone: the help, and success
            typer.echo(error.format_message(), err=True)
            sys.exit(0)
        failed = failure(error)
        say_failure(failed, error, debug=False)
        sys.exit(failed.status)
    except typer.Abort as error:
        failed = failure(error)
        say_failure(failed, error, debug=False)
        sys.exit(failed.status)
    sys.exit(code if isinstance(code, int) else 0)
