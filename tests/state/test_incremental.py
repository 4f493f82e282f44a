"""Issue 4: intervals, strategies and state between runs, through the real CLI, from the fake Customer.io API into
a real DuckDB file and a real PostgreSQL schema.

Each test gets its own small fake workspace, because tests change its records between runs. To see exactly which
rows a run read again, a test overwrites a column with a sentinel in the destination first: a row the run
re-read gets its real value back, a row it did not read keeps the sentinel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import omniload
from tests.state.support import (
    DAY,
    Dest,
    contents,
    dest_for,
    ingest_args,
    loaded,
    messages_requests,
    one_line_error,
    run,
)

LOOKBACK = 30 * DAY


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Dest]:
    yield from dest_for("duckdb", tmp_path)


def summary_rows(stdout: str, table: str) -> int:
    """Rows the run's summary reports for `table`."""
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] == table:
            return int(parts[1].replace(",", ""))
    raise AssertionError(f"{table} is not in the summary:\n{stdout}")


def bounds(windows: list[dict[str, list[str]]]) -> tuple[int, int]:
    """The span a run's delivery windows cover (they are read in parallel, so the log is not in order)."""
    return min(int(w["start_ts"][0]) for w in windows), max(int(w["end_ts"][0]) for w in windows)


def sentinel(dest: Dest, table: str, column: str) -> None:
    dest.sql(f'update "{dest.dataset}"."{table}" set "{column}" = \'sentinel\'')


def kept_sentinel(dest: Dest, table: str, column: str) -> set[Any]:
    return {
        row[0] for row in dest.sql(f'select id from "{dest.dataset}"."{table}" where "{column}" = \'sentinel\'')
    }


def data(dest: Dest, table: str) -> list[tuple[Any, ...]]:
    """The table's rows, without the load timestamp a run moves on every row it loads again."""
    return sorted(contents(dest, (table,))[table], key=repr)


def iso(ts: int, offset_hours: int = 0, naive: bool = False) -> str:
    moment = datetime.fromtimestamp(ts, UTC).astimezone(timezone(timedelta(hours=offset_hours)))
    return moment.replace(tzinfo=None).isoformat() if naive else moment.isoformat()


# ---- 1 + 3: merge is idempotent; the next run continues from the cursor; only the look-back is re-read
def test_next_run_continues_from_the_cursor(fake: FakeCustomerIO, dest: Dest) -> None:
    ws = fake.ws
    tables = "campaigns,campaign_actions,messages"

    first = loaded(run(fake, dest, tables))
    first_requests = messages_requests(fake)
    after_first = {t: data(dest, t) for t in ("campaigns", "campaign_actions", "messages")}
    assert {r[0] for r in dest.rows("messages", "id")} == {r["id"] for r in ws.rows("messages")}
    assert len(after_first["campaigns"]) == len(ws.rows("campaigns"))
    cursors = dest.cursors()
    assert cursors["campaigns"] == max(c["updated"] for c in ws.rows("campaigns"))
    assert cursors["campaign_actions"] == max(a["updated"] for a in ws.rows("campaign_actions"))
    assert int(first.started) <= cursors["messages"] <= int(first.ended) + 1  # the run's "now"

    # Two runs in a row: the same rows (merge on the primary key is idempotent), and the second run asks the
    # API only for the look-back window of deliveries.
    mark = len(fake.log)
    second = loaded(run(fake, dest, tables))
    assert {t: data(dest, t) for t in after_first} == after_first
    second_requests = messages_requests(fake, mark)
    assert len(second_requests) == 1 < len(first_requests)
    assert int(second_requests[0]["start_ts"][0]) == cursors["messages"] - LOOKBACK
    assert summary_rows(second.stdout, "campaigns") == 1  # only the record at the cursor (bounds are inclusive)
    moved = dest.cursors()
    assert moved["campaigns"] == cursors["campaigns"]
    assert int(second.started) <= moved["messages"] <= int(second.ended) + 1
    changes_are_read_from_the_cursor(fake, dest, tables, moved)


