"""The endpoints behind the tables beyond the 31 (issue 11, part 2), served by the fake as the OpenAPI document
describes them (docs/contract/customerio/extra-tables.md), over real HTTP."""

from __future__ import annotations

import httpx

from omniload.testing.customerio import Workspace


def test_snippets_are_one_unpaged_list(client: httpx.Client, ws: Workspace) -> None:
    body = client.get("/v1/snippets", params={"limit": 1}).json()
    assert body == {"snippets": ws.rows("snippets")}  # no `next`, and `limit` is not a parameter here
    assert {s["name"] for s in body["snippets"]} >= {"address"}  # the OpenAPI example's snippet
    assert all(isinstance(s["updated_at"], int) and isinstance(s["value"], str) for s in body["snippets"])
