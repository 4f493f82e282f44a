"""Behaviour of the Customer.io fake against its checklist (docs/contract/customerio/fake-server.md), over real
HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from omniload.testing.customerio import MONTH_SECONDS, FakeCustomerIO, Workspace, WorkspaceSpec
from omniload.testing.customerio.clock import V1_MAX_STEPS, period_floor, periods_between
from omniload.testing.customerio.metrics import SERIES_NAMES

from .conftest import NOW

MATCH_ALL = {"filter": {"and": [{"attribute": {"field": "cio_id", "operator": "exists"}}]}}


def walk(
    client: httpx.Client, method: str, path: str, key: str, params: dict[str, Any] | None = None, json: Any = None
) -> tuple[list[Any], int]:
    """Follow start/next to the end; returns the records and the number of requests."""
    params = dict(params or {})
    out: list[Any] = []
    pages = 0
    while True:
        r = client.request(method, path, params=params, json=json)
        assert r.status_code == 200, r.text
        pages += 1
        body = r.json()
        out.extend(body.get(key) or [])
        nxt = body.get("next")
        if not nxt:
            return out, pages
        assert nxt != params.get("start")
        params["start"] = nxt


# -- auth and routing -------------------------------------------------------------------------------------------
def test_auth(fake: FakeCustomerIO) -> None:
    base = fake.base_url
    r = httpx.get(base + "/v1/campaigns")
    assert r.status_code == 401 and r.json() == {
        "errors": [{"detail": r.json()["errors"][0]["detail"], "status": "401"}]
    }
    assert httpx.get(base + "/v1/campaigns", headers={"Authorization": "Bearer nope"}).status_code == 401
    fake.add_key("eu-key", other_region=True)
    assert httpx.get(base + "/v1/campaigns", headers={"Authorization": "Bearer eu-key"}).status_code == 401
    fake.add_key("narrow", forbidden_paths=("/v1/customers",))
    h = {"Authorization": "Bearer narrow"}
    r = httpx.post(base + "/v1/customers", json=MATCH_ALL, headers=h)
    assert r.status_code == 403 and r.json()["errors"][0]["status"] == "403"
    assert httpx.get(base + "/v1/campaigns", headers=h).status_code == 200
    r = httpx.get(base + "/v1/info/ip_addresses")
    assert r.status_code == 200 and r.json()["ip_addresses"]
    assert fake.log[-1].key is None and fake.count("/v1/info") == 1
    assert fake.counters()["POST /v1/customers"] == 1 and fake.log[-1].route == "GET /v1/info/ip_addresses"


def test_unknown_path_and_method(client: httpx.Client) -> None:
    for r in (
        client.get("/v1/nope"),
        client.delete("/v1/campaigns"),
        client.post("/v1/campaigns"),
        client.get("/v2/campaigns"),
    ):
        assert r.status_code == 404
        assert r.json()["errors"][0]["status"] == "404"


def test_bad_input_400(client: httpx.Client) -> None:
    assert client.get("/v1/campaigns/abc/actions").status_code == 400
    assert client.get("/v1/broadcasts/x1/metrics").status_code == 400
    assert client.get("/v1/campaigns/7/metrics").status_code == 400  # no version
    assert client.post("/v1/customers", json={}).status_code == 400
    assert client.post("/v1/customers", json={"filter": {"bogus": 1}}).status_code == 400
    assert client.post("/v1/objects", json={"filter": {}}).status_code == 400
    assert client.post("/v1/objects", json={"object_type_id": "1"}).status_code == 400
    assert client.post("/v1/customers/attributes", json={"ids": []}).status_code == 400
    assert client.post("/v1/customers/attributes", json={"ids": [str(i) for i in range(101)]}).status_code == 400
    assert client.get("/v1/customers/3000001/attributes", params={"id_type": "phonebook"}).status_code == 400
    assert client.get("/v1/messages", params={"start_ts": "yesterday"}).status_code == 400


# -- records keys and shapes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path,key",
    [
        ("/v1/transactional", "messages"),
        ("/v1/info/ip_addresses", "ip_addresses"),
        ("/v1/object_types", "types"),
        ("/v1/subscription_topics", "topics"),
        ("/v1/customers/3000005/relationships?id_type=cio_id", "cio_relationships"),
        ("/v1/campaigns", "campaigns"),
        ("/v1/broadcasts", "broadcasts"),
        ("/v1/segments", "segments"),
        ("/v1/collections", "collections"),
        ("/v1/exports", "exports"),
        ("/v1/reporting_webhooks", "reporting_webhooks"),
        ("/v1/workspaces", "workspaces"),
        ("/v1/newsletters", "newsletters"),
        ("/v1/activities", "activities"),
        ("/v1/messages", "messages"),
        ("/v1/sender_identities", "sender_identities"),
        ("/v1/broadcasts/12/actions", "actions"),
        ("/v1/campaigns/7/actions", "actions"),
        ("/v1/customers/3000001/attributes?id_type=cio_id", "customer"),
    ],
)
def test_records_keys(client: httpx.Client, path: str, key: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.json()[key]


def test_shapes(client: httpx.Client, ws: Workspace) -> None:
    camp = client.get("/v1/campaigns").json()["campaigns"]
    assert all(isinstance(a["id"], int) for c in camp for a in c["actions"])
    assert any(c["type"] == "seg_attr" for c in camp) and any(c["first_started"] == 0 for c in camp)
    acts = client.get("/v1/campaigns/7/actions").json()["actions"]
    assert all(isinstance(a["id"], str) and a["id"].isdigit() for a in acts)
    assert all(isinstance(t["id"], str) for t in client.get("/v1/object_types").json()["types"])
    rel = client.get("/v1/customers/3000002/relationships", params={"id_type": "cio_id"}).json()
    assert isinstance(rel["cio_relationships"][0]["object_type_id"], int)
    assert any(s["tags"] is None for s in client.get("/v1/segments").json()["segments"])
    assert any(n["sent_at"] is None for n in client.get("/v1/newsletters").json()["newsletters"])
    cust = client.get("/v1/customers/3000001/attributes", params={"id_type": "cio_id"}).json()["customer"]
    assert all(isinstance(v, str) for v in cust["attributes"].values())
    assert all(isinstance(v, int) for v in cust["timestamps"].values())
    assert cust["timestamps"]["_cio_subscription_preferences_computed"] == 0
    msgs = client.get("/v1/messages", params={"limit": 1000, "start_ts": 0, "end_ts": NOW}).json()["messages"]
    parents = ("campaign_id", "broadcast_id", "newsletter_id", "transactional_message_id")
    for m in msgs:
        assert sum(m[p] is not None for p in parents) == 1
        assert m["deduplicate_id"].startswith(m["id"] + ":")
    assert any(m["customer_identifiers"] is None for m in msgs)
    assert all(
        m["customer_identifiers"] is None or m["customer_id"] == m["customer_identifiers"]["id"] for m in msgs
    )


# -- paging -----------------------------------------------------------------------------------------------------
def test_cursor_paging_and_bad_tokens(client: httpx.Client, ws: Workspace) -> None:
    people, pages = walk(client, "POST", "/v1/customers", "identifiers", {"limit": 1000}, MATCH_ALL)
    assert pages == 2 and len(people) == ws.spec.people
    assert {(p["cio_id"],) for p in people} == ws.expected_keys("customers")
    assert [{"cio_id": p["cio_id"], "id": p["id"], "email": p["email"]} for p in people] == ws.rows("customers")
    first = client.post("/v1/customers", params={"limit": 10}, json=MATCH_ALL).json()
    token = first["next"]
    assert any(c in token for c in "+/=")
    assert first["ids"][:2] == [first["identifiers"][0]["id"], first["identifiers"][1]["id"]]
    for bad in ("MDox", token[:-4] + "AAA=", token.swapcase(), "!!"):
        r = client.post("/v1/customers", params={"start": bad}, json=MATCH_ALL)
        assert r.status_code == 400, bad
    # a token of one listing is not valid for another
    assert client.get("/v1/campaigns/7/actions", params={"start": token}).status_code == 400


def test_page_sizes_and_clamp(client: httpx.Client, fake: FakeCustomerIO) -> None:
    assert len(client.get("/v1/messages").json()["messages"]) == 50
    assert (
        len(client.get("/v1/messages", params={"limit": 5000, "start_ts": 0, "end_ts": NOW}).json()["messages"])
        == 1000
    )
    assert len(client.get("/v1/activities").json()["activities"]) == 10
    assert len(client.get("/v1/activities", params={"limit": 500}).json()["activities"]) == 100
    assert len(client.post("/v1/customers", json=MATCH_ALL).json()["identifiers"]) == 50
    seg = client.get("/v1/segments/5/membership").json()
    assert len(seg["ids"]) == 600 and seg["next"] == ""  # default 1000 holds the whole segment
    assert len(client.get("/v1/segments/5/membership", params={"limit": 99999}).json()["ids"]) == 600
    fake.options.over_max_limit = "400"
    assert client.get("/v1/messages", params={"limit": 1001}).status_code == 400
    assert client.get("/v1/messages", params={"limit": 1000}).status_code == 200


def test_campaign_actions_keys(client: httpx.Client, ws: Workspace) -> None:
    keys: set[tuple[Any, ...]] = set()
    for c in client.get("/v1/campaigns").json()["campaigns"]:
        acts, pages = walk(client, "GET", f"/v1/campaigns/{c['id']}/actions", "actions", {"limit": 100})
        assert all(len(a) for a in acts)
        if c["id"] == 7:
            assert len(acts) > 10 and pages == 2
        if not c["actions"]:
            assert acts == [] and pages == 1
        keys |= {(int(a["id"]),) for a in acts}
    assert keys == ws.expected_keys("campaign_actions")


def test_activities_30_days(client: httpx.Client, ws: Workspace) -> None:
    acts, pages = walk(client, "GET", "/v1/activities", "activities", {"limit": 100})
    assert all(a["timestamp"] >= NOW - 30 * 86400 for a in acts)
    assert len(acts) > 100 and pages == -(-len(acts) // 100)
    assert ws.activities.count > len(acts)  # older activity exists but is not served
    assert [a["id"] for a in acts] == [r["id"] for r in ws.rows("activities")]
    ts = [a["timestamp"] for a in acts]
    assert ts == sorted(ts, reverse=True)
    tok = client.get("/v1/activities", params={"limit": 1}).json()["next"]
    assert tok.isdigit() and len(tok) > 15
    assert (
        client.get("/v1/activities", params={"start": tok[:-1] + str((int(tok[-1]) + 1) % 10)}).status_code == 400
    )


def test_customer_activities_match_shortcut(client: httpx.Client, ws: Workspace) -> None:
    expected = [r for r in ws.rows("customer_activities") if r["customer_id"] == "3000005"]
    got, _ = walk(
        client, "GET", "/v1/customers/3000005/activities", "activities", {"id_type": "cio_id", "limit": 100}
    )
    assert [a["id"] for a in got] == [r["id"] for r in expected]


def test_null_identifiers_rows_belong_to_their_person() -> None:
    """README fact 15: a record whose customer_identifiers is null names its person's `id` in customer_id, and
    the per-person reads return it; one whose customer_id is null too is a person's without an `id` (served to
    them, changes.md section 5) or a deleted person's (in none of them)."""
    ws = Workspace(WorkspaceSpec(people=40, deliveries=800, activities=600, activity_days=31), now=NOW)
    people = ws.people
    with FakeCustomerIO(ws, api_key="k", rate_limit=None) as fake:
        fake.set_now(NOW)
        with httpx.Client(base_url=fake.base_url, headers={"Authorization": "Bearer k"}, timeout=5) as client:
            for table, params in (
                ("messages", {"start_ts": NOW - 170 * 86400, "end_ts": NOW, "limit": 1000}),
                ("activities", {"limit": 100}),
            ):
                everyone = ws.rows(table)
                if table == "messages":
                    everyone = [r for r in everyone if r["created"] >= NOW - 170 * 86400]
                bare = [r for r in everyone if r["customer_identifiers"] is None]
                linked = [r for r in bare if r["customer_id"] is not None]
                assert 0.01 <= len(bare) / len(everyone) <= 0.05, table  # a few percent, as seen live
                assert linked and len(linked) < len(bare), table  # most are linked, a few belong to nobody
                served: dict[str, str] = {}
                for person in range(people.count):
                    cio_id = people.cio_id(person)
                    path = f"/v1/customers/{cio_id}/{table}"
                    got, _ = walk(client, "GET", path, table, {"id_type": "cio_id", **params})
                    served.update((r["id"], cio_id) for r in got)
                owners = {r["id"]: people.resolve(r["customer_id"], "id") for r in linked}
                assert None not in owners.values()
                assert {rid: people.cio_id(owner or 0) for rid, owner in owners.items()} == {
                    rid: served[rid] for rid in owners
                }, "a linked record is served to the person its customer_id names"
                unnamed = {r["id"] for r in bare if r["customer_id"] is None}  # people without an id, or nobody
                theirs = {people.resolve(served[rid], "cio_id") for rid in unnamed & served.keys()}
                assert {people.person_id(person or 0) for person in theirs} <= {None}, table
                assert unnamed - served.keys(), table
                in_truth = [r for r in ws.rows(f"customer_{table}") if r["id"] in {e["id"] for e in everyone}]
                assert {r["id"]: r["customer_id"] for r in in_truth} == served, "the truth is the per-person reads"


