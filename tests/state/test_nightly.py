"""Issue 19: nightly runs from the change feed, through the real CLI, from the fake Customer.io API over real HTTP
into a real DuckDB file and a real PostgreSQL schema (README "Nightly runs", docs/contract/customerio/changes.md).

The run's "now" is the fake's clock (`OMNILOAD_NOW`), moved forward by whole days where a test needs the
watermark to age; every table a nightly run refreshes must equal what a clean full read loads at that moment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests.conftest import API_KEY, Ran, omniload
from tests.state.support import (
    DAY,
    Dest,
    contents,
    dest_for,
    ingest_args,
    kill_when,
    loaded,
    make_dest,
    settled,
)

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


def and_a_full_read(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path, tables: tuple[str, ...] = NAMES
) -> tuple[dict[str, object], dict[str, object]]:
    """What `dest` holds and what a clean full read of the same tables loads now, in the full read's columns (a
    table loaded night after night keeps the columns of records gone since, null in every row)."""
    folder = tmp_path / f"full{len(list(tmp_path.glob('full*')))}"
    folder.mkdir()
    clean = make_dest(dest.kind, folder)
    try:
        night(fake, clean, tables=",".join(tables))
        return contents(dest, tables, like=clean), contents(clean, tables)
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
    loaded, full = and_a_full_read(fake, dest, tmp_path)
    assert loaded == full


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


def log_types(fake: FakeCustomerIO) -> set[str]:
    """The types of the activity records the fake serves now, read over HTTP as a loader reads them."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=fake.base_url, headers=headers, timeout=30) as client:
        body = client.get("/v1/activities", params={"limit": "100"}).json()
    return {record["type"] for record in body["activities"]}


def test_a_night_after_a_day_of_changes_equals_a_full_read(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path
) -> None:
    mark = len(fake.log)
    night(fake, dest)
    full_cost = requests_of(fake, mark)
    fake.advance_days(3)  # relationships added and removed, an object deleted (every second day)
    logged = log_types(fake)
    changes = {
        "profile_create",
        "profile_delete",
        "profile_merge",
        "attribute_change",
        "device_change",
        "add_relationship",
        "delete_relationship",
        "relationship_attribute_change",
    }
    assert changes <= logged  # new, deleted and merged people, relationships added, removed and changed
    assert any(kind.startswith("_o:") and kind.endswith(":delete") for kind in logged)  # an object deleted

    mark = len(fake.log)
    nightly = night(fake, dest)
    for table in PER_PERSON:
        assert f"{table}: nightly: " in nightly.stderr
    assert requests_of(fake, mark) < full_cost
    named = re.search(r"customer_relationships: nightly: (\d+) people changed", nightly.stderr)
    assert named and 0 < int(named[1]) < SPEC.people
    assert sum(1 for r in fake.log[mark:] if r.path.endswith("/relationships")) == int(named[1])
    loaded, full = and_a_full_read(fake, dest, tmp_path)
    assert loaded == full


def test_a_night_killed_while_reading_is_read_again_by_the_same_command(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path
) -> None:
    night(fake, dest)
    fake.advance_days(1)
    fake.inject("/v1/customers/", status=None, delay=2.0, times=1_000)  # slow relationship reads: killed in them
    now = {"OMNILOAD_NOW": str(fake.clock.now())}
    mark = len(fake.log)
    kill_when(
        ingest_args(fake, dest, TABLES),
        lambda: any(r.path.endswith("/relationships") for r in fake.log[mark:]),
        env=now,
    )
    settled(fake)
    again = night(fake, dest)
    assert "customer_relationships: nightly: " in again.stderr  # the watermark did not move with the kill
    loaded, full = and_a_full_read(fake, dest, tmp_path)
    assert loaded == full


