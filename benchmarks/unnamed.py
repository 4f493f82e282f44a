"""Rows that name no person: how many the loads keep, and what finding them costs, per `unnamed_budget`.

    python benchmarks/unnamed.py                                               # the default workspace
    python benchmarks/unnamed.py --people 100000 --deliveries 1000000 --activities 40000 --rate-limit 0 \
        --budgets 0,1000,100000

A delivery or activity whose `customer_identifiers` and `customer_id` are both null belongs to a person without
an `id` (docs/contract/customerio/changes.md section 5). omniload links an email delivery by its `recipient`, then
reads the people without an `id` in turn until every such row is found or `unnamed_budget` requests are spent
(README "Loading Customer.io"). This starts the fake API in this process and runs the real `omniload ingest` of
`customer_messages,customer_activities` once per budget, as a child process. For each it prints, per table, the
rows of the fake's ground truth, the rows that name no person among them, how many the load kept, how many it
left out, and the run's requests, per-person reads among them, and peak RSS.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import duckdb
from support import add_workspace_arguments, run_ingest, source_uri, workspace_spec

from omniload.testing.customerio import FakeCustomerIO, Workspace

TABLES = ("customer_messages", "customer_activities")
PER_PERSON = re.compile(r"/v1/customers/[^/]+/(messages|activities)")


def naming_nobody(workspace: Workspace, table: str) -> set[tuple[str, str]]:
    """(id, cio_id) of the rows of `table` whose record names no person."""
    records = {r["id"]: r for r in workspace.rows(table.removeprefix("customer_"))}
    return {
        (row["id"], row["customer_id"])
        for row in workspace.rows(table)
        if records[row["id"]]["customer_identifiers"] is None and records[row["id"]]["customer_id"] is None
    }


def run(fake: FakeCustomerIO, workspace: Workspace, budget: int, db: Path) -> None:
    before = len(fake.log)
    label = f"unnamed_budget={budget}"
    launched = run_ingest(f"{source_uri(fake, 0)}&{label}", TABLES, db, label)
    asked = fake.log[before:]
    reads = sum(1 for logged in asked if PER_PERSON.fullmatch(logged.path))
    print(f"unnamed_budget={budget:,}: {len(asked):,} requests, {reads:,} of them per-person reads, "
          f"peak {launched.peak_rss_mb:.0f} MB, {launched.seconds:.1f} s")
    with duckdb.connect(str(db), read_only=True) as connection:
        for table in TABLES:
            loaded = set(connection.execute(f"SELECT id, customer_id FROM cio.{table}").fetchall())
            truth = {(row["id"], row["customer_id"]) for row in workspace.rows(table)}
            nobody = naming_nobody(workspace, table)
            print(f"  {table:<20} {len(truth):>9,} rows; {len(nobody):>6,} name no person: "
                  f"{len(nobody & loaded):>6,} kept, {len(truth - loaded):>6,} left out; "
                  f"{len(loaded - truth)} not in the ground truth")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_workspace_arguments(parser)
    parser.add_argument("--budgets", default="0,1000", help="the unnamed_budget values to run with, in order")
    args = parser.parse_args()
    workspace = Workspace(workspace_spec(args))
    without_id = sum(1 for person in workspace.rows("customers") if person["id"] is None)
    print(f"{args.people:,} people ({without_id:,} without an id), {args.deliveries:,} deliveries")
    folder = Path(tempfile.mkdtemp(prefix="omniload-unnamed-"))
    with FakeCustomerIO(workspace, api_key="bench-key", rate_limit=args.rate_limit or None) as fake:
        for budget in (int(value) for value in args.budgets.split(",")):
            run(fake, workspace, budget, folder / f"budget{budget}.duckdb")


if __name__ == "__main__":
    main()