def test_person_1_has_a_record_that_names_person_2s_cio_id(ws: Workspace) -> None:
    """Person 1's `id` is person 2's cio_id: its null-identifiers delivery links by `id`, not by cio_id."""
    record = ws.deliveries.record(ws.timeline.trap or 0)
    assert record["customer_identifiers"] is None and record["customer_id"] == ws.people.cio_id(2)
    truth = {r["id"]: r["customer_id"] for r in ws.rows("customer_messages")}
    assert truth[record["id"]] == ws.people.cio_id(1)


# -- windows ----------------------------------------------------------------------------------------------------
def test_messages_windows(client: httpx.Client, ws: Workspace) -> None:
    rows = ws.rows("messages")
    t = rows[500]["created"]
    same = [r["id"] for r in rows if r["created"] == t]
    got = client.get("/v1/messages", params={"start_ts": t, "end_ts": t, "limit": 1000}).json()["messages"]
    assert [m["id"] for m in got] == same  # both bounds inclusive
    full, _ = walk(client, "GET", "/v1/messages", "messages", {"start_ts": 0, "end_ts": NOW, "limit": 1000})
    created = [m["created"] for m in full]
    assert created == sorted(created, reverse=True)
    assert min(created) >= NOW - 6 * MONTH_SECONDS  # span capped at 6 months ending at end_ts
    assert [m["id"] for m in full] == [r["id"] for r in rows if r["created"] >= NOW - 6 * MONTH_SECONDS]
    # no bounds / only start: the 6 months before now; only end: the 6 months before end
    for params in ({}, {"start_ts": 0}):
        got = client.get("/v1/messages", params={**params, "limit": 1000}).json()["messages"]
        assert got[0]["id"] == rows[0]["id"] and got[-1]["created"] >= NOW - 6 * MONTH_SECONDS
    end = NOW - 300 * 86400
    got, _ = walk(client, "GET", "/v1/messages", "messages", {"end_ts": end, "limit": 1000})
    assert got and all(end - 6 * MONTH_SECONDS <= m["created"] <= end for m in got)
    # deliveries older than 12 months exist, and > 1000 inside one 90-day window
    assert rows[-1]["created"] < NOW - 365 * 86400
    w_end = NOW - 40 * 86400
    w, pages = walk(
        client,
        "GET",
        "/v1/messages",
        "messages",
        {"start_ts": w_end - 90 * 86400 + 1, "end_ts": w_end, "limit": 1000},
    )
    assert len(w) > 1000 and pages == 2