def changes_are_read_from_the_cursor(fake: FakeCustomerIO, dest: Dest, tables: str, moved: dict[str, Any]) -> None:
    """The third run of `test_next_run_continues_from_the_cursor`, after records changed in the fake: a delivery
    inside the look-back, one outside it, a campaign and an action."""
    ws = fake.ws
    now = moved["messages"]
    recent = next(i for i in range(ws.timeline.count - 1, -1, -1) if ws.timeline.time(i) < now - 5 * DAY)
    old = next(i for i in range(ws.timeline.count) if ws.timeline.time(i) < now - 90 * DAY)
    ws.update_records(
        deliveries={recent: {"subject": "changed recently"}, old: {"subject": "changed long ago"}},
        touch=[("campaign", 8), ("campaign_action", 44)],
        at=now - 60,
    )
    for table, column in (("messages", "recipient"), ("campaigns", "name"), ("campaign_actions", "name")):
        sentinel(dest, table, column)

    mark = len(fake.log)
    third = loaded(run(fake, dest, tables))
    window = messages_requests(fake, mark)
    assert len(window) == 1 and int(window[0]["start_ts"][0]) == moved["messages"] - LOOKBACK
    subjects = dict(dest.sql(f'select id, subject from "{dest.dataset}".messages'))
    recent_id, old_id = ws.deliveries.record(recent)["id"], ws.deliveries.record(old)["id"]
    assert subjects[recent_id] == "changed recently"
    assert subjects[old_id] != "changed long ago"  # outside the look-back: not read again
    # Exactly the deliveries created in the look-back window were read again, nothing older.
    start = moved["messages"] - LOOKBACK
    assert kept_sentinel(dest, "messages", "recipient") == {
        r["id"] for r in ws.rows("messages") if r["created"] < start
    }
    # Lists: the changed record and the one at the old cursor, nothing else.
    assert kept_sentinel(dest, "campaigns", "name") == {7, 9}
    assert summary_rows(third.stdout, "campaigns") == 2
    top_action = max(ws.rows("campaign_actions"), key=lambda a: a["updated"] if a["id"] != 44 else 0)["id"]
    assert kept_sentinel(dest, "campaign_actions", "name") == {a["id"] for a in ws.rows("campaign_actions")} - {
        44,
        top_action,
    }
    # Child tables fan out over every parent, not only the parents updated since the cursor.
    action_reads = {r.path for r in fake.log[mark:] if r.path.endswith("/actions")}
    assert action_reads == {f"/v1/campaigns/{c['id']}/actions" for c in ws.rows("campaigns")}
    assert dest.cursors()["campaigns"] == now - 60
    assert len(dest.rows("campaigns")) == len(ws.rows("campaigns"))


# ---- 3: a backfill leaves the cursor alone; --full-refresh drops table and cursor
def test_backfill_keeps_cursor_and_full_refresh_reloads(fake: FakeCustomerIO, dest: Dest) -> None:
    ws = fake.ws
    tables = "campaigns,messages"
    first = loaded(run(fake, dest, tables))
    first_requests = messages_requests(fake)
    cursors = dest.cursors()

    # A backfill of an old span: rows of that span are re-read, the cursors do not move.
    start, end = ws.timeline.time(10), ws.timeline.time(60)
    ws.update_records(touch=[("campaign", 7)], at=start)
    mark = len(fake.log)
    loaded(run(fake, dest, tables, "--interval-start", iso(start), "--interval-end", iso(end)))
    assert dest.cursors() == cursors
    windows = messages_requests(fake, mark)
    assert bounds(windows) == (start, end)
    assert dict(dest.sql(f'select id, updated from "{dest.dataset}".campaigns'))[7] == start

    # The next nightly run continues from the cursor the backfill left alone.
    mark = len(fake.log)
    loaded(run(fake, dest, tables))
    assert int(messages_requests(fake, mark)[0]["start_ts"][0]) == cursors["messages"] - LOOKBACK

    # --full-refresh: the table is dropped (a row only the destination had is gone), the cursor with it (the
    # whole delivery history is read again), and the load starts from scratch.
    dest.sql(f"insert into \"{dest.dataset}\".campaigns (id, name) values (999999, 'only here')")
    dest.sql(f"insert into \"{dest.dataset}\".messages (id, subject) values ('only-here', 'only here')")
    mark = len(fake.log)
    refreshed = loaded(run(fake, dest, tables, "--full-refresh"))
    assert len(messages_requests(fake, mark)) == len(first_requests)
    assert {r[0] for r in dest.rows("campaigns", "id")} == {c["id"] for c in ws.rows("campaigns")}
    assert {r[0] for r in dest.rows("messages", "id")} == {m["id"] for m in ws.rows("messages")}
    assert int(refreshed.started) <= dest.cursors()["messages"] <= int(refreshed.ended) + 1
    assert first.code == 0


