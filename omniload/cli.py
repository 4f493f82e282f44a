"""The `omniload` command: parses flags, builds a run, prints the summary. Errors end in one line."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from omniload import __version__
from omniload.errors import OmniloadError, UsageError

if TYPE_CHECKING:
    from omniload.pipeline import Run, RunResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Copy data from SaaS APIs into databases and files.",
)
out = Console()
err = Console(stderr=True)

SEED_EXAMPLES = """
Examples:

  # Broadcasts into DuckDB
  omniload ingest --source-uri 'customerio://?api_key=KEY&region=us' --source-table 'broadcasts' \\
    --dest-uri duckdb:///customerio.duckdb --dest-table 'customerio.broadcasts'

  # Daily broadcast metrics (metrics tables need :hours, :days, :weeks or :months)
  omniload ingest --source-uri 'customerio://?api_key=KEY&region=us' --source-table 'broadcast_metrics:days' \\
    --dest-uri duckdb:///customerio.duckdb --dest-table 'customerio.broadcast_metrics'

  # Broadcasts updated in January 2024
  omniload ingest --source-uri 'customerio://?api_key=KEY&region=us' --source-table 'broadcasts' \\
    --dest-uri duckdb:///customerio.duckdb --dest-table 'customerio.broadcasts' \\
    --interval-start '2024-01-01' --interval-end '2024-01-31'
"""


def _version(value: bool) -> None:
    if value:
        out.print(f"omniload {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """omniload copies data from SaaS APIs into databases and files."""


@app.command(epilog=SEED_EXAMPLES)
def ingest(
    source_uri: Annotated[str, typer.Option(help="Source URI, e.g. 'customerio://?api_key=KEY&region=us'.")],
    source_table: Annotated[str, typer.Option(help="Table to read (metrics: table:period), a list, or all.")],
    dest_uri: Annotated[str, typer.Option(help="Destination URI, e.g. duckdb:///customerio.duckdb.")],
    dest_table: Annotated[
        str | None, typer.Option(help="schema.table to load into (with several tables: the schema).")
    ] = None,
    interval_start: Annotated[str | None, typer.Option(help="Only data updated/created from then on.")] = None,
    interval_end: Annotated[str | None, typer.Option(help="Only data updated/created until then.")] = None,
    incremental_strategy: Annotated[
        str | None, typer.Option(help="replace, append, merge, delete+insert or scd2 (default: the table's).")
    ] = None,
    incremental_key: Annotated[str | None, typer.Option(help="Column the interval and cursor use.")] = None,
    primary_key: Annotated[
        list[str] | None, typer.Option(help="Primary key column; repeat for a composite key.")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Drop the tables and their saved cursors, load from scratch.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Copy a source table into a destination table."""
    _configure_logging(debug)
    try:
        run = _build_run(
            source_uri, source_table, dest_uri, dest_table, interval_start, interval_end,
            Overrides(incremental_strategy, incremental_key, tuple(primary_key or ())), full_refresh,
        )
        if not yes and sys.stdin.isatty() and sys.stdout.isatty():
            names = ", ".join(r.output for r in run.requests)
            if not typer.confirm(f"Load {names} into {run.destination.display} ({run.dataset})?", default=True):
                raise typer.Exit(1)
        result = run.execute()
    except OmniloadError as error:
        _fail(error, debug)
    except (KeyboardInterrupt, typer.Exit):
        raise
    except Exception as error:  # a bug: one line, the traceback only when asked for
        if debug:
            raise
        err.print(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)", highlight=False)
        raise typer.Exit(1) from None
    _print_summary(result)


@app.command()
def tables(source: Annotated[str, typer.Argument(help="Source name, e.g. customerio.")]) -> None:
    """List a source's tables with their primary key, incremental key and strategy."""
    if source.split(":")[0] != "customerio":
        _fail(UsageError(f"unknown source {source!r}; sources: customerio"), False)
    from omniload.sources.customerio.catalog import TABLES

    listing = RichTable("table", "primary key", "incremental key", "strategy", "holds", box=None)
    for table in TABLES:
        name = f"{table.name}:period" if table.is_metrics else table.name
        listing.add_row(name, ", ".join(table.primary_key), table.incremental_key or "-", table.strategy,
                        table.description)
    out.print(listing)


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="DuckDB file to load into.")] = Path("demo.duckdb"),
    rate_limit: Annotated[float, typer.Option(help="Requests per second the fake allows.")] = 50.0,
    source_table: Annotated[str, typer.Option(help="Tables to load.")] = "all",
) -> None:
    """Load every Customer.io table from the bundled fake API into a DuckDB file (no account needed)."""
    from omniload.demo import run_demo

    raise typer.Exit(run_demo(database.resolve(), rate_limit, source_table))


def _build_run(
    source_uri: str,
    source_table: str,
    dest_uri: str,
    dest_table: str | None,
    interval_start: str | None,
    interval_end: str | None,
    overrides: Overrides,
    full_refresh: bool,
) -> Run:
    from omniload import destinations
    from omniload.pipeline import Run, check_strategy, make_interval, split_dest_table
    from omniload.sources import resolve_source

    source = resolve_source(source_uri)
    requests = source.select(source_table)
    for request in requests:
        request.strategy = overrides.strategy or request.strategy
        request.incremental_key = overrides.incremental_key or request.incremental_key
        request.primary_key = overrides.primary_key or request.primary_key
        check_strategy(request)
    interval = make_interval(interval_start, interval_end)
    destination = destinations.resolve(dest_uri)
    dataset, table_name = split_dest_table(dest_table, destination.default_dataset)
    return Run(
        requests, source.reader(), destination, dataset, table_name, interval, full_refresh,
        source.config.lookback_days,
    )


@dataclass(frozen=True)
class Overrides:
    """What the user changed of each table's catalog defaults."""

    strategy: str | None
    incremental_key: str | None
    primary_key: tuple[str, ...]


def _print_summary(result: RunResult) -> None:
    summary = RichTable("table", "rows", "requests", "seconds", "loaded into", box=None, title=None)
    for table in result.tables:
        summary.add_row(
            table.name, f"{table.rows:,}", f"{table.requests:,}", f"{table.seconds:.1f}",
            f"{result.dataset}.{table.destination_table}",
        )
    out.print(summary)
    rows = sum(t.rows for t in result.tables)
    out.print(
        f"Loaded {rows:,} rows in {len(result.tables)} table(s) into {result.destination} "
        f"with {result.requests:,} requests in {result.seconds:.1f}s.",
        highlight=False,
    )


def _fail(error: OmniloadError, debug: bool) -> None:
    if debug:
        raise error
    err.print(f"error: {error}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(error.exit_code)


class _WarningFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_WarningFormatter())
    logger = logging.getLogger("omniload")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False


def main() -> None:
    app()
