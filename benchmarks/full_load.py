"""Full-load benchmark: requests, rows, seconds and peak memory per Customer.io table, against the bundled fake.

    python benchmarks/full_load.py                                  # default workspace, 10 req/s, every table
    python benchmarks/full_load.py --rate-limit 0 --deliveries 1000000 --people 1000 --tables messages --no-multi
    python benchmarks/full_load.py --rate-limit 4 --client-rate 10   # a key shared: the server allows less

It starts the fake API in this process at the chosen scale and rate limit, then runs the real
`omniload ingest` command as a child process: once per table (`--per-table`, the default) and once for all
tables together (`--multi`). For each run it prints the requests the fake served, the 429s among them, the rows
loaded, the wall time, the child's peak RSS, and the documented minimum number of requests for that table
(docs/contract/customerio/tables.md section 7, with the section 5 shortcuts) computed from the fake's own
ground truth.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from support import KEY, add_workspace_arguments, launch, source_uri, workspace_spec

from omniload.sources.customerio.catalog import TABLES
from omniload.sources.customerio.passes import WINDOW_SECONDS, windows
from omniload.testing.customerio import FakeCustomerIO, Workspace


@dataclass
class Measured:
    name: str
    requests: int
    throttled: int
    rows: int
    seconds: float
    peak_rss_mb: float
    minimum: int


def minimum_requests(ws: Workspace) -> dict[str, int]:
    """The request budget of docs/contract/customerio/tables.md section 7 for this workspace, one table (one
    period) per invocation."""
    cat = ws.catalog
    people = ws.people.count
    people_pages = max(1, math.ceil(people / 1000))
    campaigns, broadcasts, newsletters = cat.campaigns, cat.broadcasts, cat.newsletters
    newsletter_pages = max(1, math.ceil(len(newsletters) / 100))
    campaign_actions = [len(c.get("actions") or []) for c in campaigns]
    broadcast_actions = [len(b.get("actions") or []) for b in broadcasts]
    activities = len(ws.rows("activities"))
    activity_pages = max(1, math.ceil(activities / 100))
    created = [p["created"] for p in (*campaigns, *broadcasts, *newsletters)]
    created += [t["created_at"] for t in ws.rows("transactional_messages")]
    delivery_pages = sum(
        max(1, math.ceil(_deliveries_between(ws, start, end) / 1000))
        for start, end in windows(min(created), ws.now)
    )
    types = ws.rows("object_types")
    objects = ws.rows("objects")
    undocumented = 100  # the fake's maximum for undocumented page sizes, which the source asks for
    per_type = [sum(1 for o in objects if o["object_type_id"] == t["id"]) for t in types]
    relationships: dict[str, int] = {}
    for row in ws.rows("customer_relationships"):
        relationships[row["customer_id"]] = relationships.get(row["customer_id"], 0) + 1
    senders = ws.rows("sender_identities")
    hidden = sum(1 for s in senders if s.get("hidden"))
    budget = {
        name: 1
        for name in ("broadcasts", "campaigns", "collections", "exports", "info_ip_addresses",
                     "object_types", "reporting_webhooks", "segments", "subscription_topics",
                     "transactional_messages", "workspaces")
    }
    budget |= {
        "newsletters": newsletter_pages,
        "sender_identities": max(1, math.ceil((len(senders) - hidden) / undocumented))
        + max(1, math.ceil(hidden / undocumented)),
        "customers": people_pages,
        "customer_attributes": people_pages + math.ceil(people / 100),
        "customer_relationships": people_pages + (
            sum(max(1, math.ceil(relationships.get(p, 0) / undocumented)) for p in _cio_ids(ws)) if types else 1
        ),
        "customer_activities": people_pages + activity_pages,
        "customer_messages": people_pages + delivery_pages,
        "activities": activity_pages,
        "messages": delivery_pages,
        "campaign_messages": 1 + delivery_pages,
        "broadcast_messages": 1 + delivery_pages,
        "campaign_actions": 1 + sum(max(1, math.ceil(a / 10)) for a in campaign_actions),
        "broadcast_actions": 1 + len(broadcasts),
        "campaign_metrics": 1 + len(campaigns),
        "broadcast_metrics": 1 + len(broadcasts),
        "newsletter_metrics": newsletter_pages + len(newsletters),
        "campaign_action_metrics": 1 + sum(campaign_actions),
        "broadcast_action_metrics": 1 + sum(broadcast_actions),
        "newsletter_test_groups": newsletter_pages + len(newsletters),
        "objects": 1 + sum(max(1, math.ceil(n / undocumented)) for n in per_type),
    }
    return budget


def _deliveries_between(ws: Workspace, start: int, end: int) -> int:
    low, high = ws.timeline.index_range(start, end)
    return high - low


def _cio_ids(ws: Workspace) -> list[str]:
    return [row["cio_id"] for row in ws.rows("customers")]


def run(fake: FakeCustomerIO, table: str, db: Path, dest: str, rate: float) -> tuple[int, int, float, float]:
    """One `omniload ingest` child at the client rate `rate` (0: unthrottled); returns requests, 429s, seconds,
    peak RSS (MB) of that child alone."""
    before = len(fake.log)
    argv = [sys.executable, "-m", "omniload", "ingest", "--source-uri", source_uri(fake, rate), "--source-table",
            table, "--dest-uri", f"duckdb:///{db}", "--dest-table", dest, "--yes"]
    launched = launch(argv)
    if launched.code:
        raise SystemExit(f"{table} failed: {launched.stderr}")
    log = fake.log[before:]
    return len(log), sum(1 for r in log if r.status == 429), launched.seconds, launched.peak_rss_mb


def count_rows(db: Path, schema: str, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as connection:
        return int(connection.sql(f'select count(*) from "{db.stem}"."{schema}"."{table}"').fetchall()[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_workspace_arguments(parser)
    parser.add_argument("--client-rate", type=float, default=None,
                        help="the client's rate_limit (default: the fake's); above it, the client has to adapt")
    parser.add_argument("--tables", default="all", help="comma-separated table:period list, or all")
    parser.add_argument("--period", default="days", help="period for metrics tables in per-table runs")
    parser.add_argument("--per-table", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--multi", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()

    spec = workspace_spec(args)
    started = time.monotonic()
    rate = args.rate_limit
    client_rate = rate if args.client_rate is None else args.client_rate
    ws = Workspace(spec)
    budget = minimum_requests(ws)
    print(f"workspace: {args.people:,} people, {args.deliveries:,} deliveries, {args.activities:,} activities "
          f"({time.monotonic() - started:.1f}s to build the ground truth); fake limit: "
          f"{rate or 'none'} req/s, client: {client_rate or 'none'} req/s; "
          f"windows of {WINDOW_SECONDS // 86400} days")
    names = [t.name for t in TABLES if t.in_all] if args.tables == "all" else [
        n.split(":")[0] for n in args.tables.split(",")
    ]
    periods = {n.split(":")[0]: n.split(":")[1] for n in args.tables.split(",") if ":" in n}
    with FakeCustomerIO(ws, api_key=KEY, rate_limit=rate or None) as fake, \
            tempfile.TemporaryDirectory() as folder:
        if args.per_table:
            results = []
            for name in names:
                table = next(t for t in TABLES if t.name == name)
                spec_name = f"{name}:{periods.get(name, args.period)}" if table.periods else name
                db = Path(folder) / f"{name}.duckdb"
                requests, throttled, seconds, rss = run(fake, spec_name, db, f"bench.{name}", client_rate)
                results.append(Measured(spec_name, requests, throttled, count_rows(db, "bench", name), seconds,
                                        rss, budget[name]))
            report("one process per table", results, rate)
        if args.multi:
            selection = args.tables if args.tables != "all" else ",".join(
                f"{t.name}:{args.period}" if t.periods else t.name for t in TABLES if t.in_all
            )
            db = Path(folder) / "multi.duckdb"
            requests, throttled, seconds, rss = run(fake, selection, db, "bench", client_rate)
            rows = sum(
                count_rows(db, "bench", f"{n}_{periods.get(n, args.period)}" if t.periods else n)
                for n in names for t in TABLES if t.name == n
            )
            shared = budget_shared(budget, names)
            multi = Measured("all tables", requests, throttled, rows, seconds, rss, shared)
            report("one multi-table run", [multi], rate)


def budget_shared(budget: dict[str, int], names: list[str]) -> int:
    """The same budget when one process shares the people listing and the delivery and activity passes."""
    total = sum(budget[n] for n in names)
    people_pages = budget["customers"]
    people_users = [n for n in names if n in ("customers", "customer_attributes", "customer_relationships",
                                              "customer_activities", "customer_messages")]
    total -= people_pages * max(0, len(people_users) - 1)
    delivery = [n for n in names if n.endswith("messages") and n != "transactional_messages"]
    if delivery:
        total -= budget["messages"] * (len(delivery) - 1)
    if "activities" in names and "customer_activities" in names:
        total -= budget["activities"]
    return total


def report(title: str, results: list[Measured], rate: float) -> None:
    print(f"\n{title}")
    print(f"{'table':<34}{'requests':>9}{'minimum':>9}{'ratio':>7}{'429s':>6}{'rows':>11}{'seconds':>9}"
          f"{'rows/s':>10}{'peak MB':>9}")
    for m in results:
        print(f"{m.name:<34}{m.requests:>9,}{m.minimum:>9,}{m.requests / max(1, m.minimum):>7.2f}{m.throttled:>6}"
              f"{m.rows:>11,}{m.seconds:>9.1f}{m.rows / max(m.seconds, 1e-9):>10,.0f}{m.peak_rss_mb:>9.0f}")
    requests = sum(m.requests for m in results)
    minimum = sum(m.minimum for m in results)
    seconds = sum(m.seconds for m in results)
    print(f"{'total':<34}{requests:>9,}{minimum:>9,}{requests / max(1, minimum):>7.2f}"
          f"{sum(m.throttled for m in results):>6}{sum(m.rows for m in results):>11,}{seconds:>9.1f}"
          f"{'':>10}{max(m.peak_rss_mb for m in results):>9.0f}")
    if rate:
        print(f"wall-time target 1.15 x requests/{rate:g} + 5 s per run: "
              f"{sum(1.15 * m.requests / rate + 5 for m in results):.0f} s; measured {seconds:.0f} s; "
              f"429s {100 * sum(m.throttled for m in results) / max(1, requests):.2f}% of requests")


if __name__ == "__main__":
    main()
