"""The product page's flags (issue 21, point 1): `--dry-run` and the loader's settings, each through the real CLI
against the fake over real HTTP, into real DuckDB files; a flag that cannot apply is refused in one line."""

from __future__ import annotations

from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import ingest, omniload, source_uri


def test_dry_run_prints_the_plan_and_writes_nothing(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "dry.duckdb"
    before = len(fake.log)

    dry = ingest(fake, "campaigns,customers", db, "cio", "--dry-run")
    planned = len(fake.log) - before
    plan = ingest(fake, "campaigns,customers", db, "cio", "--plan")

    assert (dry.code, plan.code) == (0, 0), dry.output + plan.output
    assert dry.stdout.splitlines()[0].split()[:2] == ["table", "requests"]
    assert [line.split()[0] for line in dry.stdout.splitlines()[1:3]] == ["campaigns", "customers"]
    assert dry.stdout == plan.stdout  # --plan is the same flag
    assert planned == 1 and not [r for r in fake.log[before:] if r.path == "/v1/customers"]
    assert not db.exists()


def test_dry_run_from_the_environment(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "dry.duckdb"
    args = (
        "ingest",
        "--source-uri",
        source_uri(fake),
        "--source-table",
        "campaigns",
        "--dest-uri",
        f"duckdb:///{db}",
    )

    runs = [omniload(*args, env={name: "true"}) for name in ("OMNILOAD_DRY_RUN", "OMNILOAD_PLAN")]

    assert [ran.code for ran in runs] == [0, 0]
    assert all(ran.stdout.startswith("table ") and "nothing was written" in ran.stdout for ran in runs)
    assert not db.exists()


def test_dry_run_checks_the_input_as_a_run_does(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = ingest(fake, "campains", tmp_path / "x.duckdb", "cio", "--dry-run")

    assert ran.code == 2
    [line] = ran.stderr.strip().splitlines()
    assert line.startswith("error: unknown Customer.io table 'campains'; did you mean 'campaigns'?")
    assert ran.stdout == "" and not (tmp_path / "x.duckdb").exists()
