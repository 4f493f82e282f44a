"""`omniload demo`: the whole product with no Customer.io account.

It starts the bundled fake Customer.io API on loopback, runs the real `omniload ingest` command for every table
into a DuckDB file, and stops the fake. The ingest runs as a child process so what it prints is exactly what a
user's own run prints.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec

DEMO_KEY = "demo-key"


def run_demo(database: Path, rate_limit: float, tables: str) -> int:
    workspace = Workspace(WorkspaceSpec())
    with FakeCustomerIO(workspace, api_key=DEMO_KEY, rate_limit=rate_limit) as fake:
        argv = [
            "omniload", "ingest",
            "--source-uri", f"customerio://?api_key={DEMO_KEY}&base_url={fake.base_url}&rate_limit={rate_limit:g}",
            "--source-table", tables,
            "--dest-uri", f"duckdb:///{database}",
            "--dest-table", "customerio",
            "--yes",
        ]
        print(f"Fake Customer.io API at {fake.base_url} ({rate_limit:g} requests/s). Running:", flush=True)
        print("  " + shlex.join(argv).replace(f"api_key={DEMO_KEY}", "api_key=***"), flush=True)
        return subprocess.call([sys.executable, "-m", "omniload", *argv[1:]])
