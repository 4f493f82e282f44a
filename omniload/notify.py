"""Job reports through Apprise: `--notify URL`, `--notify-config FILE` and `--notify-on always|failure`.

A report leaves the machine, often for a chat channel, so what it says is drawn from an allowlist and nothing
else: the source's and the destination's URI schemes (never a key, host, path or query), the tables by their
catalog names with their row counts, the figures of the summary, and a failure by its kind and exception class
(`omniload.cli.exits.Failure.kind`), never its message, which may name a host or a path. Apprise is an optional
extra (`omniload[notify]`); a target that cannot be reached is a warning, and never changes the run's exit
status. README "Job reports" is the user's page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from omniload.errors import UsageError

if TYPE_CHECKING:
    from omniload.results import RunResult

WHEN = ("always", "failure")
logger = logging.getLogger("omniload")


@dataclass(frozen=True)
class Report:
    """What a job report says, every field from the allowlist."""

    source: str  # a URI scheme
    destination: str  # a URI scheme
    seconds: float
    tables: tuple[tuple[str, int], ...] = ()  # catalog names and rows
    requests: int | None = None
    failure: str | None = None  # the failure's kind and exception class, e.g. "run-time failure (ApiError)"

    @property
    def title(self) -> str:
        outcome = "failed" if self.failure else "succeeded"
        return f"omniload ingest {outcome}: {self.source} to {self.destination}"

    @property
    def body(self) -> str:
        if self.failure:
            return f"{self.failure} after {self.seconds:.1f}s"
        rows = sum(count for _, count in self.tables)
        lines = [f"{len(self.tables)} table(s), {rows:,} rows, {self.requests:,} requests in {self.seconds:.1f}s"]
        return "\n".join([*lines, *(f"{name}: {count:,} rows" for name, count in self.tables)])


def schemes(source_uri: str, dest_uri: str) -> tuple[str, str]:
    """The source and destination URIs reduced to their schemes, where omniload knows them; anything else (a
    key pasted in the wrong place) is `unknown`."""
    from omniload.destinations import SCHEMES
    from omniload.sources import BUILT_IN, sources

    try:
        known = list(sources())
    except UsageError:  # a broken OMNILOAD_SOURCES: the run's own error says so
        known = [source.name for source in BUILT_IN]
    return _scheme(source_uri, known), _scheme(dest_uri, list(SCHEMES))


def _scheme(uri: str, known: Sequence[str]) -> str:
    found = urlsplit(uri.strip()).scheme.lower()
    return found if found in known else "unknown"


def succeeded(source_uri: str, dest_uri: str, result: RunResult) -> Report:
    """The report of a run that completed."""
    tables = tuple((table.name, table.rows) for table in result.tables)
    return Report(*schemes(source_uri, dest_uri), result.seconds, tables, result.requests)


def failed(source_uri: str, dest_uri: str, seconds: float, kind: str) -> Report:
    """The report of a run that failed: `kind` is the failure without its message."""
    return Report(*schemes(source_uri, dest_uri), seconds, failure=kind)


@dataclass
class Notifier:
    """Where reports go and when; `parse` checks the targets before anything is read."""

    targets: Any = None  # an apprise.Apprise, or None when no target is named
    on: str = "always"

    @classmethod
    def parse(cls, urls: Sequence[str], config: str | None, on: str) -> Notifier:
        """The flags as given; a URL Apprise does not know or a missing file is one UsageError line (the URL is
        never echoed: it may hold a token)."""
        when = on.strip().lower()
        if when not in WHEN:
            raise UsageError(f"unknown --notify-on {on!r}; use always or failure")
        if not urls and not config:
            return cls(on=when)
        apprise = _apprise()
        targets = apprise.Apprise()
        for number, url in enumerate(urls, 1):
            if not targets.add(url):
                raise UsageError(
                    f"--notify: URL number {number} is not one Apprise knows (see its list of services)"
                )
        if config:
            if not Path(config).is_file():
                raise UsageError(f"--notify-config {config}: no such file")
            settings = apprise.AppriseConfig()
            settings.add(config)
            targets.add(settings)
        return cls(targets, when)

    def send(self, report: Report) -> None:
        """The report to every target, if `--notify-on` asks for it; a failed delivery is one warning line."""
        if self.targets is None or (self.on == "failure" and not report.failure):
            return
        apprise = _apprise()
        kind = apprise.NotifyType.FAILURE if report.failure else apprise.NotifyType.SUCCESS
        quiet = logging.getLogger("apprise")
        level, quiet.level = quiet.level, logging.CRITICAL + 1  # its lines name the targets' hosts
        try:
            delivered = bool(self.targets.notify(body=report.body, title=report.title, notify_type=kind))
        except Exception:  # a target's own failure: the run's outcome stands
            delivered = False
        finally:
            quiet.setLevel(level)
        if not delivered:
            logger.warning("--notify: the job report could not be delivered to every target")


def _apprise() -> Any:
    try:
        import apprise
    except ImportError:
        from omniload.destinations import install_extra_command

        raise UsageError(f"--notify needs Apprise: {install_extra_command('notify')}") from None
    return apprise
