from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace

NOW = 1767225600  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return Workspace(now=NOW)


@pytest.fixture()
def fake(ws: Workspace) -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(ws, api_key="test-key", rate_limit=None) as f:
        f.set_now(NOW)
        yield f


@pytest.fixture()
def client(fake: FakeCustomerIO) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.base_url, headers={"Authorization": "Bearer test-key"}, timeout=5) as c:
        yield c
