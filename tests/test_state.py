"""The cursor rules of `omniload/state.py` on plain state dicts (dlt keeps the same dicts in the destination)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from omniload.source import CursorRule, Interval, Strategy, TableRequest, TableSpec
from omniload.state import Cursors

UPDATED = TableSpec(name="lists", description="", primary_key=("id",), incremental_key="updated",
                    strategy=Strategy.MERGE)
DELIVERIES = TableSpec(name="sends", description="", primary_key=("id",), strategy=Strategy.MERGE,
                       cursor=CursorRule.RUN_TIME)
NOW = 1_000_000
DAY = 86400


def cursors(state: dict[str, Any], interval: Interval | None = None, lookback_days: int = 30) -> Cursors:
    return Cursors.from_state(state, interval or Interval(), lookback_days, NOW)


def test_highest_value_cursor_starts_the_next_run_and_a_backfill_leaves_it() -> None:
    state: dict[str, Any] = {}
    request = TableRequest(UPDATED)
    first = cursors(state)
    assert first.interval_for(request) == Interval()
    first.observe(request, pa.table({"id": [1, 2], "updated": [500, 700]}))
    first.advance(request)
    assert state["cursors"] == {"lists": 700}
    assert cursors(state).interval_for(request) == Interval(start=700)
    backfill = cursors(state, Interval(start=0, end=100))
    backfill.observe(request, pa.table({"id": [3], "updated": [900]}))
    backfill.advance(request)
    assert state["cursors"] == {"lists": 700}


def test_run_time_cursor_reads_a_look_back_except_under_append() -> None:
    state: dict[str, Any] = {"cursors": {"sends": NOW - DAY}}
    request = TableRequest(DELIVERIES)
    assert cursors(state, lookback_days=2).interval_for(request) == Interval(start=NOW - 3 * DAY)
    request.strategy = Strategy.APPEND
    assert cursors(state, lookback_days=2).interval_for(request) == Interval(start=NOW - DAY + 1)
    run = cursors(state)
    run.advance(request)
    assert state["cursors"]["sends"] == NOW


def test_replace_ignores_the_cursor() -> None:
    request = TableRequest(UPDATED)
    request.strategy = Strategy.REPLACE
    assert cursors({"cursors": {"lists": 700}}).interval_for(request) == Interval()


def test_append_drops_the_rows_it_loaded_at_the_cursor_but_keeps_changed_ones() -> None:
    state: dict[str, Any] = {}
    request = TableRequest(UPDATED)
    request.strategy = Strategy.APPEND
    rows = [{"id": 1, "updated": 5}, {"id": 2, "updated": 7}]
    first = cursors(state)
    first.interval_for(request)
    kept = first.new_rows(request, rows)
    first.observe(request, pa.Table.from_pylist(kept))
    first.advance(request)
    second = cursors(state)
    assert second.interval_for(request) == Interval(start=7)
    again = second.new_rows(request, [{"id": 2, "updated": 7}, {"id": 2, "updated": 7, "note": "changed"}])
    assert again == [{"id": 2, "updated": 7, "note": "changed"}]
