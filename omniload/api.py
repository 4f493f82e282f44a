"""omniload as a library: `ingest()` does what `omniload ingest` does and returns the run's figures.

The CLI (`omniload/cli/`) is a shell over this module: it parses flags, asks for confirmation, shows progress
and turns errors into exit codes, while building and running the load happens here, so a script, a scheduler or
a notebook gets the same checks, strategies and saved cursors as the command (README "Use it from Python /
Dagster / Airflow"). Errors are `OmniloadError` (a run that could not complete) or its subclass `UsageError`
(input that cannot work); their messages name the CLI flag, which is the keyword argument of the same name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omniload.errors import OmniloadError, UsageError
from omniload.options import flag
from omniload.shaping.flags import Shaping
from omniload.source import Strategy
from omniload.sources import BUILT_IN, source_for_uri
from omniload.text import listed

if TYPE_CHECKING:
    from omniload.destinations import Destination
    from omniload.loading import LoaderSettings
    from omniload.plan import Plan
    from omniload.progress import Progress
    from omniload.results import RunResult
    from omniload.run.loop import Run
    from omniload.source import Interval, TableRequest


@dataclass(frozen=True)
class RunArguments:
    """What a run is asked to do: `omniload ingest`'s flags under their own names (README "Loading Customer.io",
    "Nightly runs" and "Shaping what lands"), given once to `build_run` and `plan`. Each field is the flag's only
    description (`omniload.options`): the CLI's option, its variables and help, and `ingest()`'s keyword."""

    source_uri: str = flag(f"Source URI, e.g. '{BUILT_IN[0].uri_example}'.")
    source_table: str = flag(
        "Table to read (metrics: table:period), a list, all, or all+ (and the tables beyond all)."
    )
    dest_uri: str = flag("Destination URI, e.g. duckdb:///data.duckdb.", env="DESTINATION_URI")
    dest_table: str | None = flag(
        "schema.table to load into (with several tables: the schema).", default=None, env="DESTINATION_TABLE"
    )
    interval_start: str | None = flag("Only data updated/created from then on.", default=None)
    interval_end: str | None = flag("Only data updated/created until then.", default=None)
    incremental_strategy: str | None = flag(
        "replace, append, merge, delete+insert or scd2 (default: the table's).", default=None
    )
    incremental_key: str | None = flag("Column the interval and cursor use.", default=None)
    primary_key: Sequence[str] = flag(
        "Primary key column; repeat for a composite key (in the variable: separated by spaces).", default=()
    )
    full_refresh: bool = flag("Drop the tables and their saved cursors, load from scratch.", default=False)
    columns: str | None = flag(
        "Rename and retype columns: name:type, name:type:source or name::source, comma-separated.",
        default=None,
        ingestr=False,  # ingestr's only name is INGESTR_COLUMNS: COLUMNS is the terminal's width
        also=("INGESTR_COLUMNS",),
    )
    mask: Sequence[str] = flag(
        "Mask a column before it leaves the machine: column:algorithm[:param] (hash, md5, hmac:KEY, redact, "
        "stars, fixed:TEXT, partial:N, first_letter, email, phone, credit_card, ssn, round:N, range:N, null); "
        "repeat, or separate with commas.",
        default=(),
    )
    schema_contract: str = flag(
        "What a new column or type may do to an existing table: evolve (add it), freeze (fail), discard_row (drop "
        "those rows), discard_value (drop those values).",
        default="evolve",
    )
    page_size: int | None = flag(
        "Records per API page, up to the API's maximum (default: the source's).", default=None
    )
    staging_bucket: str | None = flag(
        "Bucket a warehouse loads from (s3://, gs://, az://), for BigQuery, Snowflake, Redshift, Databricks, "
        "ClickHouse, Athena.",
        default=None,
    )
    partition_by: str | None = flag("BigQuery: the column to partition tables by.", default=None)
    cluster_by: str | None = flag("BigQuery: columns to cluster by, comma-separated.", default=None)
    no_load_timestamp: bool = flag(
        "Do not add _omniload_loaded_at (the run's start, UTC) to every row.", default=False
    )
    loader_file_format: str | None = flag(
        "The files dlt loads from: jsonl, parquet, csv or insert_values, where the destination takes them "
        "(default: dlt's choice, Parquet where it can).",
        default=None,
    )
    loader_file_size: int | None = flag("Rows per file dlt writes before it starts the next.", default=None)
    pipelines_dir: str | None = flag(
        "Folder for the run's temporary dlt working folder, removed when the run ends (default: the system's "
        "temporary folder; the state lives in the destination).",
        default=None,
    )
    schema_naming: str = flag(
        "default (snake_case names) or direct (names as the source and --dest-table give them).",
        default="default",
    )
    extract_parallelism: int | None = flag(
        "Refused: a run is one dlt resource fed by one rate-limited client (rate_limit= in the URI sets the "
        "pace).",
        default=None,
    )
    yield_limit: int | None = flag(
        "Stop each table after N pages, a quick look: tables are merged by their primary key (never replaced) "
        "and no cursor moves.",
        default=None,
    )

    def loader(self) -> LoaderSettings:
        """The loader's flags, parsed (README "Loader settings"); each mistake is one UsageError line."""
        from omniload.loading import LoaderSettings

        return LoaderSettings.parse(
            loader_file_format=self.loader_file_format,
            loader_file_size=self.loader_file_size,
            pipelines_dir=self.pipelines_dir,
            schema_naming=self.schema_naming,
            extract_parallelism=self.extract_parallelism,
            yield_limit=self.yield_limit,
        )

    def shaping(self) -> Shaping:
        """The data-control flags, parsed (README "Shaping what lands"); bad syntax is one UsageError line."""
        return Shaping.parse(
            columns=self.columns,
            masks=self.mask,
            schema_contract=self.schema_contract,
            page_size=self.page_size,
            staging_bucket=self.staging_bucket,
            partition_by=self.partition_by,
            cluster_by=self.cluster_by,
            load_timestamp=not self.no_load_timestamp,
        )


