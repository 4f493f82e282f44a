"""The `omniload` command: parses flags, builds a run, shows its progress and prints the summary.

Output streams: the interactive view and the summary go to stdout; `--progress log` lines to stderr (the summary
to stdout); `--progress json` events are the only thing on stdout. Errors and warnings always go to stderr.

Every mistake ends in one line on stderr, `error: <what is wrong and how to fix it>`, with these exit codes:
0 success; 1 a runtime failure (API refused the key or scope, host unreachable, destination not writable,
cancelled at the prompt, a bug); 2 bad input (URI, table, period, interval, destination, option); 130 interrupted
(Ctrl-C) and 143 terminated (SIGTERM), each saying what was kept. `--debug` adds the traceback, not another code.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from omniload import __version__, api
from omniload.errors import OmniloadError, UsageError
from omniload.interrupts import Interrupted, install
from omniload.sources import BUILT_IN, find_source, sources

try:  # typer vendors its own copy of click; its exceptions are the ones raised
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - typer versions that use click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

if TYPE_CHECKING:
    from omniload.pipeline import Run
    from omniload.source import Source

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Copy data from SaaS APIs into databases and files.",
)
out = Console()
err = Console(stderr=True)

#: The first built-in source's URI shows the shape of a source URI in help and errors.
URI_EXAMPLE = BUILT_IN[0].uri_example


def _help_examples() -> str:
    """Every registered source's examples for `ingest --help`; a broken OMNILOAD_SOURCES is reported by the
    command that needs it, not while the CLI loads."""
    try:
        registered = tuple(sources().values())
    except UsageError:
        registered = BUILT_IN
    return "".join(source.help_examples() for source in registered)


class ProgressMode(StrEnum):
    interactive = "interactive"
    log = "log"
    json = "json"


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


def from_env(name: str) -> list[str]:
    """The environment variables a flag also reads, ingestr's names (README "Secrets and the environment")."""
    return [name, f"INGESTR_{name}"]


