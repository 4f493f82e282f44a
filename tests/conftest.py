"""Shared fixtures: one small fake Customer.io workspace served over real HTTP, and the real CLI."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests import launcher

API_KEY = "test-key"


@pytest.fixture(scope="session")
def workspace() -> Workspace:
    return Workspace(WorkspaceSpec())


@pytest.fixture(scope="session")
def fake(workspace: Workspace) -> Iterator[FakeCustomerIO]:
    """Unthrottled: the tests prove completeness; rate behaviour has tests and a benchmark of its own."""
    with FakeCustomerIO(workspace, api_key=API_KEY, rate_limit=None) as server:
        yield server


def source_uri(fake: FakeCustomerIO, key: str = API_KEY, **params: str) -> str:
    extra = "".join(f"&{name}={value}" for name, value in params.items())
    return f"customerio://?api_key={key}&base_url={fake.base_url}&rate_limit=1000{extra}"


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    started: float
    ended: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def omniload(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Ran:
    """The real command in a child process, as a user runs it (stdin is not a terminal, so no prompt), started
    warm (tests/launcher.py)."""
    started = time.time()
    done = launcher.run(args, env={**os.environ, **(env or {}), "COLUMNS": "200"}, cwd=cwd, timeout=600)
    return Ran(done.returncode, done.stdout, done.stderr, started, time.time())


def ingest(fake: FakeCustomerIO, table: str, db: Path, dest_table: str, *extra: str, **params: str) -> Ran:
    return omniload(
        "ingest",
        "--source-uri", source_uri(fake, **params),
        "--source-table", table,
        "--dest-uri", f"duckdb:///{db}",
        "--dest-table", dest_table,
        *extra,
    )


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.sql(sql).fetchall()