def test_full_delivery_history_by_windows(client: httpx.Client, ws: Workspace) -> None:
    lower = min(c["created"] for c in ws.rows("campaigns"))
    ids: list[str] = []
    a = lower
    while a <= NOW:
        b = min(NOW, a + 90 * 86400 - 1)
        got, _ = walk(client, "GET", "/v1/messages", "messages", {"start_ts": a, "end_ts": b, "limit": 1000})
        ids += [m["id"] for m in got]
        a = b + 1
    assert len(ids) == len(set(ids))
    assert set(ids) == {k[0] for k in ws.expected_keys("messages")}


def test_parent_and_person_messages(client: httpx.Client, ws: Workspace) -> None:
    rows = ws.rows("campaign_messages")
    got, _ = walk(
        client, "GET", "/v1/campaigns/9/messages", "messages", {"start_ts": 0, "end_ts": NOW, "limit": 1000}
    )
    expect = [r for r in rows if r["campaign_id"] == 9 and r["created"] >= NOW - 12 * MONTH_SECONDS]
    assert [m["id"] for m in got] == [r["id"] for r in expect] and got
    default = client.get("/v1/campaigns/9/messages", params={"limit": 1000}).json()["messages"]
    assert default and min(m["created"] for m in default) >= NOW - 6 * MONTH_SECONDS
    # broadcast: no bounds -> only the first month after the first trigger
    bc = next(b for b in ws.rows("broadcasts") if b["id"] == 12)
    first = bc["first_started"]
    default, _ = walk(client, "GET", "/v1/broadcasts/12/messages", "messages", {})
    assert default and all(first <= m["created"] <= first + MONTH_SECONDS for m in default)
    later = [r for r in ws.rows("broadcast_messages") if r["broadcast_id"] == 12]
    assert any(r["created"] > first + MONTH_SECONDS for r in later)
    got, _ = walk(client, "GET", "/v1/broadcasts/12/messages", "messages", {"start_ts": 0, "end_ts": NOW})
    assert [m["id"] for m in got] == [r["id"] for r in later]
    # person messages
    person_rows = [r for r in ws.rows("customer_messages") if r["customer_id"] == "3000009"]
    got, _ = walk(
        client,
        "GET",
        "/v1/customers/3000009/messages",
        "messages",
        {"id_type": "cio_id", "start_ts": NOW - 170 * 86400, "end_ts": NOW, "limit": 1000},
    )
    assert [m["id"] for m in got] == [r["id"] for r in person_rows if r["created"] >= NOW - 170 * 86400]


