"""Issue 10, points 1 and 2: a run commits its tables in checkpoints, and a run killed after one, started again
with the same command, reads only what was not committed and ends with the tables a clean run gives. Real CLI
over the fake's real HTTP, real DuckDB file and PostgreSQL schema (README "Checkpoints and resume").

`OMNILOAD_CHECKPOINT_SECONDS=0` makes every table boundary a checkpoint, so these small runs have several.
The reads of the next table start only after the checkpoint before it is committed, so a kill the moment the
fake sees the delivery pass's first request finds the three tables before it committed.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from omniload.run.checkpoints import CHECKPOINT_VARIABLE
from omniload.testing.customerio import FakeCustomerIO
from omniload.testing.faults import VARIABLE
from tests.state.support import (
    Dest,
    contents,
    ingest_args,
    kill_when,
    loaded,
    make_dest,
    run,
    settled,
    signal_when,
    start_cli,
)

#: Read in this order (people first, then as asked, the delivery pass last); one checkpoint each.
TABLES = "customers,campaigns,broadcast_actions,customer_messages"
NAMES = tuple(TABLES.split(","))
BEFORE_THE_PASS = ["customers", "campaigns", "broadcast_actions"]


@pytest.fixture(autouse=True)
def checkpoint_at_every_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHECKPOINT_VARIABLE, "0")


def test_a_run_killed_while_reading_resumes_after_its_checkpoints(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path
) -> None:
    clean = clean_run(fake, dest.kind, tmp_path)
    fake.inject("/v1/messages", status=None, delay=3.0)
    mark = len(fake.log)
    kill_when(ingest_args(fake, dest, TABLES), lambda: any(r.path == "/v1/messages" for r in fake.log[mark:]))

    assert committed_record(dest) == BEFORE_THE_PASS
    kept = contents(dest, tuple(BEFORE_THE_PASS))
    assert kept == {table: clean["rows"][table] for table in BEFORE_THE_PASS}
    assert "customer_messages" not in dest.tables()

    mark = settled(fake)
    resumed = loaded(run(fake, dest, TABLES, "--progress", "log"))
    assert "run: resuming the run of " in resumed.stderr
    assert "committed 3 table(s) (customers, campaigns, broadcast_actions): not read again" in resumed.stderr
    assert "customer_messages: reading into" in resumed.stderr
    assert not any(r.path.endswith("/actions") for r in fake.log[mark:])  # broadcast_actions is not read again
    assert_like_clean(dest, clean)


def test_a_run_killed_in_a_checkpoints_load_resumes_after_the_ones_before(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = clean_run(fake, dest.kind, tmp_path)
    # the second checkpoint's state row, before its COMMIT (#1 and #2: the first checkpoint's row and its COMMIT)
    monkeypatch.setenv(VARIABLE, '"_dlt_pipeline_state"(#3')
    killed = start_cli(ingest_args(fake, dest, TABLES))
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    monkeypatch.delenv(VARIABLE)

    assert committed_record(dest) == ["customers"]
    resumed = loaded(run(fake, dest, TABLES, "--progress", "json"))
    events = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert [e["tables"] for e in events if e["event"] == "resume"] == [["customers"]]
    ends = {e["table"]: e["status"] for e in events if e["event"] == "end" and e["table"]}
    assert ends == {"customers": "resumed", **{table: "ok" for table in NAMES[1:]}}
    assert_like_clean(dest, clean)


def test_a_stopped_run_says_what_its_checkpoints_kept(fake: FakeCustomerIO, dest: Dest) -> None:
    fake.inject("/v1/messages", status=None, delay=3.0)
    mark = len(fake.log)
    ran = signal_when(
        ingest_args(fake, dest, TABLES),
        lambda: any(r.path == "/v1/messages" for r in fake.log[mark:]),
        signal.SIGTERM,
        {},
    )
    assert ran.code == 143
    assert ran.stderr.strip().splitlines()[-1] == (
        "error: interrupted by SIGTERM while reading: the tables being read are as they were, with their cursors; "
        "3 table(s) committed before that are kept with their cursors (customers, campaigns, broadcast_actions); "
        "the same command resumes after them"
    )


@pytest.mark.parametrize("dest", ["duckdb"], indirect=True)
def test_full_refresh_starts_over_instead_of_resuming(fake: FakeCustomerIO, dest: Dest) -> None:
    fake.inject("/v1/messages", status=None, delay=3.0)
    mark = len(fake.log)
    kill_when(ingest_args(fake, dest, TABLES), lambda: any(r.path == "/v1/messages" for r in fake.log[mark:]))
    mark = settled(fake)
    again = loaded(run(fake, dest, TABLES, "--full-refresh", "--progress", "log"))
    assert "resuming" not in again.stderr
    assert any(r.path.endswith("/actions") for r in fake.log[mark:])
    assert "run" not in merged_state(dest)


@pytest.mark.parametrize("dest", ["duckdb"], indirect=True)
def test_a_run_that_fits_in_one_checkpoint_loads_once(
    fake: FakeCustomerIO, dest: Dest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHECKPOINT_VARIABLE, "3600")
    ran = loaded(run(fake, dest, TABLES, "--progress", "log"))
    assert "checkpoint:" not in ran.stderr
    assert ran.stderr.count("; loading into ") == 1
    assert "run" not in merged_state(dest)


def clean_run(fake: FakeCustomerIO, kind: str, tmp_path: Path) -> dict[str, object]:
    """The same tables loaded by one uninterrupted run into a destination of their own."""
    folder = tmp_path / "clean"
    folder.mkdir()
    clean = make_dest(kind, folder)
    try:
        ran = loaded(run(fake, clean, TABLES, "--progress", "log"))
        assert ran.stderr.count("checkpoint: committed") == 3  # one per table; the delivery pass ends the run
        return {"rows": contents(clean, NAMES), "cursors": clean.cursors()}
    finally:
        clean.drop()


def assert_like_clean(dest: Dest, clean: dict[str, object]) -> None:
    assert contents(dest, NAMES) == clean["rows"]
    cursors = dest.cursors()
    assert cursors["campaigns"] == clean["cursors"]["campaigns"]  # type: ignore[index]
    assert set(cursors) == set(clean["cursors"])  # type: ignore[arg-type]
    assert "run" not in merged_state(dest)


def merged_state(dest: Dest) -> dict[str, object]:
    merged: dict[str, object] = {}
    for resource in dest.state().values():
        merged.update(resource)
    return merged


def committed_record(dest: Dest) -> list[str]:
    """The tables the newest committed checkpoint's run record lists."""
    record = merged_state(dest).get("run")
    assert isinstance(record, dict), merged_state(dest)
    return list(record["committed"])
