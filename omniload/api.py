"""omniload as a library: `ingest()` does what `omniload ingest` does and returns the run's figures.

The CLI (`omniload/cli.py`) is a shell over this module: it parses flags, asks for confirmation, shows progress
and turns errors into exit codes, while building and running the load happens here, so a script, a scheduler or
a notebook gets the same checks, strategies and saved cursors as the command (README "Use it from Python /
Dagster / Airflow"). Errors are `OmniloadError` (a run that could not complete) or its subclass `UsageError`
(input that cannot work); their messages name the CLI flag, which is the keyword argument of the same name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omniload.controls import Controls
from omniload.errors import OmniloadError, UsageError
from omniload.source import Strategy
from omniload.sources import BUILT_IN, source_for_uri

if TYPE_CHECKING:
    from omniload.destinations import Destination
    from omniload.pipeline import Run
    from omniload.plan import Plan
    from omniload.progress import Progress
    from omniload.results import RunResult
    from omniload.source import Interval, TableRequest


@dataclass(frozen=True)
class RunArguments:
    """What a run is asked to do: `omniload ingest`'s flags under their own names (README "Loading Customer.io",
    "Nightly runs" and "Shaping what lands"), given once to `build_run` and `plan`."""

    source_uri: str
    source_table: str
    dest_uri: str
    dest_table: str | None = None
    interval_start: str | None = None
    interval_end: str | None = None
    incremental_strategy: str | None = None
    incremental_key: str | None = None
    primary_key: Sequence[str] = ()
    full_refresh: bool = False
    controls: Controls | None = None


def ingest(
    source_uri: str,
    source_table: str,
    dest_uri: str,
    dest_table: str | None = None,
    interval_start: str | None = None,
    interval_end: str | None = None,
    incremental_strategy: str | None = None,
    incremental_key: str | None = None,
    primary_key: Sequence[str] = (),
    full_refresh: bool = False,
    controls: Controls | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Copy `source_table` of `source_uri` into `dest_uri`, exactly as `omniload ingest` with the same flags
    (README "Loading Customer.io" and "Nightly runs"), and return the figures the CLI's summary prints.

    `controls`: ingestr's data-control flags (`omniload.controls.Controls.parse`, README "Shaping what lands").
    `progress`: a display from `omniload.progress.make("log" | "json")`, told of the run's start, each page and
    the end; none by default. Raises `UsageError` for input that cannot work, before anything is read, and
    `OmniloadError` for a run that could not complete (nothing of the failed load is kept, README "Nightly runs").
    """
    run = build_run(
        RunArguments(
            source_uri, source_table, dest_uri, dest_table, interval_start, interval_end, incremental_strategy,
            incremental_key, primary_key, full_refresh, controls,
        )
    )
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

    run = build_run(arguments)
    http = run.reader.http
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
    from omniload.memory import configure_allocators
    from omniload.pipeline import Run, check_request, configure_dlt, make_interval, split_dest_table

    configure_allocators()  # for a program that calls ingest(); the command did it already (omniload/__main__.py)
    configure_dlt()  # before the destination is resolved
    if "://" not in arguments.source_uri:  # never echo it: a key pasted in the wrong place would be printed
        raise UsageError(f"--source-uri must be a URI such as {BUILT_IN[0].uri_example}")
    source = source_for_uri(arguments.source_uri).connect(arguments.source_uri)
    requests = source.select(arguments.source_table)
    explicit = arguments.incremental_strategy
    strategy = Strategy.parse(explicit) if explicit else None
    for request in requests:
        request.strategy = strategy or request.strategy
        request.incremental_key = arguments.incremental_key or request.incremental_key
        request.primary_key = tuple(arguments.primary_key) or request.primary_key
        check_request(request)
    interval = make_interval(arguments.interval_start, arguments.interval_end)
    destination = destinations.resolve(arguments.dest_uri)
    if not explicit:
        _fall_back(destination, requests, interval)
    for request in requests:
        destination.check_strategy(request.strategy)
    several = len(requests) > 1
    dataset, table_name = split_dest_table(arguments.dest_table, destination.default_dataset, several=several)
    return Run(
        requests=requests,
        reader=source.reader(),
        destination=destination,
        dataset=dataset,
        table_name=table_name,
        interval=interval,
        full_refresh=arguments.full_refresh,
        lookback_days=source.lookback_days,
        controls=arguments.controls or Controls(),
    )


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
        shown = ", ".join(fallen[:3]) + (f", … ({len(fallen)} tables)" if len(fallen) > 3 else "")
        raise UsageError(
            f"destination {destination.kind} cannot merge {shown}, and replacing with only the interval's rows "
            "would drop the rest of the table: pass --incremental-strategy append or replace explicitly, "
            "or no interval"
        )
