"""Issue 19: nightly runs from the change feed, through the real CLI, from the fake Customer.io API over real HTTP
into a real DuckDB file and a real PostgreSQL schema (README "Nightly runs", docs/contract/customerio/changes.md).

The run's "now" is the fake's clock (`OMNILOAD_NOW`), moved forward by whole days where a test needs the
watermark to age; every table a nightly run refreshes must equal what a clean full read loads at that moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests.conftest import API_KEY, Ran, omniload
from tests.state.support import DAY, Dest, contents, dest_for, ingest_args, loaded, make_dest

#: Two pages of activities in the log's 30 days: the pass proves its overlap on the second.
SPEC = WorkspaceSpec(people=40, deliveries=300, activities=400, objects_per_type=5)
TABLES = "customers,customer_attributes,customer_relationships,customer_activities,customer_messages,activities"
NAMES = tuple(TABLES.split(","))
PER_PERSON = ("customer_attributes", "customer_relationships")


@pytest.fixture(name="fake")
def nightly_fake() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(SPEC), api_key=API_KEY, rate_limit=None) as server:
        yield server


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Dest]:
    yield from dest_for("duckdb", tmp_path)


def night(
    fake: FakeCustomerIO, dest: Dest, *extra: str, tables: str = TABLES, days: int = 0, **params: str
) -> Ran:
    """One run at the fake's "now" plus `days`, logging each table's refresh."""
    now = fake.clock.now() + days * DAY
    args = ingest_args(fake, dest, tables, "--progress", "log", *extra, **params)
    return loaded(omniload(*args, env={"OMNILOAD_NOW": str(now)}))


def requests_of(fake: FakeCustomerIO, since: int) -> int:
    return len(fake.log) - since


def full_read(fake: FakeCustomerIO, kind: str, tmp_path: Path) -> dict[str, object]:
    """What a clean full read of the same tables loads now."""
    (tmp_path / "full").mkdir(exist_ok=True)
    clean = make_dest(kind, tmp_path / "full")
    try:
        night(fake, clean)
        return contents(clean, NAMES)
    finally:
        clean.drop()


def test_a_second_run_reads_what_changed_and_equals_a_full_read(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path
) -> None:
    mark = len(fake.log)
    first = night(fake, dest)
    full_cost = requests_of(fake, mark)
    for table in PER_PERSON:
        assert f"{table}: full read: no watermark yet (first run)" in first.stderr

    mark = len(fake.log)
    second = night(fake, dest)
    assert requests_of(fake, mark) < full_cost / 2
    for table in PER_PERSON:
        assert f"{table}: nightly: " in second.stderr
    relationships = sum(1 for r in fake.log[mark:] if r.path.endswith("/relationships"))
    assert relationships < SPEC.people  # only the people the log names are read again
    assert contents(dest, NAMES) == full_read(fake, dest.kind, tmp_path)


@pytest.mark.parametrize(
    ("extra", "days", "params", "line"),
    [
        ((), 2, {"full_refresh_days": "1"}, "the last full read is 2 days old (full_refresh_days=1)"),
        ((), 29, {}, "the watermark is 29 days old, past the log's 28-day margin"),
        (("--full-refresh",), 0, {}, "full read: --full-refresh"),
    ],
    ids=["full-refresh-days", "old-watermark", "full-refresh"],
)
def test_a_run_reads_whole_and_says_why(
    fake: FakeCustomerIO, duck: Dest, extra: tuple[str, ...], days: int, params: dict[str, str], line: str
) -> None:
    night(fake, duck)
    again = night(fake, duck, *extra, days=days, **params)
    for table in PER_PERSON:
        assert f"{table}: full read: " in again.stderr
    assert line in again.stderr
    assert "nightly" not in again.stderr.replace("activities: nightly", "")


def test_a_log_that_does_not_reach_the_watermark_means_a_full_read(fake: FakeCustomerIO, duck: Dest) -> None:
    # A watermark 27 days old: the pass must find a whole page older than 28 days, and the log's last page
    # (its oldest week) holds records on both sides of that line. With the log's own table in the run, the
    # pass reads to the log's end rather than stop at its cost.
    tables, params = "customers,customer_attributes,activities", {"full_refresh_days": "30"}
    night(fake, duck, tables=tables, days=-27, **params)
    again = night(fake, duck, tables=tables, **params)
    assert (
        "customer_attributes: full read: the activity log did not reach back to the watermark (overlap not proven)"
        in again.stderr
    )


def test_a_change_pass_dearer_than_the_full_read_stops_and_reads_whole(tmp_path: Path) -> None:
    busy = WorkspaceSpec(people=40, deliveries=300, activities=3000, activity_days=3, objects_per_type=5)
    with FakeCustomerIO(Workspace(busy), api_key=API_KEY, rate_limit=None) as fake:
        duck = make_dest("duckdb", tmp_path)
        night(fake, duck, tables="customers,customer_attributes")
        mark = len(fake.log)
        again = night(fake, duck, tables="customers,customer_attributes")
        passes = sum(1 for r in fake.log[mark:] if r.path == "/v1/activities")
    assert "customer_attributes: full read: the change pass would cost more than the full read (1 requests)" in (
        again.stderr
    )
    assert passes == 1  # 40 people: the full read is one batch, so the pass stops after one page


def test_a_campaign_gone_from_the_list_is_marked_and_unmarked_when_it_comes_back(
    fake: FakeCustomerIO, dest: Dest
) -> None:
    def marks() -> dict[int, bool]:
        rows = dest.sql(f'select id, _omniload_deleted_at is not null from "{dest.dataset}"."campaigns"')
        return {int(row[0]): bool(row[1]) for row in rows}

    night(fake, dest, tables="campaigns")
    campaigns = fake.ws.catalog.campaigns
    assert marks() == dict.fromkeys((c["id"] for c in campaigns), False)
    gone = campaigns.pop(1)
    try:
        night(fake, dest, tables="campaigns")
        assert marks() == {**dict.fromkeys((c["id"] for c in campaigns), False), gone["id"]: True}
    finally:
        campaigns.insert(1, gone)
    night(fake, dest, tables="campaigns")
    assert marks() == dict.fromkeys((c["id"] for c in campaigns), False)
