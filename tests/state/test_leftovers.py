"""Issue 14, point 8: what runs leave behind. The temporary folders of killed runs are removed by the next run,
and a successful replace keeps no second copy of its tables in the staging schema. Real CLI, real DuckDB file,
real PostgreSQL schema; the kill is the process's own, right after a chosen statement (omniload/testing/faults.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO
from omniload.testing.faults import VARIABLE
from tests import launcher
from tests.conftest import omniload
from tests.state.support import Dest, ingest_args, loaded, make_dest


def test_the_next_run_removes_the_folders_of_killed_runs(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest = make_dest("duckdb", tmp_path)
    temp = tmp_path / "temp"
    live = temp / f"omniload-{os.getpid()}-running"  # a run whose process is alive (this test's)
    other = temp / "omniload-notes"  # not a run's folder
    live.mkdir(parents=True)
    other.mkdir()
    args = ingest_args(fake, dest, "customers,campaigns")
    killed = launcher.run(
        args, env={**os.environ, "TMPDIR": str(temp), VARIABLE: '"_dlt_pipeline_state"('}, timeout=300
    )
    assert killed.returncode == -9, killed.stderr
    left = [p for p in temp.iterdir() if p not in (live, other)]
    assert len(left) == 1 and left[0].name.startswith("omniload-")
    assert any(f.suffix == ".parquet" for f in left[0].rglob("*"))  # the extracted pages

    loaded(omniload(*args, env={"TMPDIR": str(temp)}))
    assert sorted(temp.iterdir()) == sorted([live, other])


def test_a_successful_replace_drops_its_staging_copy(fake: FakeCustomerIO, dest: Dest) -> None:
    loaded(omniload(*ingest_args(fake, dest, "customers,campaigns")))
    assert dest.count("customers") == len(fake.ws.rows("customers"))
    schemas = {row[0] for row in dest.sql("select schema_name from information_schema.schemata")}
    assert dest.dataset in schemas and f"{dest.dataset}_staging" not in schemas
    loaded(omniload(*ingest_args(fake, dest, "customers,campaigns")))  # and the next run creates it again
    assert dest.count("customers") == len(fake.ws.rows("customers"))
    schemas = {row[0] for row in dest.sql("select schema_name from information_schema.schemata")}
    assert f"{dest.dataset}_staging" not in schemas
