"""A run's arguments read and checked before anything is read: where the rows land, the interval, and what each
strategy needs of a table's keys (README "Nightly runs: intervals, strategies and state"). Each mistake is one
`UsageError` line, exit 2.
"""

from __future__ import annotations

from typing import Any

from omniload.errors import UsageError
from omniload.source import Interval, Strategy, TableRequest


def split_dest_table(
    dest_table: str | None, default_dataset: str, several: bool = False
) -> tuple[str, str | None]:
    """`schema.table` → (dataset, table); a bare name loads into the destination's default schema. With several
    tables, `--dest-table` names only the schema, and each table keeps its own name."""
    if not dest_table:
        return default_dataset, None
    if several:
        if "." in dest_table:
            raise UsageError(f"with several tables, --dest-table names the schema only, not {dest_table!r}")
        return dest_table, None
    dataset, dot, table = dest_table.rpartition(".")
    if dot and (not dataset or not table):
        raise UsageError(f"--dest-table {dest_table!r} must look like schema.table")
    return (dataset or default_dataset), table


def parse_instant(value: str | None, option: str) -> int | None:
    """`YYYY-MM-DD` or ISO 8601 date-time, with or without offset (UTC when absent) → Unix seconds."""
    if value is None or value == "":
        return None
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date: use YYYY-MM-DD or an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def make_interval(start: str | None, end: str | None) -> Interval:
    interval = Interval(parse_instant(start, "--interval-start"), parse_instant(end, "--interval-end"))
    if interval.start is not None and interval.end is not None and interval.start > interval.end:
        raise UsageError(f"--interval-start {start} is after --interval-end {end}")
    return interval


def check_request(request: TableRequest[Any]) -> None:
    """What a strategy needs of the table's keys, checked before anything is read."""
    if any(not column.strip() for column in request.primary_key) or request.incremental_key == "":
        raise UsageError(f"{request.load_name}: --primary-key and --incremental-key need a column name")
    if request.strategy == Strategy.MERGE and not request.primary_key:
        raise UsageError(f"{request.load_name}: merge needs a primary key (--primary-key)")
    if request.strategy == Strategy.DELETE_INSERT and not request.incremental_key:
        raise UsageError(f"{request.load_name}: delete+insert needs an incremental key (--incremental-key)")


def seconds(variable: str, default: float) -> float:
    """A number of seconds from the environment variable `variable`, `default` when it is unset or empty."""
    import os

    value = os.environ.get(variable, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise UsageError(f"{variable}={value!r} is not a number of seconds") from None