# -- identifiers ------------------------------------------------------------------------------------------------
def test_id_type(client: httpx.Client, ws: Workspace) -> None:
    p = ws.people

    def attrs(value: str, **params: str) -> httpx.Response:
        return client.get(f"/v1/customers/{value}/attributes", params=params)

    assert attrs(p.cio_id(0), id_type="cio_id").json()["customer"]["identifiers"]["cio_id"] == p.cio_id(0)
    assert attrs(p.cio_id(0)).status_code == 404  # read as an id: nobody
    # person 1's id is person 2's cio_id: without id_type=cio_id the client gets the wrong person
    wrong = attrs(p.cio_id(2)).json()["customer"]["identifiers"]
    assert wrong["cio_id"] == p.cio_id(1)
    assert attrs("u-1000").json()["customer"]["identifiers"]["cio_id"] == p.cio_id(0)
    email = p.email(4)
    assert email and "+" in email
    assert attrs(email, id_type="email").json()["customer"]["identifiers"]["cio_id"] == p.cio_id(4)
    assert attrs("ghost@example.org", id_type="email").status_code == 404
    rows = ws.rows("customers")
    assert any(r["id"] is None for r in rows) and any(r["email"] is None for r in rows)
    assert any(r["id"] not in (None, r["cio_id"]) for r in rows) and any(r["id"] == r["cio_id"] for r in rows)
    batch = client.post(
        "/v1/customers/attributes",
        params={"id_type": "cio_id"},
        json={"ids": [p.cio_id(0), "nobody", p.cio_id(3)]},
    ).json()["customers"]
    assert [b["identifiers"]["cio_id"] for b in batch] == [p.cio_id(0), p.cio_id(3)]
    assert set(batch[0]) == {"id", "identifiers", "attributes", "timestamps", "unsubscribed", "devices"}