@app.command(epilog=_help_examples())
def ingest(
    source_uri: Annotated[
        str, typer.Option(help=f"Source URI, e.g. '{URI_EXAMPLE}'.", envvar=from_env("SOURCE_URI"))
    ],
    source_table: Annotated[
        str,
        typer.Option(
            help="Table to read (metrics: table:period), a list, all, or all+ (and the tables beyond all).",
            envvar=from_env("SOURCE_TABLE"),
        ),
    ],
    dest_uri: Annotated[
        str, typer.Option(help="Destination URI, e.g. duckdb:///data.duckdb.", envvar=from_env("DESTINATION_URI"))
    ],
    dest_table: Annotated[
        str | None,
        typer.Option(
            help="schema.table to load into (with several tables: the schema).",
            envvar=from_env("DESTINATION_TABLE"),
        ),
    ] = None,
    interval_start: Annotated[
        str | None, typer.Option(help="Only data updated/created from then on.", envvar=from_env("INTERVAL_START"))
    ] = None,
    interval_end: Annotated[
        str | None, typer.Option(help="Only data updated/created until then.", envvar=from_env("INTERVAL_END"))
    ] = None,
    incremental_strategy: Annotated[
        str | None,
        typer.Option(
            help="replace, append, merge, delete+insert or scd2 (default: the table's).",
            envvar=from_env("INCREMENTAL_STRATEGY"),
        ),
    ] = None,
    incremental_key: Annotated[
        str | None, typer.Option(help="Column the interval and cursor use.", envvar=from_env("INCREMENTAL_KEY"))
    ] = None,
    primary_key: Annotated[
        list[str] | None,
        typer.Option(
            help="Primary key column; repeat for a composite key (in the variable: separated by spaces).",
            envvar=from_env("PRIMARY_KEY"),
        ),
    ] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Drop the tables and their saved cursors, load from scratch.",
            envvar=from_env("FULL_REFRESH"),
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Do not ask for confirmation (not asked when stdin is not a terminal).",
            envvar=from_env("SKIP_CONFIRMATION"),
        ),
    ] = False,
    progress: Annotated[
        ProgressMode | None,
        typer.Option(
            help="interactive (default on a terminal): live per-table view; log (default otherwise): timestamped "
            "lines on stderr; json: one event per line on stdout.",
            case_sensitive=False,
            envvar=from_env("PROGRESS"),
        ),
    ] = None,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan",
            help="Print each table's estimated requests and time at the rate limit, then stop (writes nothing).",
            envvar="OMNILOAD_PLAN",
        ),
    ] = False,
    columns: Annotated[
        str | None,
        typer.Option(
            help="Rename and retype columns: name:type, name:type:source or name::source, comma-separated.",
            envvar=["INGESTR_COLUMNS"],  # ingestr's only name for it: COLUMNS is the terminal's width
        ),
    ] = None,
    mask: Annotated[
        list[str] | None,
        typer.Option(
            help="Mask a column before it leaves the machine: column:algorithm[:param] (hash, md5, hmac:KEY, "
            "redact, stars, fixed:TEXT, partial:N, first_letter, email, phone, credit_card, ssn, round:N, "
            "range:N, null); repeat, or separate with commas.",
            envvar=from_env("MASK"),
        ),
    ] = None,
    schema_contract: Annotated[
        str,
        typer.Option(
            help="What a new column or type may do to an existing table: evolve (add it), freeze (fail), "
            "discard_row (drop those rows), discard_value (drop those values).",
            envvar=from_env("SCHEMA_CONTRACT"),
        ),
    ] = "evolve",
    page_size: Annotated[
        int | None,
        typer.Option(help="Records per API page, up to the API's maximum (default: the source's).",
                     envvar=from_env("PAGE_SIZE")),
    ] = None,
    staging_bucket: Annotated[
        str | None,
        typer.Option(help="Bucket a warehouse loads from (s3://, gs://, az://), for BigQuery, Snowflake, "
                     "Redshift, Databricks, ClickHouse, Athena.", envvar=from_env("STAGING_BUCKET")),
    ] = None,
    partition_by: Annotated[
        str | None,
        typer.Option(help="BigQuery: the column to partition tables by.", envvar=from_env("PARTITION_BY")),
    ] = None,
    cluster_by: Annotated[
        str | None,
        typer.Option(help="BigQuery: columns to cluster by, comma-separated.", envvar=from_env("CLUSTER_BY")),
    ] = None,
    no_load_timestamp: Annotated[
        bool,
        typer.Option(
            "--no-load-timestamp",
            help="Do not add _omniload_loaded_at (the run's start, UTC) to every row.",
            envvar=from_env("NO_LOAD_TIMESTAMP"),
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Copy a source table into a destination table."""
    from omniload import progress as progress_module
    from omniload.controls import Controls

    install()  # Ctrl-C and SIGTERM: one line saying what was kept, exit 130 or 143
    mode = progress.value if progress else ("interactive" if sys.stdout.isatty() else "log")
    _configure_logging(debug)
    arguments = api.RunArguments(
        source_uri=source_uri,
        source_table=source_table,
        dest_uri=dest_uri,
        dest_table=dest_table,
        interval_start=interval_start,
        interval_end=interval_end,
        incremental_strategy=incremental_strategy,
        incremental_key=incremental_key,
        primary_key=tuple(primary_key or ()),
        full_refresh=full_refresh,
    )
    if plan:
        _show_plan(arguments, debug)
        return
    sink = progress_module.make(mode, console=out)
    waited = 0.0
    try:
        controls = Controls.parse(
            columns=columns, masks=mask or (), schema_contract=schema_contract, page_size=page_size,
            staging_bucket=staging_bucket, partition_by=partition_by, cluster_by=cluster_by,
            load_timestamp=not no_load_timestamp,
        )
        run = api.build_run(dataclasses.replace(arguments, controls=controls))
        if not yes and sys.stdin.isatty() and not _confirmed(run):
            raise OmniloadError("cancelled: nothing was read or written (use --yes to skip the question)")
        result = api.execute_watched(run, sink)
        waited = run.reader.http.limiter.waited
    except OmniloadError as error:
        sink.run_finished(None, str(error))
        _fail(error, debug)
    except KeyboardInterrupt as error:  # Ctrl-C or SIGTERM: omniload/interrupts.py
        stopped = error if isinstance(error, Interrupted) else Interrupted(signal.SIGINT)
        sink.run_finished(None, str(stopped))
        err.print(f"error: {stopped}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(stopped.exit_code) from None
    except typer.Exit:
        raise
    except Exception as error:  # a bug: one line, the traceback only when asked for
        line = f"{type(error).__name__}: {_first_line(error)}"
        sink.run_finished(None, line)
        if debug:
            raise
        err.print(f"error: {line} (run with --debug for the traceback)", highlight=False, markup=False)
        raise typer.Exit(1) from None
    sink.run_finished(result, None)
    if mode != "json":
        # without --incremental-strategy, only the destination changed a table's strategy: it cannot merge
        snapshots = (
            [] if incremental_strategy else [r.load_name for r in run.requests if r.strategy != r.table.strategy]
        )
        progress_module.print_summary(result, waited, out, plain=mode == "log", snapshots=snapshots)


def _show_plan(arguments: api.RunArguments, debug: bool) -> None:
    """`--plan`: the estimates of `api.plan` as a table, or the usual one-line error."""
    from omniload.plan import plan_lines

    try:
        found = api.plan(arguments)
    except OmniloadError as error:
        _fail(error, debug)
    except Exception as error:  # a bug: one line, the traceback only when asked for
        if debug:
            raise
        err.print(
            f"error: {type(error).__name__}: {_first_line(error)} (run with --debug for the traceback)",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(1) from None
    for line in plan_lines(found):
        out.out(line, highlight=False)


def _confirmed(run: Run) -> bool:
    names = [r.load_name for r in run.requests]
    shown = ", ".join(names) if len(names) <= 5 else f"{len(names)} tables ({', '.join(names[:4])}, …)"
    return typer.confirm(
        f"Load {shown} into {run.destination.display} (schema {run.created_dataset})?", default=True, err=True
    )


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else ""


@app.command()
def tables(
    source: Annotated[
        str | None, typer.Argument(help=f"Source name, e.g. {BUILT_IN[0].name}; without it, the sources.")
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
) -> None:
    """List a source's tables with their primary key, incremental key, strategy and what each holds."""
    from omniload.source import tables_markdown

    if source is None:
        _list_sources("tables")
        return
    found = _known_source(source)
    if markdown:
        out.out(tables_markdown(found.tables), end="", highlight=False)
        return
    header = ("table", "primary key", "incremental key", "strategy", "holds")
    rows: list[tuple[str, ...]] = [
        (t.display_name, ", ".join(t.primary_key), t.incremental_key or "-", t.strategy, t.description)
        for t in found.tables
    ]
    if out.is_terminal:
        listing = RichTable(*header, box=None, header_style="bold")
        for row in rows:
            listing.add_row(*row)
        out.print(listing)
        return
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    for row in (header, *rows):  # plain text when piped: never cut to a terminal's width
        out.out("  ".join([*(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)), row[4]]), highlight=False)


@app.command(name="docs")
def docs_page(
    source: Annotated[
        str | None, typer.Argument(help=f"Source name, e.g. {BUILT_IN[0].name}; without it, the sources.")
    ] = None,
) -> None:
    """Print a source's documentation page (Markdown), generated from its table catalog."""
    if source is None:
        _list_sources("docs")
        return
    out.out(_known_source(source).docs_page(), end="", highlight=False)


def _list_sources(command: str) -> None:
    """`omniload tables` or `omniload docs` without a name: the registered sources, and how to ask for one."""
    for found in sources().values():
        out.out(f"{found.name:<12} {len(found.tables):>3} tables   {found.uri_example}", highlight=False)
    out.out(f"`omniload {command} NAME` for one of them.", highlight=False)


def _known_source(name: str) -> Source:
    try:
        return find_source(name)
    except UsageError as error:
        _fail(error, False)
        raise


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="DuckDB file to load into.")] = Path("demo.duckdb"),
    rate_limit: Annotated[float, typer.Option(help="Requests per second the fake allows.")] = 50.0,
    source_table: Annotated[str, typer.Option(help="Tables to load.")] = "all",
) -> None:
    """Load every Customer.io table from the bundled fake API into a DuckDB file (no account needed)."""
    from omniload.demo import run_demo

    raise typer.Exit(run_demo(database.resolve(), rate_limit, source_table))


def _fail(error: OmniloadError, debug: bool) -> None:
    """One line and the error's own exit code; --debug prints the traceback first and keeps the code."""
    if debug:
        err.print("".join(traceback.format_exception(error)), end="", highlight=False, markup=False)
    err.print(f"error: {error}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(error.exit_code)


class _WarningFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _configure_logging(debug: bool) -> None:
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(_WarningFormatter())
    logger = logging.getLogger("omniload")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    if debug:  # dlt's own log, retries and their tracebacks included; read when dlt is first imported
        os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now, so warnings print above the live view instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def main() -> None:
    """Click's own usage errors (a missing option, a bad --progress) end in one line too, with exit code 2."""
    try:
        code = app(standalone_mode=False)
    except click_errors.NoArgsIsHelpError as error:
        error.show()
        sys.exit(0)
    except click_errors.ClickException as error:
        ctx = error.ctx if isinstance(error, click_errors.UsageError) else None
        hint = f" (see '{ctx.command_path} --help')" if ctx else ""
        err.print(f"error: {error.format_message()}{hint}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        err.print("error: aborted", highlight=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
