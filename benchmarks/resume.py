"""Kill-and-resume benchmark (issue 10, point 5): a long run killed at about 80% of its requests, started again
with the same command, against a clean uninterrupted run of the same tables.

    python benchmarks/resume.py                                     # default workspace, every table, 10 req/s
    python benchmarks/resume.py --people 100000 --deliveries 1000000 --rate-limit 0 --kill-at 0.8

It starts the bundled fake API in this process, then runs the real `omniload ingest` as child processes into
DuckDB files: a clean run (its requests are the whole work), a run SIGKILLed once the fake has served
`--kill-at` of that many requests, and the same command again. It prints each run's requests, time and peak
RSS, the second run's requests against the work that was left (the issue's goal: at most the remaining work plus
5%), and whether every table equals the clean run's (rows compared with DuckDB's EXCEPT ALL, without dlt's own
columns and omniload's load time). Checkpoints fall at table boundaries and, in a read per person, at chunks of
people (README "Checkpoints and resume"); a kill elsewhere reads that table again from its start, which the
overhead figure shows.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

import duckdb
from support import KEY, add_workspace_arguments, launch, source_uri, workspace_spec

from omniload.shaping.transform import LOADED_AT
from omniload.sources.customerio.catalog import TABLES
from omniload.testing.customerio import FakeCustomerIO, Workspace

SCHEMA = "bench"

def command(fake: FakeCustomerIO, tables: str, db: Path, rate: float) -> list[str]:
    return [sys.executable, "-m", "omniload", "ingest", "--source-uri", source_uri(fake, rate), "--source-table",
            tables, "--dest-uri", f"duckdb:///{db}", "--dest-table", SCHEMA, "--yes", "--progress", "log"]


def run(fake: FakeCustomerIO, argv: list[str], kill_after: int | None = None) -> tuple[int, int, float, float]:
    """One child; SIGKILLed once the fake has served `kill_after` requests since it started. Returns its exit
    code, the requests it made, its seconds and its peak RSS in MB."""
    before = len(fake.log)
    launched = launch(argv, None if kill_after is None else lambda: len(fake.log) - before >= kill_after)
    code = launched.code
    if code not in (0, -signal.SIGKILL) or (code and kill_after is None):
        raise SystemExit(f"the run failed (exit {code}):\n{launched.stderr[-3000:]}")
    return code, len(fake.log) - before, launched.seconds, launched.peak_rss_mb


def differences(clean: Path, resumed: Path, tables: list[str]) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows in the clean run, rows only in the clean run, rows only in the resumed run)."""
    out = {}
    with duckdb.connect() as connection:
        connection.sql(f"attach '{clean}' as a (read_only)")
        connection.sql(f"attach '{resumed}' as b (read_only)")
        for table in tables:
            columns = [
                row[0] for row in connection.sql(
                    "select column_name from duckdb_columns() where database_name = 'a' "
                    f"and schema_name = '{SCHEMA}' and table_name = '{table}' order by column_index"
                ).fetchall() if not row[0].startswith(("_dlt_", LOADED_AT))
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            a, b = f'a."{SCHEMA}"."{table}"', f'b."{SCHEMA}"."{table}"'

            def count(query: str) -> int:
                return int(connection.sql(query).fetchall()[0][0])

            out[table] = (
                count(f"select count(*) from {a}"),
                count(f"select count(*) from (select {listed} from {a} except all select {listed} from {b})"),
                count(f"select count(*) from (select {listed} from {b} except all select {listed} from {a})"),
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_workspace_arguments(parser)
    parser.add_argument("--tables", default="all", help="--source-table of the runs")
    parser.add_argument("--period", default="days", help="the metrics tables' period when --tables is all")
    parser.add_argument("--kill-at", type=float, default=0.8, help="share of the clean run's requests")
    parser.add_argument("--checkpoint-seconds", type=float, default=None,
                        help="OMNILOAD_CHECKPOINT_SECONDS for the runs (default: omniload's)")
    args = parser.parse_args()
    if args.checkpoint_seconds is not None:
        os.environ["OMNILOAD_CHECKPOINT_SECONDS"] = f"{args.checkpoint_seconds:g}"

    ws = Workspace(workspace_spec(args))
    selection = args.tables if args.tables != "all" else ",".join(
        f"{t.name}:{args.period}" if t.periods else t.name for t in TABLES if t.in_all
    )
    names = [n.replace(":", "_") if "," in selection else n.split(":")[0] for n in selection.split(",")]
    print(f"workspace: {args.people:,} people, {args.deliveries:,} deliveries; fake limit "
          f"{args.rate_limit or 'none'} req/s; {len(names)} tables; kill at {args.kill_at:.0%} of the requests")
    with FakeCustomerIO(ws, api_key=KEY, rate_limit=args.rate_limit or None) as fake, \
            tempfile.TemporaryDirectory() as folder:
        clean, resumed = Path(folder) / "clean.duckdb", Path(folder) / "resumed.duckdb"
        _, whole, clean_seconds, clean_rss = run(fake, command(fake, selection, clean, args.rate_limit))
        print(f"clean run:   {whole:>9,} requests {clean_seconds:>8.1f} s  peak {clean_rss:.0f} MB")
        code, before_kill, killed_seconds, killed_rss = run(
            fake, command(fake, selection, resumed, args.rate_limit), kill_after=int(whole * args.kill_at)
        )
        state = "killed" if code else "ended before the kill"
        print(f"killed run:  {before_kill:>9,} requests {killed_seconds:>8.1f} s  peak {killed_rss:.0f} MB "
              f"({state})")
        _, again, again_seconds, again_rss = run(fake, command(fake, selection, resumed, args.rate_limit))
        left = max(0, whole - before_kill)
        print(f"resumed run: {again:>9,} requests {again_seconds:>8.1f} s  peak {again_rss:.0f} MB")
        print(f"work left at the kill: {left:,} requests; the resumed run made {again:,} "
              f"({again / max(1, left):.2f} x; goal at most 1.05 x); both runs together "
              f"{(before_kill + again) / max(1, whole):.2f} x the clean run's requests")
        diffs = differences(clean, resumed, names)
        unequal = {t: d for t, d in diffs.items() if d[1] or d[2]}
        print(f"tables equal to the clean run's: {len(diffs) - len(unequal)} of {len(diffs)} "
              f"({sum(d[0] for d in diffs.values()):,} rows)")
        for table, (rows, missing, extra) in unequal.items():
            print(f"  {table}: {rows:,} rows clean, {missing:,} missing, {extra:,} extra")


if __name__ == "__main__":
    main()
