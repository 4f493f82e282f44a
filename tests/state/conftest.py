"""A small fake workspace per test (these tests change its records between runs), and each destination the
state tests run against: a DuckDB file and a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace
from tests.conftest import API_KEY
from tests.state.support import SPEC, Dest, dest_for


@pytest.fixture
def fake() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(SPEC), api_key=API_KEY, rate_limit=None) as server:
        yield server


@pytest.fixture(params=["duckdb", "postgres"])
def dest(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Dest]:
    yield from dest_for(request.param, tmp_path)
