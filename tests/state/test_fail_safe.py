"""Issue 4, failing safely: a run that dies anywhere leaves every destination table and the saved cursors as they
were, and a replace never empties a table silently. Real CLI, real DuckDB file, real PostgreSQL schema.

Every test loads once, changes records in the fake so that a second run would change the destination, takes a
snapshot (every row of every table, the completed loads and the state a next run restores), makes the second run
fail, and compares. A last, healthy run then shows the failure left nothing behind that blocks the next night.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests.state.support import (
    POSTGRES_URI,
    Dest,
    ingest_args,
    kill_when,
    loaded,
    make_dest,
    one_line_error,
    run,
)

#: A replace table (customers), a merge list with a cursor (campaigns) and the delivery pass (messages).
TABLES = "customers,campaigns,messages"


def load_then_change(fake: FakeCustomerIO, dest: Dest) -> dict[str, object]:
    """The first night's load, then changes a second run would bring in; returns the snapshot to keep."""
    loaded(run(fake, dest, TABLES))
    ws = fake.ws
    recent = ws.timeline.count - 3
    ws.update_records(touch=[("campaign", 8)], deliveries={recent: {"subject": "changed"}}, at=ws.now - 60)
    before = dest.snapshot()
    assert before["state"] and set(before["tables"]) >= {"customers", "campaigns", "messages"}
    return before


def recovers(fake: FakeCustomerIO, dest: Dest, before: dict[str, object]) -> None:
    """The next healthy run loads the changes and moves the cursors."""
    loaded(run(fake, dest, TABLES))
    assert dest.snapshot() != before
    assert dict(dest.sql(f'select id, updated from "{dest.dataset}".campaigns'))[8] == fake.ws.now - 60
    assert dest.cursors()["campaigns"] == fake.ws.now - 60


def test_killed_while_reading(fake: FakeCustomerIO, dest: Dest) -> None:
    """SIGKILL while the deliveries are read, after customers and campaigns were read and extracted."""
    before = load_then_change(fake, dest)
    mark = len(fake.log)
    fake.inject("/v1/messages", status=None, delay=3.0)
    kill_when(
        ingest_args(fake, dest, TABLES),
        lambda: any(r.path.startswith("/v1/campaigns") for r in fake.log[mark:]),
    )
    assert dest.snapshot() == before
    recovers(fake, dest, before)


def test_killed_while_loading_postgres(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """SIGKILL in the load step itself: the new rows are already in the staging schema and the state row is
    written, and the run waits to swap/merge them into the tables (held by a lock this test takes)."""
    import psycopg2

    dest = make_dest("postgres", tmp_path)
    try:
        before = load_then_change(fake, dest)
        blocker = psycopg2.connect(POSTGRES_URI)
        try:
            with blocker.cursor() as cursor:
                cursor.execute(
                    f'lock table "{dest.dataset}".customers, "{dest.dataset}".campaigns, '
                    f'"{dest.dataset}".messages in access exclusive mode'
                )

            def waiting_on_the_lock() -> bool:
                rows = dest.sql(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                    f"and query like '%{dest.dataset}%'"
                )
                return rows[0][0] > 0

            kill_when(ingest_args(fake, dest, TABLES), waiting_on_the_lock)
        finally:
            blocker.rollback()
            blocker.close()
        staged = dest.sql(
            "select count(*) from information_schema.tables "
            f"where table_schema = '{dest.dataset}_staging' and table_name = 'campaigns'"
        )
        assert staged[0][0] == 1  # the run got as far as staging its rows
        deadline = time.monotonic() + 10  # the server notices the killed client's connection
        while (
            dest.sql(
                f"select count(*) from pg_stat_activity where query like '%{dest.dataset}%' "
                "and pid <> pg_backend_pid() and state <> 'idle'"
            )[0][0]
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert dest.snapshot() == before
        recovers(fake, dest, before)
    finally:
        dest.drop()


def test_401_half_way(fake: FakeCustomerIO, dest: Dest) -> None:
    """The key is revoked after customers and campaigns were read: exit 1, one line, nothing changed."""
    before = load_then_change(fake, dest)
    fake.inject("/v1/messages", status=401)
    line = one_line_error(run(fake, dest, TABLES), 1)
    assert "401" in line
    assert dest.snapshot() == before


def test_replace_refuses_to_empty_a_table(fake: FakeCustomerIO, dest: Dest) -> None:
    """A replace that read no rows over a table with rows fails loudly; --full-refresh is how to mean it."""
    empty = Workspace(
        WorkspaceSpec(
            people=0,
            deliveries=0,
            activities=0,
            object_types=0,
            objects_per_type=0,
            campaigns=1,
            broadcasts=0,
            newsletters=0,
            segments=0,
            sender_identities=0,
        )
    )
    fake.add_key("emptied-key", workspace=empty)
    loaded(run(fake, dest, "customers,campaigns"))
    people = dest.count("customers")
    assert people == len(fake.ws.rows("customers"))
    before = dest.snapshot()

    line = one_line_error(run(fake, dest, "customers,campaigns", key="emptied-key"), 1)
    assert f"customers: this run read 0 rows, and replacing would empty {dest.dataset}.customers" in line
    assert f"({people:,} rows)" in line and "--full-refresh" in line
    assert dest.snapshot() == before

    loaded(run(fake, dest, "customers,campaigns", "--full-refresh", key="emptied-key"))
    assert dest.count("customers") == 0
    assert dest.count("campaigns") == len(empty.rows("campaigns"))


def test_replace_is_atomic_under_concurrent_reads(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """While a replace runs on PostgreSQL, a reader never sees the table empty or half-filled (insert-from-staging
    swaps in one transaction; dlt's default truncate-and-insert would show an empty table). DuckDB allows no
    reader while another process writes, so there the kill and failure tests stand for atomicity."""
    dest = make_dest("postgres", tmp_path)
    loaded(run(fake, dest, "customers"))
    people = len(fake.ws.rows("customers"))
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a failed read is not an observation
                seen.append(dest.count("customers"))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        loaded(run(fake, dest, "customers"))
    finally:
        stop.set()
        watcher.join()
    try:
        assert seen and set(seen) == {people}
        assert dest.count("customers") == people
    finally:
        dest.drop()