def test_people_filters(client: httpx.Client, ws: Workspace) -> None:
    seg, _ = walk(
        client, "POST", "/v1/customers", "identifiers", {"limit": 1000}, {"filter": {"segment": {"id": 5}}}
    )
    none = {"filter": {"and": [{"not": {"segment": {"id": s["id"]}}} for s in ws.rows("segments")]}}
    outside, _ = walk(client, "POST", "/v1/customers", "identifiers", {"limit": 1000}, none)
    assert seg and outside
    assert not {p["cio_id"] for p in seg} & {p["cio_id"] for p in outside}
    r = client.post(
        "/v1/customers",
        json={"filter": {"or": [{"attribute": {"field": "id", "operator": "eq", "value": "u-1000"}}]}},
    ).json()
    assert [i["cio_id"] for i in r["identifiers"]] == ["3000001"]
    membership, _ = walk(client, "GET", "/v1/segments/5/membership", "identifiers", {"limit": 100})
    assert {m["cio_id"] for m in membership} == {p["cio_id"] for p in seg}


def test_relationships_and_objects(client: httpx.Client, ws: Workspace, fake: FakeCustomerIO) -> None:
    rich = ws.people.cio_id(ws.people.rich_person())
    rels, pages = walk(
        client,
        "GET",
        f"/v1/customers/{rich}/relationships",
        "cio_relationships",
        {"id_type": "cio_id", "limit": 1000},
    )
    assert pages > 1 and len(rels) > 100
    fake.options.duplicate_pages = True
    dup, _ = walk(
        client,
        "GET",
        f"/v1/customers/{rich}/relationships",
        "cio_relationships",
        {"id_type": "cio_id", "limit": 50},
    )
    assert len(dup) > len(rels)
    keys = {(rich, r["object_type_id"], r["identifiers"]["object_id"]) for r in dup}
    assert keys == {k for k in ws.expected_keys("customer_relationships") if k[0] == rich}
    objs: set[tuple[Any, ...]] = set()
    for t in client.get("/v1/object_types").json()["types"]:
        f = {
            "or": [
                {"object_attribute": {"field": "name", "operator": "exists", "type_id": t["id"]}},
                {"not": {"object_attribute": {"field": "name", "operator": "exists", "type_id": t["id"]}}},
            ]
        }
        got, pages = walk(
            client,
            "POST",
            "/v1/objects",
            "identifiers",
            {"limit": 25},
            {"object_type_id": t["id"], "filter": f, "limit": 1},
        )
        assert pages > 1
        objs |= {(t["id"], o["object_id"]) for o in got}
    assert objs == ws.expected_keys("objects")


def test_senders_and_test_groups(client: httpx.Client, ws: Workspace, fake: FakeCustomerIO) -> None:
    visible = client.get("/v1/sender_identities", params={"hidden": "false"}).json()["sender_identities"]
    hidden = client.get("/v1/sender_identities", params={"hidden": "true"}).json()["sender_identities"]
    assert hidden and all(s["hidden"] for s in hidden)
    assert {(s["id"],) for s in visible + hidden} == ws.expected_keys("sender_identities")
    fake.options.sender_hidden = "include"
    assert len(client.get("/v1/sender_identities", params={"hidden": "true"}).json()["sender_identities"]) == len(
        visible
    ) + len(hidden)
    rows = []
    for n in client.get("/v1/newsletters", params={"limit": 100}).json()["newsletters"]:
        r = client.get(f"/v1/newsletters/{n['id']}/test_groups")
        if r.status_code == 404:
            continue
        rows += [{"newsletter_id": n["id"], **g} for g in r.json()["test_groups"]]
    assert rows == ws.rows("newsletter_test_groups") and len({g["newsletter_id"] for g in rows}) >= 2
    assert client.get("/v1/newsletters/130/test_groups").status_code == 404
    fake.options.test_groups_missing = "empty"
    assert client.get("/v1/newsletters/130/test_groups").json() == {"test_groups": []}