# ---- 1: interval forms and inclusive bounds
def test_interval_bounds_are_inclusive(fake: FakeCustomerIO, duck: Dest) -> None:
    ws = fake.ws
    campaigns = sorted(ws.rows("campaigns"), key=lambda c: c["updated"])
    low, high = campaigns[1]["updated"], campaigns[2]["updated"]
    # The start with an offset (+02:00), the end as a date-time without one (UTC): both name the exact second
    # of a campaign's `updated`, and both campaigns are kept.
    loaded(run(fake, duck, "campaigns", "--interval-start", iso(low, 2), "--interval-end", iso(high, naive=True)))
    assert {r[0] for r in duck.rows("campaigns", "id")} == {campaigns[1]["id"], campaigns[2]["id"]}
    assert duck.cursors() == {}  # both bounds: a backfill, no cursor saved

    # Deliveries: server-side windows whose first start_ts and last end_ts are the bounds themselves.
    t_lo, t_hi = ws.timeline.time(100), ws.timeline.time(200)
    mark = len(fake.log)
    loaded(run(fake, duck, "messages", "--interval-start", iso(t_lo), "--interval-end", iso(t_hi, -5)))
    windows = messages_requests(fake, mark)
    assert bounds(windows) == (t_lo, t_hi)
    expected = {m["id"] for m in ws.rows("messages") if t_lo <= m["created"] <= t_hi}
    assert ws.deliveries.record(100)["id"] in expected and ws.deliveries.record(200)["id"] in expected
    assert {r[0] for r in duck.rows("messages", "id")} == expected

    # A child table with a date-only start: every campaign's actions are read, and the actions are filtered
    # on their own `updated`.
    day = datetime.fromtimestamp(campaigns[2]["updated"], UTC).date()
    mark = len(fake.log)
    loaded(run(fake, duck, "campaign_actions", "--interval-start", day.isoformat()))
    reads = {r.path for r in fake.log[mark:] if r.path.endswith("/actions")}
    assert reads == {f"/v1/campaigns/{c['id']}/actions" for c in campaigns}
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    assert {r[0] for r in duck.rows("campaign_actions", "id")} == {
        a["id"] for a in ws.rows("campaign_actions") if a["updated"] >= midnight
    }


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--interval-start", "2024-13-01"), "--interval-start '2024-13-01' is not a date"),
        (("--interval-end", "yesterday"), "--interval-end 'yesterday' is not a date"),
        (("--interval-start", "2024-02-01", "--interval-end", "2024-01-31T23:59:59"), "is after --interval-end"),
    ],
)
def test_interval_input_errors(fake: FakeCustomerIO, duck: Dest, flags: tuple[str, ...], message: str) -> None:
    line = one_line_error(omniload(*ingest_args(fake, duck, "campaigns", *flags)), 2)
    assert message in line
    assert len(fake.log) == 0 and not duck.path.exists()  # type: ignore[union-attr]


# ---- 2: strategies
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--incremental-strategy", "upsert"), "unknown --incremental-strategy 'upsert'"),
        (("--incremental-strategy", "delete+insert"), "messages: delete+insert needs an incremental key"),
        (("--incremental-strategy", "merge", "--primary-key", ""), "need a column name"),
    ],
)
def test_strategy_combination_errors(
    fake: FakeCustomerIO, duck: Dest, flags: tuple[str, ...], message: str
) -> None:
    line = one_line_error(omniload(*ingest_args(fake, duck, "messages", *flags)), 2)
    assert message in line
    assert len(fake.log) == 0


STRATEGY_NAMES = ("append", "delete+insert", "scd2", "replace")


def test_strategies_load_on_duckdb(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """Two runs of `campaigns` with one campaign changed in between, under each strategy (one DuckDB file per
    strategy)."""
    ws = fake.ws
    dests = {
        s: Dest("duckdb", f"duckdb:///{tmp_path / f'{i}.duckdb'}", "cio", tmp_path / f"{i}.duckdb")
        for i, s in enumerate(STRATEGY_NAMES)
    }

    def round_() -> None:
        for strategy, target in dests.items():
            loaded(omniload(*ingest_args(fake, target, "campaigns", "--incremental-strategy", strategy)))

    round_()
    count = len(ws.rows("campaigns"))
    assert all(d.count("campaigns") == count for d in dests.values())
    ws.update_records(touch=[("campaign", 8)], at=ws.now - 60)
    round_()
    for strategy, target in dests.items():
        check_strategy(strategy, target, count, ws.now - 60)


def check_strategy(strategy: str, duck: Dest, count: int, changed: int) -> None:
    rows = duck.sql("select id, updated from cio.campaigns")
    versions = sorted(u for i, u in rows if i == 8)
    if strategy in ("append", "delete+insert"):
        # The new version is added. The record at the cursor is read again (the bound is inclusive) but not
        # duplicated: append skips the rows it loaded at the cursor, delete+insert first deletes every row whose
        # incremental key value was read again (so the old version of 8, whose value was not, stays).
        assert len(rows) == count + 1 and versions[-1] == changed and len(versions) == 2, strategy
        assert [i for i, _ in rows].count(10) == 1, strategy
        assert duck.cursors()["campaigns"] == changed
    elif strategy == "scd2":
        history = duck.sql("select id, updated, _dlt_valid_to is null from cio.campaigns")
        assert len(history) == count + 1
        assert {(u, active) for i, u, active in history if i == 8} == {(versions[0], False), (changed, True)}
        assert sum(active for *_, active in history) == count
    else:
        assert len(rows) == count and versions == [changed]
    if strategy in ("scd2", "replace"):
        assert "campaigns" not in duck.cursors()  # these read everything every time