def ingest(
    source_uri: str,
    source_table: str,
    dest_uri: str,
    dest_table: str | None = None,
    *,
    progress: Progress | None = None,
    **flags: Any,
) -> RunResult:
    """Copy `source_table` of `source_uri` into `dest_uri`, exactly as `omniload ingest` with the same flags
    (README "Loading Customer.io" and "Nightly runs"), and return the figures the CLI's summary prints.

    `flags`: any other flag of `omniload ingest` under its field name in `RunArguments` (`interval_start`,
    `incremental_strategy`, `primary_key` as a list, `mask`, ...; README "Use it from Python / Dagster /
    Airflow"). `progress`: a display from `omniload.progress.make("log" | "json")`, told of the run's start,
    each page and the end; none by default. Raises `UsageError` for input that cannot work, before anything is
    read, and `OmniloadError` for a run that could not complete (nothing of the failed load is kept, README
    "Nightly runs").
    """
    run = build_run(RunArguments(source_uri, source_table, dest_uri, dest_table, **flags))
    if progress is None:
        return run.execute()
    try:
        result = execute_watched(run, progress)
    except OmniloadError as error:
        progress.run_finished(None, str(error))
        raise
    progress.run_finished(result, None)
    return result


def plan(arguments: RunArguments) -> Plan:
    """What `ingest` with the same arguments would cost, per table, without running it (`omniload ingest
    --plan`, README "A plan before the run"): the input is checked as for `ingest`, the source reads only what
    is cheap, and the destination is not touched. An estimate's `requests` is None where the API gives no
    cheap count; its note then says how the cost grows."""
    from omniload.plan import Plan
    from omniload.run.checkpoints import remember
    from omniload.saved import memories

    run = build_run(arguments)
    http = run.reader.http
    saved = memories(run)
    for request in run.requests:  # what a run would find: the change feed's memory of each table
        remember(run, request, saved)
    try:
        connection = source_for_uri(arguments.source_uri).connect(arguments.source_uri)
        estimates = connection.plan(run.requests, run.reader)
    finally:
        http.close()
    return Plan(estimates, rate=http.limiter.ceiling, spent=http.stats.requests)