def test_lists_match_rows(client: httpx.Client, ws: Workspace) -> None:
    for path, key, table in (
        ("/v1/broadcasts", "broadcasts", "broadcasts"),
        ("/v1/exports", "exports", "exports"),
        ("/v1/workspaces", "workspaces", "workspaces"),
        ("/v1/segments", "segments", "segments"),
        ("/v1/transactional", "messages", "transactional_messages"),
    ):
        assert client.get(path).json()[key] == ws.rows(table)
    assert len(ws.rows("workspaces")) == 2
    assert {e["status"] for e in ws.rows("exports")} == {"done", "pending", "failed"}
    bact = []
    for b in ws.rows("broadcasts"):
        bact += [
            {**a, "broadcast_id": b["id"]}
            for a in client.get(f"/v1/broadcasts/{b['id']}/actions").json()["actions"]
        ]
    assert bact == ws.rows("broadcast_actions")
    assert any(len(b["actions"]) > 1 for b in ws.rows("broadcasts"))


# -- options ----------------------------------------------------------------------------------------------------
def test_quirk_options(client: httpx.Client, fake: FakeCustomerIO) -> None:
    o = fake.options
    o.next_on_last = "null"
    assert client.get("/v1/campaigns/9/actions").json()["next"] is None
    o.next_on_last = "missing"
    assert "next" not in client.get("/v1/campaigns/9/actions").json()
    o.next_on_last = "empty"
    o.null_records = True
    assert client.get("/v1/segments/8/membership").json() == {
        "segment_id": 8,
        "ids": None,
        "identifiers": None,
        "next": "",
    }
    assert client.get("/v1/messages", params={"start_ts": 5, "end_ts": 6}).json()["messages"] is None
    r = client.post(
        "/v1/customers", json={"filter": {"attribute": {"field": "id", "operator": "eq", "value": "x"}}}
    )
    assert r.json()["identifiers"] is None
    o.empty_pages = True
    bodies = []
    params: dict[str, Any] = {"start_ts": 0, "end_ts": NOW, "limit": 1000}
    while True:
        b = client.get("/v1/messages", params=params).json()
        bodies.append(b)
        if not b["next"]:
            break
        params["start"] = b["next"]
    assert any(b["messages"] is None and b["next"] for b in bodies)
    o.empty_pages = False
    plain, _ = walk(client, "GET", "/v1/messages", "messages", {"start_ts": 0, "end_ts": NOW, "limit": 1000})
    assert [m["id"] for b in bodies for m in b["messages"] or []] == [m["id"] for m in plain]
    o.cio_id_as_number = True
    idents = client.post("/v1/customers", json=MATCH_ALL, params={"limit": 20}).json()["identifiers"]
    assert any(isinstance(i["cio_id"], int) for i in idents) and any(isinstance(i["cio_id"], str) for i in idents)
    o.wrap_attribute_items = True
    item = client.post("/v1/customers/attributes", params={"id_type": "cio_id"}, json={"ids": ["3000001"]}).json()
    assert set(item["customers"][0]) == {"customer"}
    o.paged_broadcast_actions = True
    o.broadcast_action_ids_as_strings = True
    o.undocumented_page_size = 2
    acts, pages = walk(client, "GET", "/v1/broadcasts/12/actions", "actions")
    assert pages == 2 and all(isinstance(a["id"], str) for a in acts)
    o.metric_totals = True
    assert "totals" in client.get("/v1/broadcasts/12/metrics").json()["metric"]


# -- rate limit and faults --------------------------------------------------------------------------------------
def test_rate_limit_429(ws: Workspace) -> None:
    with (
        FakeCustomerIO(ws, rate_limit=3.0) as f,
        httpx.Client(base_url=f.base_url, headers={"Authorization": "Bearer test-key"}) as c,
    ):
        rs = [c.get("/v1/segments") for _ in range(6)]
        limited = [r for r in rs if r.status_code == 429]
        assert limited and limited[0].headers["Retry-After"] == "1"
        assert limited[0].json()["errors"][0]["status"] == "429"
        f.retry_after = None
        r = next(r for r in (c.get("/v1/segments") for _ in range(6)) if r.status_code == 429)
        assert "Retry-After" not in r.headers
        # another workspace has its own budget, a second key of the same workspace shares it
        f.add_key("other", workspace=Workspace(WorkspaceSpec(people=10, deliveries=10), now=NOW))
        assert c.get("/v1/segments", headers={"Authorization": "Bearer other"}).status_code == 200
        time.sleep(0.4)
        f.rate_limit = None
        assert all(c.get("/v1/segments").status_code == 200 for _ in range(20))