@pytest.mark.parametrize("dest", ["duckdb"], indirect=True)
def test_a_night_without_an_activity_table_reads_only_the_change_types(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path
) -> None:
    """changes.md section 1: with no activity table to feed, the pass reads each change type alone (deliveries
    and events, most of a busy log, cost nothing), and a typed list read to its end proves itself."""
    tables = ("customers", *PER_PERSON, "customer_messages")
    night(fake, dest, tables=",".join(tables))
    fake.advance_days(2)
    mark = len(fake.log)
    again = night(fake, dest, tables=",".join(tables))
    asked = [r.query.get("type", [""])[0] for r in fake.log[mark:] if r.path == "/v1/activities"]
    assert asked and all(asked)
    assert {"attribute_change", "profile_delete", "profile_merge", "add_relationship"} <= set(asked)
    assert any(kind.startswith("_o:") and kind.endswith(":delete") for kind in asked)  # per object type
    assert re.search(rf"change pass: {len(set(asked))} change types, a typed read each", again.stderr)
    for table in PER_PERSON:
        assert f"{table}: nightly: " in again.stderr
    loaded, full = and_a_full_read(fake, dest, tmp_path, tables)
    assert loaded == full


@pytest.mark.parametrize("dest", ["duckdb"], indirect=True)
def test_the_weekly_full_read_repairs_a_change_the_log_missed(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path
) -> None:
    tables = ("customers", *PER_PERSON)  # with relationships the pass costs less than the full read
    fake.advance_days(1)  # the seeded log names people at random: the first run comes after a day of real changes
    night(fake, dest, tables=",".join(tables))
    fake.advance_days(1, unlogged=1.0)  # every attribute change of the day leaves no record
    night(fake, dest, tables=",".join(tables))
    loaded, full = and_a_full_read(fake, dest, tmp_path, tables)
    assert loaded != full  # the drift

    fake.advance_days(7)
    weekly = night(fake, dest, tables=",".join(tables))
    assert (
        "customer_attributes: full read: the last full read is 8 days old (full_refresh_days=7)" in weekly.stderr
    )
    loaded, full = and_a_full_read(fake, dest, tmp_path, tables)
    assert loaded == full


@pytest.mark.parametrize("dest", ["duckdb"], indirect=True)
def test_a_night_past_the_log_reads_whole_by_itself(fake: FakeCustomerIO, dest: Dest, tmp_path: Path) -> None:
    night(fake, dest)
    fake.advance_days(40)
    late = night(fake, dest)
    for table in PER_PERSON:
        assert f"{table}: full read: the watermark is 40 days old, past the log's 28-day margin" in late.stderr
    loaded, full = and_a_full_read(fake, dest, tmp_path)
    assert loaded == full


def planned(fake: FakeCustomerIO, dest: Dest) -> dict[str, tuple[str, str]]:
    """`--plan` of the nightly tables at the fake's "now": load name → (requests, note)."""
    ran = omniload(*ingest_args(fake, dest, TABLES, "--plan"), env={"OMNILOAD_NOW": str(fake.clock.now())})
    assert ran.code == 0, ran.output
    rows = [re.split(r" {2,}", line.strip(), maxsplit=3) for line in ran.stdout.split("\n\n")[0].splitlines()[1:]]
    return {name: (requests, note) for name, requests, _time, note in rows}


def test_the_plan_gives_the_night_beside_the_full_read_it_replaces(fake: FakeCustomerIO, duck: Dest) -> None:
    first = planned(fake, duck)
    assert first["customer_relationships"][1].endswith("; full read: no watermark yet (first run)")
    night(fake, duck)
    fake.advance_days(1)
    plan = planned(fake, duck)
    requests, note = plan["customer_relationships"]
    found = re.fullmatch(
        r"nightly: (\d+) of (\d+) people changed since the watermark: (\d+) requests, "
        r"against (\d+) for the full read it replaces",
        note,
    )
    assert found, note
    changed, people, night_requests, full_requests = map(int, found.groups())
    assert changed == night_requests == int(requests) and people == full_requests < SPEC.people * 2
    mark = len(fake.log)
    night(fake, duck)
    assert sum(1 for r in fake.log[mark:] if r.path.endswith("/relationships")) == changed  # as planned
