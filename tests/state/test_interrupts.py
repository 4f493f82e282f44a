"""Issue 14, point 6: Ctrl-C (SIGINT) and SIGTERM end a run with exit 130 or 143 and one line saying what was
kept, and leave no temporary folder behind. Real CLI, real DuckDB file, real PostgreSQL schema.

The signal comes at a chosen point: while reading, once the run waits on a deliveries page the fake holds back;
while loading, sent by the process to itself right after it wrote its state row (omniload/testing/faults.py).
"""

from __future__ import annotations

import signal
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO
from omniload.testing.faults import VARIABLE
from tests.state.support import Dest, contents, ingest_args, one_line_error, signal_when
from tests.state.test_fail_safe import TABLES, load_then_change, recovers

KEPT_READING = "nothing was written; every table and cursor is as it was"
KEPT_LOADING = (
    "each table of the checkpoint being loaded is either as it was or complete from this run, and no "
    "cursor of those tables moved (the next run reads them again)"
)


def test_ctrl_c_while_reading(fake: FakeCustomerIO, dest: Dest, tmp_path: Path) -> None:
    before = load_then_change(fake, dest)
    fake.inject("/v1/messages", status=None, delay=3.0)
    mark = len(fake.log)
    temp = tmp_path / "temp"
    temp.mkdir()
    ran = signal_when(
        ingest_args(fake, dest, TABLES),
        lambda: any(r.path.startswith("/v1/campaigns") for r in fake.log[mark:]),
        signal.SIGINT,
        {"TMPDIR": str(temp)},
    )
    assert one_line_error(ran, 130) == f"error: interrupted by SIGINT while reading: {KEPT_READING}"
    assert dest.snapshot() == before
    assert not list(temp.iterdir())  # the extracted pages went with the run's temporary folder
    recovers(fake, dest, before)


def test_sigterm_while_loading(fake: FakeCustomerIO, dest: Dest, tmp_path: Path) -> None:
    before = load_then_change(fake, dest)
    tables = tuple(TABLES.split(","))
    kept_before = contents(dest, tables)
    temp = tmp_path / "temp"
    temp.mkdir()
    ran = signal_when(
        ingest_args(fake, dest, TABLES),
        lambda: True,
        signal.SIGCONT,  # harmless: the run stops itself with SIGTERM at the statement named below
        {"TMPDIR": str(temp), VARIABLE: 'SIGTERM:"_dlt_pipeline_state"('},
    )
    assert one_line_error(ran, 143) == f"error: interrupted by SIGTERM while loading: {KEPT_LOADING}"
    assert dest.state() == before["state"]
    kept = contents(dest, tables)
    assert not list(temp.iterdir())
    recovers(fake, dest, before)
    after = contents(dest, tables)
    for table in tables:
        assert kept[table] in (kept_before[table], after[table]), table
