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
from omniload.testing.customerio.archive import index_of

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


def ingest(fake: FakeCustomerIO, db: Path, label: str, extra: str = "") -> Night:
    """One `omniload ingest` of the tables at the fake's "now" (`extra`: more URI parameters); the requests it
    made."""
    os.environ[NOW] = str(fake.now())
    before = len(fake.log)
    launched = run_ingest(source_uri(fake, 0) + extra, TABLES, db, label)
    for line in launched.stderr.splitlines():
        if line.startswith("info: "):
            print(f"  {label}: {line.removeprefix('info: ')}", flush=True)
    return Night(label, len(fake.log) - before, launched)


def differences(nightly: Path, full: Path, workspace: Workspace) -> dict[str, tuple[int, int, int]]:
    """Per table, the rows only the nightly database has, the rows only the full read has, and how many of
    those are deliveries that name no person (which a search cut by `unnamed_budget` reaches or not depending on
    the rows it searches: README "Loading Customer.io")."""
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
            keys = '"id"' if '"id"' in columns else "NULL"
            only_nightly = connection.execute(f"SELECT {keys} FROM ({mine} EXCEPT ALL {theirs})").fetchall()
            only_full = connection.execute(f"SELECT {keys} FROM ({theirs} EXCEPT ALL {mine})").fetchall()
            nobody = sum(1 for (key,) in only_nightly + only_full if _names_nobody(workspace, key))
            out[table] = (len(only_nightly), len(only_full), nobody)
    return out


def _names_nobody(workspace: Workspace, delivery_id: object) -> bool:
    """Whether a delivery's record names no person (null `customer_identifiers` and `customer_id`)."""
    index = index_of(workspace, delivery_id) if isinstance(delivery_id, str) else None
    if index is None:
        return False
    record = workspace.deliveries.record(index)
    return record["customer_identifiers"] is None and record["customer_id"] is None


def compared(found: dict[str, tuple[int, int, int]]) -> str:
    """The comparison's words: equal, equal but for rows naming no person, or the tables that differ."""
    unequal = {table: counts for table, counts in found.items() if counts[:2] != (0, 0)}
    if not unequal:
        return "every table equal"
    if all(nightly + full == nobody for nightly, full, nobody in unequal.values()):
        rows = ", ".join(f"{table} {nightly} and {full}" for table, (nightly, full, _) in unequal.items())
        return f"every table equal but for rows naming no person (only nightly and only full: {rows})"
    return f"differ (only nightly, only full, of them naming no person): {unequal}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_workspace_arguments(parser)
    parser.add_argument("--days", default="1,7,40", help="the days a night runs on, in order")
    parser.add_argument("--unnamed-budget", type=int, help="the runs' unnamed_budget (default: omniload's)")
    args = parser.parse_args()
    extra = "" if args.unnamed_budget is None else f"&unnamed_budget={args.unnamed_budget}"
    days = [int(day) for day in args.days.split(",")]
    workspace = Workspace(workspace_spec(args))
    folder = Path(tempfile.mkdtemp(prefix="omniload-nightly-"))
    nights: list[Night] = []
    with FakeCustomerIO(workspace, api_key="bench-key", rate_limit=args.rate_limit or None) as fake:
        nights.append(ingest(fake, folder / "nightly.duckdb", "day 0 (full)", extra))
        for day in days:
            fake.advance_days(day - workspace.day)
            night = ingest(fake, folder / "nightly.duckdb", f"day {day}", extra)
            full = ingest(fake, folder / f"full{day}.duckdb", f"day {day} full read", extra)
            night.equal = compared(differences(folder / "nightly.duckdb", folder / f"full{day}.duckdb", workspace))
            nights += [night, full]
            (folder / f"full{day}.duckdb").unlink()
    print(f"\n{args.people:,} people, {args.deliveries:,} deliveries; tables: {', '.join(TABLES)}")
    header = f"{'run':<16} {'requests':>9} {'at 10 req/s':>12} {'wall s':>8} {'peak MB':>8}"
    print(f"{header}  compared with a full read")
    for night in nights:
        print(night.line())


if __name__ == "__main__":
    main()