def build_run(arguments: RunArguments) -> Run:
    """The run `ingest` executes, resolved and checked before anything is read (the CLI shows it in its
    confirmation question first)."""
    from omniload import destinations
    from omniload.loading import LoadedRun
    from omniload.memory import configure_allocators
    from omniload.run.arguments import make_interval, split_dest_table
    from omniload.run.dlt_config import configure_dlt

    configure_allocators()  # for a program that calls ingest(); the command did it already (omniload/__main__.py)
    configure_dlt()  # before the destination is resolved
    shaping, loader = arguments.shaping(), arguments.loader()
    if "://" not in arguments.source_uri:  # never echo it: a key pasted in the wrong place would be printed
        raise UsageError(f"--source-uri must be a URI such as {BUILT_IN[0].uri_example}")
    source = source_for_uri(arguments.source_uri).connect(arguments.source_uri)
    requests = _requests(source.select(arguments.source_table), arguments)
    interval = make_interval(arguments.interval_start, arguments.interval_end)
    destination = loader.destination(destinations.resolve(arguments.dest_uri), arguments.staging_bucket)
    explicit = Strategy.parse(arguments.incremental_strategy) if arguments.incremental_strategy else None
    loader.limit(requests, explicit, destination, arguments.full_refresh)
    if not explicit and loader.yield_limit is None:
        _fall_back(destination, requests, interval)
    for request in requests:
        destination.check_strategy(request.strategy)
    several = len(requests) > 1
    dataset, table_name = split_dest_table(arguments.dest_table, destination.default_dataset, several=several)
    reader = source.reader()
    return LoadedRun(
        requests=requests,
        reader=loader.reader(reader),
        destination=destination,
        dataset=dataset,
        table_name=table_name,
        interval=loader.interval(interval, reader.now),
        full_refresh=arguments.full_refresh,
        lookback_days=source.lookback_days,
        shaping=shaping,
        loader=loader,
    )


def _requests(requests: list[TableRequest[Any]], arguments: RunArguments) -> list[TableRequest[Any]]:
    """The tables asked for, with the strategy and keys the flags give them, checked."""
    from omniload.run.arguments import check_request

    explicit = arguments.incremental_strategy
    strategy = Strategy.parse(explicit) if explicit else None
    for request in requests:
        request.strategy = strategy or request.strategy
        request.incremental_key = arguments.incremental_key or request.incremental_key
        request.primary_key = tuple(arguments.primary_key) or request.primary_key
        check_request(request)
    return requests


def execute_watched(run: Run, progress: Progress) -> RunResult:
    """`run.execute()` with `progress` told of the run's tables, pages, stages and rate-limit waits; the caller
    tells it how the run ended (`Progress.run_finished`)."""
    from omniload.progress import RunInfo

    http = run.reader.http
    run.progress = progress
    info = RunInfo(
        tables=[(r.load_name, f"{run.created_dataset}.{run.destination_table(r)}") for r in run.requests],
        destination=run.destination.display,
        dataset=run.created_dataset,
        counters=lambda: (http.stats.requests, http.limiter.waited),
        strategies={r.load_name: r.strategy.value for r in run.requests},
        rate=lambda: http.limiter.rate,
    )
    progress.run_started(info)
    http.on_delay = progress.request_delayed
    return run.execute()


def _fall_back(destination: Destination, requests: list[TableRequest[Any]], interval: Interval) -> None:
    """Without --incremental-strategy, a table the destination cannot merge loads whole with replace
    (`Destination.default_strategy`, README "Destinations"), but never with an interval: replacing the table with
    only the interval's rows would drop the rest of it."""
    fallen = []
    for request in requests:
        strategy = destination.default_strategy(request.strategy)
        if strategy != request.strategy:
            fallen.append(request.load_name)
        request.strategy = strategy
    if fallen and interval:
        raise UsageError(
            f"destination {destination.kind} cannot merge {listed(fallen, 3)}, and replacing with only the "
            "interval's rows would drop the rest of the table: pass --incremental-strategy append or replace "
            "explicitly, or no interval"
        )
