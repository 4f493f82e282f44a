"""The fake's fast paths (page JSON, batched hashing, prefetch) against their plain definitions."""

from __future__ import annotations

import base64
import random
from typing import Any

import httpx
import orjson
import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from omniload.testing.customerio.hashing import delivery_id, mix, mix_more, mix_more_many, ulid

from .conftest import NOW

_MASK64 = (1 << 64) - 1


def _ulid_reference(ts: int, *salt: int) -> str:
    value = ((ts * 1000) << 80) | (mix(ts, *salt) & ((1 << 80) - 1))
    out = []
    for _ in range(26):
        out.append("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[value & 31])
        value >>= 5
    return "".join(reversed(out))


def test_hashing_matches_definitions() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        ts, i, seed = rng.randrange(2**41), rng.randrange(2**40), rng.randrange(10**6)
        assert ulid(ts, i) == _ulid_reference(ts, i)
        assert delivery_id(i, seed) == base64.b64encode(f"dlv:{seed}:{i}".encode()).decode()
        assert mix_more(mix(seed, i), 9) == mix(seed, i, 9)
    for n in (1, 3, 1000, 1024):
        states = [rng.randrange(2**64) for _ in range(n)]
        values = [rng.randrange(-(2**65), 2**65) for _ in range(n)]
        assert mix_more_many(states, 5) == [mix_more(s, 5) for s in states]
        expected = [mix_more(s, v) for s, v in zip(states, values, strict=True)]
        assert mix_more_many(states, values=values) == expected
    assert mix_more_many([]) == []


def _workspaces() -> list[Workspace]:
    changed = Workspace(WorkspaceSpec(), now=NOW)
    changed.update_records(advance=-200 * 86400, deliveries={2999: {"subject": "x%d"}, 5: {"metrics": {}}})
    return [
        Workspace(WorkspaceSpec(), now=NOW),
        Workspace(WorkspaceSpec(seed=11, id_only=True, null_identifiers_every=7), now=NOW),
        Workspace(WorkspaceSpec(people=3, deliveries=500, null_identifiers_every=0), now=NOW),
        changed,
    ]


@pytest.mark.parametrize("ws", _workspaces())
def test_page_json_is_orjson_of_records(ws: Workspace) -> None:
    f = ws.deliveries
    n = ws.timeline.count
    newest, oldest = range(n - 1, max(-1, n - 1001), -1), range(min(n, 1000) - 1, -1, -1)
    for idx in (newest, oldest, [7, 3, 299, 5, n - 1, 0], []):
        recs = f.records(idx)
        assert f.page_json(idx) == orjson.dumps(recs)
        assert recs == [f.record(i) for i in idx]
    # the identifiers objects are not shared between records
    a, b = f.records([n - 1, n - 1 - ws.people.count])
    if a["customer_identifiers"] is not None:
        assert a["customer_identifiers"] is not b["customer_identifiers"]


def _walk(client: httpx.Client, path: str, params: dict[str, Any]) -> list[bytes]:
    bodies = []
    while True:
        r = client.get(path, params=params)
        assert r.status_code == 200
        bodies.append(r.content)
        nxt = r.json().get("next")
        if not nxt:
            return bodies
        params = {**params, "start": nxt}


def test_prefetched_pages_are_identical() -> None:
    ws = Workspace(WorkspaceSpec(people=500, deliveries=20000), now=NOW)
    cid = ws.catalog.campaigns[0]["id"]
    walks: list[tuple[str, dict[str, Any]]] = [
        ("/v1/messages", {"limit": 700, "start_ts": NOW - 400 * 86400, "end_ts": NOW}),
        (f"/v1/campaigns/{cid}/messages", {"limit": 300}),
        (f"/v1/customers/{ws.people.cio_id(3)}/messages", {"limit": 7, "id_type": "cio_id"}),
    ]
    seen = []
    for prefetch in (False, True):
        with FakeCustomerIO(ws, api_key="k", rate_limit=None, prefetch=prefetch) as fake:
            fake.set_now(NOW)
            with httpx.Client(base_url=fake.base_url, headers={"Authorization": "Bearer k"}) as c:
                seen.append([_walk(c, path, params) for path, params in walks])
            if prefetch:
                assert fake.pages is not None and fake.pages.hits > 10
    assert seen[0] == seen[1]
    assert sum(len(w) for w in seen[0]) > 20
