"""What the benchmarks share: the fake workspace's arguments, the client's URI, and a launcher that reports a
child's own peak memory and can kill it (README "Benchmarks").

Linux counts a child's peak RSS from its parent's memory at the moment it is spawned, so a child of a benchmark
(which holds the fake's whole workspace) would report at least that; spawned from a small launcher, it reports
its own.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO, WorkspaceSpec

KEY = "bench-key"

#: Starts one command, SIGKILLs it when told to (a line on stdin), and prints its exit code and peak RSS (KB).
_LAUNCHER = """
import os, signal, sys, threading
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
def kill():
    if sys.stdin.readline().strip() == "kill":
        os.kill(pid, signal.SIGKILL)
threading.Thread(target=kill, daemon=True).start()
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, flush=True)
"""


@dataclass
class Launched:
    code: int
    seconds: float
    peak_rss_mb: float
    stderr: str


def add_workspace_arguments(parser: argparse.ArgumentParser) -> None:
    """The fake workspace's scale and the rate its server allows."""
    parser.add_argument("--people", type=int, default=WorkspaceSpec.people)
    parser.add_argument("--deliveries", type=int, default=WorkspaceSpec.deliveries)
    parser.add_argument("--activities", type=int, default=WorkspaceSpec.activities)
    parser.add_argument("--history-days", type=int, default=WorkspaceSpec.history_days)
    parser.add_argument("--rate-limit", type=float, default=10.0, help="requests/s the fake allows (0: no limit)")


def workspace_spec(args: argparse.Namespace) -> WorkspaceSpec:
    return WorkspaceSpec(people=args.people, deliveries=args.deliveries, activities=args.activities,
                         history_days=args.history_days)


def source_uri(fake: FakeCustomerIO, rate: float) -> str:
    """The fake's URI for omniload at the client rate `rate` (0: unthrottled)."""
    return f"customerio://?api_key={KEY}&base_url={fake.base_url}&rate_limit={rate if rate else 100000:g}"


def launch(argv: list[str], kill_when: Callable[[], bool] | None = None) -> Launched:
    """Runs `argv` to its end, or SIGKILLs it once `kill_when()` holds (asked every 50 ms)."""
    started = time.monotonic()
    launcher = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, *argv], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert launcher.stdin is not None
    if kill_when is not None:
        while launcher.poll() is None and not kill_when():
            time.sleep(0.05)
        with contextlib.suppress(BrokenPipeError):  # it ended first
            launcher.stdin.write("kill\n")
            launcher.stdin.flush()
    out, err = launcher.communicate()
    code, peak_kb = (int(word) for word in out.split())
    return Launched(code, time.monotonic() - started, peak_kb / 1024, err)


def run_ingest(uri: str, tables: Iterable[str], db: Path, label: str) -> Launched:
    """The real `omniload ingest` of `tables` into the schema `cio` of a DuckDB file, launched as a child that logs
    its progress; a failed run ends the benchmark with the end of its stderr."""
    argv = [
        sys.executable, "-m", "omniload", "ingest", "--source-uri", uri, "--source-table", ",".join(tables),
        "--dest-uri", f"duckdb:///{db}", "--dest-table", "cio", "--progress", "log", "--yes",
    ]  # fmt: skip
    launched = launch(argv)
    if launched.code != 0:
        raise SystemExit(f"{label}: exit {launched.code}\n{launched.stderr[-3000:]}")
    return launched
