"""Metric periods in Customer.io's reporting time zone, and the flattening of columnar metric bodies.

Customer.io documents its periods as starting at 00:00 "EST". Whether that follows daylight saving time is not
documented; omniload reads it as fixed UTC-05:00 (the `EST` zone itself, which has no DST), and the bundled fake
follows the same rule. Period starts are loaded as UTC timestamps, so the choice is visible and joinable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

Period = Literal["hours", "days", "weeks", "months"]
PERIODS: tuple[Period, ...] = ("hours", "days", "weeks", "months")
REPORTING_TZ = timezone(timedelta(hours=-5), "EST")

#: Version 1 endpoints (broadcasts, newsletters) return at most this many periods; omniload always asks for them.
MAX_STEPS: Mapping[Period, int] = {"hours": 24, "days": 45, "weeks": 12, "months": 121}

_TEN_YEARS = timedelta(days=3652)


def period_floor(ts: float, period: Period) -> datetime:
    """The start of the period holding `ts`, in the reporting time zone (weeks start on Sunday)."""
    local = datetime.fromtimestamp(ts, REPORTING_TZ)
    if period == "hours":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "days":
        return day
    if period == "weeks":
        return day - timedelta(days=(day.weekday() + 1) % 7)
    return day.replace(day=1)


def shift(start: datetime, period: Period, steps: int) -> datetime:
    """Move a period start by whole periods; months move by calendar month, not by a fixed number of days."""
    if period == "months":
        month_index = start.year * 12 + start.month - 1 + steps
        return start.replace(year=month_index // 12, month=month_index % 12 + 1)
    unit = {"hours": timedelta(hours=1), "days": timedelta(days=1), "weeks": timedelta(weeks=1)}[period]
    return start + unit * steps


def v2_range(first: float, last: float, period: Period) -> tuple[datetime, datetime]:
    """The aligned `start`/`end` of a version 2 read, capped to the latest ten years the API allows."""
    end = datetime.fromtimestamp(last, UTC)
    start = period_floor(first, period)
    if end - start > _TEN_YEARS:
        start = shift(period_floor((end - _TEN_YEARS).timestamp(), period), period, 1)
    return start, end


def flatten(
    series: Any, parent: Mapping[str, Any], period: Period, first_period: datetime, *, anchored_at_end: bool
) -> Iterator[dict[str, Any]]:
    """One row per step of a body's columnar `series` (`metric.series`), one column per array: index 0 is the
    oldest period.

    Version 1 bodies end at the current period (`anchored_at_end`), so `first_period` is the current period and
    earlier steps count back from it; version 2 bodies start at the aligned `start` that was sent.
    """
    if not isinstance(series, Mapping) or not series:
        return
    length = max((len(values) for values in series.values() if isinstance(values, list)), default=0)
    for index in range(length):
        offset = index - (length - 1) if anchored_at_end else index
        row: dict[str, Any] = dict(parent)
        row["period"] = period
        row["step_index"] = index
        row["period_start"] = shift(first_period, period, offset).astimezone(UTC)
        for name, values in series.items():
            row[name] = values[index] if isinstance(values, list) and index < len(values) else None
        yield row