def test_fault_injection(client: httpx.Client, fake: FakeCustomerIO, capfd: pytest.CaptureFixture[str]) -> None:
    fake.inject("/v1/segments", status=503, times=2, after=1)
    assert [client.get("/v1/segments").status_code for _ in range(4)] == [200, 503, 503, 200]
    fake.inject("/v1/exports", status=500, body="empty")
    r = client.get("/v1/exports")
    assert r.status_code == 500 and r.content == b""
    fake.inject("/v1/exports", status=502, body="text")
    r = client.get("/v1/exports")
    assert r.status_code == 502 and r.text.startswith("<html>")
    fake.inject("/v1/exports", status=429, times=3)
    assert [client.get("/v1/exports").status_code for _ in range(4)] == [429, 429, 429, 200]
    fake.inject("/v1/collections", drop_connection=True)
    with pytest.raises(httpx.TransportError):
        client.get("/v1/collections")
    assert client.get("/v1/collections").status_code == 200
    # a client that gives up before a slow reply: the fake notices, counts it and prints nothing (issue 15, 5)
    gone = fake.clients_gone
    fake.inject("/v1/collections", status=None, delay=0.5)
    with pytest.raises(httpx.TimeoutException):
        client.get("/v1/collections", timeout=0.1)
    assert fake.wait_clients_gone(gone + 1)
    assert fake.clients_gone == gone + 1
    assert client.get("/v1/collections").status_code == 200
    assert "Traceback" not in capfd.readouterr().err


def test_fail_after_and_delete_after(client: httpx.Client, fake: FakeCustomerIO, ws: Workspace) -> None:
    assert client.get("/v1/campaigns/9/actions").status_code == 200
    fake.delete_after(fake.count() + 1, kind="campaign", id=9)
    assert client.get("/v1/campaigns").status_code == 200  # the list still named it
    assert client.get("/v1/campaigns/9/actions").status_code == 404
    assert client.get("/v1/campaigns/9/metrics", params={"version": 2}).status_code == 404
    assert 9 not in [c["id"] for c in client.get("/v1/campaigns").json()["campaigns"]]
    fake.delete_after(0, kind="person", id="3000005")
    assert client.get("/v1/customers/3000005/messages", params={"id_type": "cio_id"}).status_code == 404
    n = fake.count()
    fake.fail_after(n + 2, status=503)
    codes = [client.get("/v1/segments").status_code for _ in range(4)]
    assert codes == [200, 200, 503, 503]


# -- metrics ----------------------------------------------------------------------------------------------------
def test_metrics_v1(client: httpx.Client, ws: Workspace) -> None:
    aid = ws.broadcast(12)["actions"][-1]["id"]  # type: ignore[index]
    for period, maximum in V1_MAX_STEPS.items():
        body = client.get("/v1/broadcasts/12/metrics", params={"period": period, "steps": maximum}).json()
        series = body["metric"]["series"]
        assert set(series) == set(SERIES_NAMES)
        assert {len(v) for v in series.values()} == {maximum}
        assert (
            len(
                client.get("/v1/newsletters/128/metrics", params={"period": period, "steps": 0}).json()["metric"][
                    "series"
                ]["sent"]
            )
            == maximum
        )
        assert (
            len(
                client.get(
                    f"/v1/broadcasts/12/actions/{aid}/metrics", params={"period": period, "steps": 1}
                ).json()["metric"]["series"]["sent"]
            )
            == 2
        )
    assert (
        len(
            client.get("/v1/broadcasts/12/metrics", params={"period": "months"}).json()["metric"]["series"]["sent"]
        )
        == 12
    )
    assert len(client.get("/v1/broadcasts/12/metrics").json()["metric"]["series"]["sent"]) == 45
    assert client.get("/v1/broadcasts/12/metrics", params={"period": "years"}).status_code == 400
    keys = ws.expected_keys("broadcast_action_metrics:weeks")
    assert len(keys) == sum(len(b["actions"]) for b in ws.rows("broadcasts")) * 12


