"""`omniload ingest`: wires the flags to `omniload.api` and prints; nothing of a run is decided here.

The run's flags are `omniload.api.RunArguments`; the command's own (`Shell`: confirmation, progress display, the
plan, debug, job reports) are declared below, the same way (omniload/options.py). Output streams: the interactive
view and the summary go to stdout; `--progress log` lines to stderr (the summary to stdout); `--progress json`
events are the only thing on stdout. Errors and warnings always go to stderr, one line each
(omniload/cli/exits.py).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from omniload import api, notify
from omniload.cli.exits import Failure
from omniload.cli.output import configure_logging, failing, out
from omniload.errors import OmniloadError
from omniload.interrupts import install
from omniload.notify import Notifier
from omniload.options import flag
from omniload.source import Strategy

if TYPE_CHECKING:
    from omniload.progress import Progress
    from omniload.results import RunResult
    from omniload.run.loop import Run


class ProgressMode(StrEnum):
    interactive = "interactive"
    log = "log"
    json = "json"


@dataclass(frozen=True)
class Shell:
    """The flags of the command alone: how it asks, shows and stops (README "What the demo prints")."""

    yes: bool = flag(
        "Do not ask for confirmation (not asked when stdin is not a terminal).",
        default=False,
        env="SKIP_CONFIRMATION",
        names=("--yes", "-y"),
    )
    progress: ProgressMode | None = flag(
        "interactive (default on a terminal): live per-table view; log (default otherwise): timestamped lines on "
        "stderr; json: one event per line on stdout.",
        default=None,
        case_sensitive=False,
    )
    dry_run: bool = flag(
        "Print each table's estimated requests and time at the rate limit, then stop (writes nothing); --plan is "
        "the same.",
        default=False,
        ingestr=False,
        names=("--dry-run", "--plan"),
        also=("OMNILOAD_PLAN",),
    )
    debug: bool = flag("Show tracebacks and debug logs.", default=False, ingestr=False)
    notify: Sequence[str] = flag(
        "Apprise URL to send the job report to (json://host/path, slack://…, mailto://…); repeat for several.",
        default=(),
        ingestr=False,
    )
    notify_config: str | None = flag(
        "Apprise configuration file naming where to send the report.", default=None, ingestr=False
    )
    notify_on: str = flag("When to send the job report: always or failure.", default="always", ingestr=False)

    @property
    def mode(self) -> str:
        return self.progress.value if self.progress else ("interactive" if sys.stdout.isatty() else "log")


def ingest(arguments: api.RunArguments, shell: Shell) -> None:
    """Copy a source table into a destination table."""
    install()  # Ctrl-C and SIGTERM: one line saying what was kept, exit 130 or 143
    configure_logging(shell.debug)
    with failing(shell.debug):
        notifier = Notifier.parse(shell.notify, shell.notify_config, shell.notify_on)
    if shell.dry_run:
        with failing(shell.debug):
            _show_plan(arguments)
        return
    from omniload import progress

    ending = _Ending(arguments, progress.make(shell.mode, console=out), notifier)
    with failing(shell.debug, ending.failed):
        run = api.build_run(arguments)
        if not shell.yes and sys.stdin.isatty() and not _confirmed(run):
            raise OmniloadError("cancelled: nothing was read or written (use --yes to skip the question)")
        result = api.execute_watched(run, ending.sink)
    ending.succeeded(result)
    if shell.mode != "json":
        # without --incremental-strategy, a table replaced where it merges elsewhere: the destination cannot merge
        replaced = [r.load_name for r in run.requests if r.strategy == Strategy.REPLACE != r.table.strategy]
        snapshots = [] if arguments.incremental_strategy else replaced
        waited = run.reader.http.limiter.waited
        progress.print_summary(result, waited, out, plain=shell.mode == "log", snapshots=snapshots)


@dataclass
class _Ending:
    """Who is told how a run ended: its progress display and its job report (omniload/notify.py)."""

    arguments: api.RunArguments
    sink: Progress
    notifier: Notifier
    started: float = field(default_factory=time.monotonic)

    def failed(self, failed: Failure) -> None:
        self.sink.run_finished(None, failed.line)
        seconds = time.monotonic() - self.started
        self.notifier.send(notify.failed(self.arguments.source_uri, self.arguments.dest_uri, seconds, failed.kind))

    def succeeded(self, result: RunResult) -> None:
        self.sink.run_finished(result, None)
        self.notifier.send(notify.succeeded(self.arguments.source_uri, self.arguments.dest_uri, result))


def _show_plan(arguments: api.RunArguments) -> None:
    """`--dry-run`: the estimates of `api.plan` as a table (README "A plan before the run")."""
    from omniload.plan import plan_lines

    for line in plan_lines(api.plan(arguments)):
        out.out(line, highlight=False)


def _confirmed(run: Run) -> bool:
    names = [r.load_name for r in run.requests]
    shown = ", ".join(names) if len(names) <= 5 else f"{len(names)} tables ({', '.join(names[:4])}, …)"
    return typer.confirm(
        f"Load {shown} into {run.destination.display} (schema {run.created_dataset})?", default=True, err=True
    )
