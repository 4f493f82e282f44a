"""Nightly-run benchmark: what a night costs with the change feed, against a full read of the same day.

    python benchmarks/nightly.py --people 100000 --deliveries 1000000 --rate-limit 0
    python benchmarks/nightly.py --people 2000 --deliveries 20000 --rate-limit 0 --days 1,7,40   # a quick look

It starts the fake API in this process, runs a first full `omniload ingest` of the per-person tables
(README "Nightly runs"), then moves the fake's workspace on by whole days (docs/contract/customerio/changes.md
section 6: people created, changed, deleted and merged, relationships and objects changing, new deliveries) and
runs the same command on each chosen day, with omniload's "now" set to the fake's clock. After each night it
loads a clean full read of the same day into a second DuckDB file and compares every table both ways
(EXCEPT ALL, in the full read's columns). It prints, per run, the requests the fake served, the time they take at
Customer.io's 10 requests/second (requests / 10), the wall time, the child's peak RSS, and whether every table
equals the full read.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from support import Launched, add_workspace_arguments, run_ingest, source_uri, workspace_spec

from omniload.clock import VARIABLE as NOW
from omniload.testing.customerio import FakeCustomerIO, Workspace

TABLES = (
    "customers",
    "customer_attributes",
    "customer_relationships",
    "customer_activities",
    "customer_messages",
    "segment_memberships",
)


@dataclass
class Night:
    label: str
    requests: int
    launched: Launched
    equal: str = "-"

    def line(self) -> str:
        at_ten = f"{self.requests / 10 / 60:,.1f} min"
        return (
            f"{self.label:<16} {self.requests:>9,} {at_ten:>12} {self.launched.seconds:>8.1f} "
            f"{self.launched.peak_rss_mb:>8.0f}  {self.equal}"
        )


def ingest(fake: FakeCustomerIO, db: Path, label: str) -> Night:
    """One `omniload ingest` of the tables at the fake's "now"; the requests it made."""
    os.environ[NOW] = str(fake.now())
    before = len(fake.log)
    launched = run_ingest(source_uri(fake, 0), TABLES, db, label)
    for line in launched.stderr.splitlines():
        if line.startswith("info: "):
            print(f"  {label}: {line.removeprefix('info: ')}", flush=True)
    return Night(label, len(fake.log) - before, launched)


def differences(nightly: Path, full: Path) -> dict[str, tuple[int, int]]:
    """Per table, the rows only the nightly database has and the rows only the full read has."""
    with duckdb.connect(str(nightly), read_only=True) as connection:
        connection.execute(f"ATTACH '{full}' AS full_read (READ_ONLY)")
        out = {}
        for table in TABLES:
            columns = [
                f'"{name}"'
                for (name,) in connection.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'full_read' "
                    "AND table_schema = 'cio' AND table_name = ? ORDER BY column_name",
                    [table],
                ).fetchall()
                if not name.startswith("_")
            ]
            listed = ", ".join(columns)
            mine, theirs = f"SELECT {listed} FROM cio.{table}", f"SELECT {listed} FROM full_read.cio.{table}"
            only_nightly = connection.execute(f"SELECT count(*) FROM ({mine} EXCEPT ALL {theirs})").fetchone()
            only_full = connection.execute(f"SELECT count(*) FROM ({theirs} EXCEPT ALL {mine})").fetchone()
            out[table] = (int(only_nightly[0]) if only_nightly else 0, int(only_full[0]) if only_full else 0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_workspace_arguments(parser)
    parser.add_argument("--days", default="1,7,40", help="the days a night runs on, in order")
    args = parser.parse_args()
    days = [int(day) for day in args.days.split(",")]
    workspace = Workspace(workspace_spec(args))
    folder = Path(tempfile.mkdtemp(prefix="omniload-nightly-"))
    nights: list[Night] = []
    with FakeCustomerIO(workspace, api_key="bench-key", rate_limit=args.rate_limit or None) as fake:
        nights.append(ingest(fake, folder / "nightly.duckdb", "day 0 (full)"))
        for day in days:
            fake.advance_days(day - workspace.day)
            night = ingest(fake, folder / "nightly.duckdb", f"day {day}")
            full = ingest(fake, folder / f"full{day}.duckdb", f"day {day} full read")
            found = differences(folder / "nightly.duckdb", folder / f"full{day}.duckdb")
            unequal = {table: counts for table, counts in found.items() if counts != (0, 0)}
            night.equal = "every table equal" if not unequal else f"differ (only nightly, only full): {unequal}"
            nights += [night, full]
            (folder / f"full{day}.duckdb").unlink()
    print(f"\n{args.people:,} people, {args.deliveries:,} deliveries; tables: {', '.join(TABLES)}")
    header = f"{'run':<16} {'requests':>9} {'at 10 req/s':>12} {'wall s':>8} {'peak MB':>8}"
    print(f"{header}  compared with a full read")
    for night in nights:
        print(night.line())


if __name__ == "__main__":
    main()