def test_metrics_v2_and_consistency(client: httpx.Client, ws: Workspace) -> None:
    created = ws.campaign(9)["created"]  # type: ignore[index]
    start = period_floor(created, "days")
    body = client.get(
        "/v1/campaigns/9/metrics", params={"version": 2, "res": "daily", "start": start, "end": NOW}
    ).json()
    sent = body["metric"]["series"]["sent"]
    assert len(sent) == periods_between(start, NOW, "days")
    expected = {k for k in ws.expected_keys("campaign_metrics", "days", end=NOW) if k[0] == 9}
    assert {(9, "days", i) for i in range(len(sent))} == expected
    n_msgs = len([r for r in ws.rows("campaign_messages") if r["campaign_id"] == 9])
    assert sum(sent) == n_msgs
    per_action = 0
    for a in ws.campaign(9)["actions"]:  # type: ignore[index]
        r = client.get(
            f"/v1/campaigns/9/actions/{a['id']}/metrics",
            params={"version": 2, "res": "months", "start": period_floor(created, "months"), "end": NOW},
        )
        per_action += sum(r.json()["metric"]["series"]["created"])
    assert per_action == n_msgs
    assert client.get("/v1/campaigns/9/metrics", params={"version": 2, "res": "yearly"}).status_code == 400
    too_long: dict[str, int | str] = {"version": 2, "res": "months", "start": 0, "end": 11 * 366 * 86400}
    assert client.get("/v1/campaigns/9/metrics", params=too_long).status_code == 400
    assert client.get("/v1/campaigns/9/actions/999/metrics", params={"version": 2}).status_code == 404


def test_update_records_hook() -> None:
    ws = Workspace(WorkspaceSpec(people=50, deliveries=200, activities=50), now=NOW)
    before = {r["id"]: r for r in ws.rows("messages")}
    ws.update_records(advance=3 * 86400, touch=[("campaign", 7), ("campaign_action", 31)])
    after = {r["id"]: r for r in ws.rows("messages")}
    assert any(len(after[k]["metrics"]) > len(before[k]["metrics"]) for k in before)
    assert ws.campaign(7)["updated"] == NOW + 3 * 86400  # type: ignore[index]
    assert ws.catalog.campaign_actions[7][0]["updated"] == NOW + 3 * 86400


def test_deterministic_and_scales() -> None:
    a = Workspace(WorkspaceSpec(seed=3, people=100, deliveries=300), now=NOW)
    b = Workspace(WorkspaceSpec(seed=3, people=100, deliveries=300), now=NOW)
    assert a.rows("messages") == b.rows("messages") and a.rows("customer_attributes") == b.rows(
        "customer_attributes"
    )
    t = time.perf_counter()
    big = Workspace(WorkspaceSpec(people=200_000, deliveries=1_000_000, activities=200_000), now=NOW)
    with (
        FakeCustomerIO(big, rate_limit=None) as f,
        httpx.Client(base_url=f.base_url, headers={"Authorization": "Bearer test-key"}) as c,
    ):
        f.set_now(NOW)
        r = c.get("/v1/messages", params={"limit": 1000, "start_ts": NOW - 90 * 86400, "end_ts": NOW})
        assert len(r.json()["messages"]) == 1000
        r = c.get(
            "/v1/campaigns/7/messages",
            params={
                "limit": 1000,
                "start": r.json()["next"][:0] or None,
                "start_ts": NOW - 90 * 86400,
                "end_ts": NOW,
            },
        )
        assert len(r.json()["messages"]) == 1000
        r = c.post("/v1/customers", params={"limit": 1000}, json=MATCH_ALL)
        assert len(r.json()["identifiers"]) == 1000
        assert c.get("/v1/campaigns/7/metrics", params={"version": 2, "res": "days"}).status_code == 200
    assert time.perf_counter() - t < 5


def test_id_only_workspace_and_default_clock() -> None:
    ws = Workspace(WorkspaceSpec(people=30, deliveries=50, activities=20, id_only=True), now=NOW)
    with (
        FakeCustomerIO(ws, rate_limit=None) as f,
        httpx.Client(base_url=f.base_url, headers={"Authorization": "Bearer test-key"}) as c,
    ):
        assert abs(f.now() - NOW) < 5  # an explicit `now` is served with a clock ticking from it
        idents = c.post("/v1/customers", json=MATCH_ALL).json()["identifiers"]
        assert idents and all("email" not in i and i["id"] for i in idents)
        assert c.get("/v1/customers/p1@example.org/attributes", params={"id_type": "email"}).status_code == 400
        assert all(r["email"] is None for r in ws.rows("customers"))


def test_every_table_has_rows_and_keys(ws: Workspace) -> None:
    from omniload.testing.customerio import PRIMARY_KEYS
    from omniload.testing.customerio.workspace import METRICS_TABLES

    for table in PRIMARY_KEYS:
        if table in METRICS_TABLES:
            assert ws.expected_keys(table, "months", end=NOW)
            continue
        rows = ws.rows(table)
        keys = ws.expected_keys(table)
        if table == "newsletter_test_groups":  # contract PK is `id`, which repeats across newsletters
            assert len(keys) < len(rows)
            continue
        assert rows and len(keys) == len(rows), table
