"""Issue 20, "Done when": `message_contents` never spends more than the API's 100 archived-message requests a
day across runs, the day's count kept in the destination with the table: three runs in one fake day, then one
the next day, through the real CLI into a real DuckDB file (docs/contract/customerio/extra-tables.md,
message_contents)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from omniload.testing.customerio.clock import MONTH_SECONDS
from tests.conftest import API_KEY, Ran, omniload, query, source_uri

DAY = 86400
SPEC = WorkspaceSpec(people=40, deliveries=600, activities=40, objects_per_type=5)


@pytest.fixture(name="fake")
def budget_fake() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(SPEC), api_key=API_KEY, rate_limit=None) as server:
        server.set_now(server.ws.now)
        yield server


def run(fake: FakeCustomerIO, db: Path, now: int, **params: str) -> Ran:
    ran = omniload(
        "ingest",
        "--source-uri", source_uri(fake, **params),
        "--source-table", "message_contents",
        "--dest-uri", f"duckdb:///{db}",
        "--dest-table", "cio.message_contents",
        "--progress", "log",
        env={"OMNILOAD_NOW": str(now)},
    )  # fmt: skip
    assert ran.code == 0, ran.output
    return ran


def newest(fake: FakeCustomerIO, now: int, count: int) -> set[tuple[str]]:
    """The `count` newest deliveries of the listing's default window (the 6 months before `now`)."""
    listed = [r["id"] for r in fake.ws.rows("messages") if r["created"] >= now - 6 * MONTH_SECONDS]
    return {(message_id,) for message_id in listed[:count]}


def test_a_hundred_a_day_across_runs_newest_first(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db, now = tmp_path / "contents.duckdb", fake.ws.now
    archived = "/v1/messages/"

    def spent() -> int:
        return sum(1 for r in fake.log if r.path.startswith(archived) and r.path.endswith("/archived_message"))

    first = run(fake, db, now, message_contents_per_day="40")  # the URI lowers the day's share
    assert spent() == 40 and "message_contents: 0 of today's 40 requests left" in first.stderr
    assert set(query(db, "select id from cio.message_contents")) == newest(fake, now, 40)

    second = run(fake, db, now + 60)  # the same day, the whole allowance: what is left of it
    assert spent() == 100 and "0 of today's 100 requests left" in second.stderr
    assert set(query(db, "select id from cio.message_contents")) == newest(fake, now, 100)

    before = spent()
    third = run(fake, db, now + 120)
    assert spent() == before and "0 of today's 100 requests left" in third.stderr
    assert "about" in third.stderr and "day(s) at 100 a day" in third.stderr  # how long the rest will take

    fake.set_now(now + DAY)
    run(fake, db, now + DAY)
    assert spent() == 200 and all(r.status == 200 for r in fake.log if r.path.endswith("/archived_message"))
    loaded = set(query(db, "select id from cio.message_contents"))
    assert loaded == newest(fake, now + DAY, 200) and len(loaded) == 200
    bodies = query(db, "select count(*) from cio.message_contents where body like '<html>%'")
    assert bodies == [(200,)]
    assert max(fake.spent.values()) <= 100  # never more than the API allows in one of its days
