"""`omniload ingest --plan`: the cost of a run before it starts, per table, in requests and in time at the
configured rate (README "A plan before the run").

Each source estimates its own tables (`Connection.plan`, from what it can read cheaply); this module holds the
figures of a plan and prints them, with the unknowns counted apart rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from omniload.http import RATE_MARGIN
from omniload.source import Estimate
from omniload.text import aligned, duration


@dataclass(frozen=True)
class Plan:
    """A run's estimates; `rate`: the requests per second the run may make (the URI's rate_limit), None when
    unlimited; `spent`: the requests the plan itself made."""

    estimates: list[Estimate]
    rate: float | None
    spent: int

    def seconds(self, requests: int) -> float | None:
        """The time `requests` take at the configured rate, as the limiter spaces them (`http.RateLimiter`)."""
        return None if self.rate is None else requests / (self.rate * RATE_MARGIN)


def plan_lines(plan: Plan) -> list[str]:
    """The plan as plain text: one line per table (table, requests, time, note), a total of the known part,
    how many tables are unknown, and what the plan itself read."""
    timed = f"time at {plan.rate:g} req/s" if plan.rate else "time (no rate limit)"
    rows = [("table", "requests", timed, "note")] + [
        (e.load_name, _requests(e), "-" if e.requests is None else duration(plan.seconds(e.requests)), e.note)
        for e in plan.estimates
    ]
    return [*aligned(rows, right={1, 2}), "", *_totals(plan)]


def _totals(plan: Plan) -> list[str]:
    known = [e for e in plan.estimates if e.requests is not None]
    unknown = len(plan.estimates) - len(known)
    total = sum(e.requests or 0 for e in known)
    floor = "at least " if any(e.at_least for e in known) else ""
    seconds = plan.seconds(total)
    timed = f", about {duration(seconds)} at {plan.rate:g} req/s" if seconds is not None else ""
    lines = [f"total: {floor}{_plural(total, 'request')} for {_tables(len(known))}{timed}"]
    if unknown:
        lines.append(f"unknown: {_tables(unknown)}, whose cost the API gives no cheap count of (see the notes)")
    lines.append(f"the plan made {_plural(plan.spent, 'request')}; nothing was written")
    return lines


def _requests(estimate: Estimate) -> str:
    if estimate.requests is None:
        return "unknown"
    return f"{'>= ' if estimate.at_least else ''}{estimate.requests:,}"


def _tables(count: int) -> str:
    return _plural(count, "table")


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' if count != 1 else ''}"
