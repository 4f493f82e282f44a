"""Serve a fake workspace until Ctrl-C/SIGTERM: ``python -m omniload.testing.customerio``.

The first stdout line is ``base_url=... api_key=... day=... now=...`` so scripts (demo, benchmarks) can read it;
``now`` is the fake's time at start (Unix seconds), what a run against it passes as ``OMNILOAD_NOW``.
``--day N`` serves the workspace as it is after N days of changes (``days``, docs/contract/customerio/
fake-server.md "Days"): with ``--now T`` day 0 is at T and day N at T + N days; without it, day N is today.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType

from .clock import DAY
from .server import FakeCustomerIO
from .spec import WorkspaceSpec
from .workspace import Workspace


def main(argv: list[str] | None = None) -> int:
    defaults = WorkspaceSpec()
    ap = argparse.ArgumentParser(prog="python -m omniload.testing.customerio")
    ap.add_argument("--people", type=int, default=defaults.people)
    ap.add_argument("--deliveries", type=int, default=defaults.deliveries)
    ap.add_argument("--activities", type=int, default=defaults.activities)
    ap.add_argument("--campaigns", type=int, default=defaults.campaigns)
    ap.add_argument("--broadcasts", type=int, default=defaults.broadcasts)
    ap.add_argument("--newsletters", type=int, default=defaults.newsletters)
    ap.add_argument("--history-days", type=int, default=defaults.history_days)
    ap.add_argument("--seed", type=int, default=defaults.seed)
    ap.add_argument("--now", type=int, default=None, help="day 0's Unix time (default: N days before now)")
    ap.add_argument("--day", type=int, default=0, help="serve the workspace as it is on day N (default 0)")
    ap.add_argument("--unlogged", type=float, default=0.0, help="share of attribute changes left out of the log")
    ap.add_argument("--rate-limit", type=float, default=10.0, help="requests/s per workspace; 0 = unlimited")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--api-key", default="test-key")
    ap.add_argument("--no-prefetch", action="store_true", help="build every delivery page on its own request")
    args = ap.parse_args(argv)
    if args.day < 0 or not 0.0 <= args.unlogged <= 1.0:
        ap.error("--day must not be negative and --unlogged must lie between 0 and 1")
    spec = WorkspaceSpec(
        seed=args.seed,
        people=args.people,
        deliveries=args.deliveries,
        activities=args.activities,
        campaigns=args.campaigns,
        broadcasts=args.broadcasts,
        newsletters=args.newsletters,
        history_days=args.history_days,
    )
    start = args.now if args.now is not None or not args.day else int(time.time()) // 60 * 60 - args.day * DAY
    ws = Workspace(spec, now=start)
    ws.advance_days(args.day, unlogged=args.unlogged)
    fake = FakeCustomerIO(
        ws,
        api_key=args.api_key,
        rate_limit=args.rate_limit or None,
        host=args.host,
        port=args.port,
        prefetch=not args.no_prefetch,
    )
    fake.start()
    print(f"base_url={fake.base_url} api_key={args.api_key} day={ws.day} now={fake.now()}", flush=True)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
