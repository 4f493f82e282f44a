"""The fake workspace evolves by whole days and logs every change (docs/contract/customerio/changes.md sections 1
and 6; docs/contract/customerio/fake-server.md "Days"), read over real HTTP as a loader reads it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from omniload.testing.customerio import PRIMARY_KEYS, FakeCustomerIO, Workspace
from omniload.testing.customerio.clock import DAY
from omniload.testing.customerio.days import PERSON_RATES
from tests.conftest import API_KEY, ingest, query

from .conftest import NOW
from .test_fake_customerio import MATCH_ALL, walk

CHANGE_TYPES = tuple(PERSON_RATES) + ("add_relationship", "delete_relationship")


@pytest.fixture()
def moving() -> Iterator[tuple[FakeCustomerIO, httpx.Client]]:
    """A fake of its own (the days change its workspace), frozen at day 0's now."""
    with FakeCustomerIO(Workspace(now=NOW), rate_limit=None) as fake:
        fake.set_now(NOW)
        headers = {"Authorization": "Bearer test-key"}
        with httpx.Client(base_url=fake.base_url, headers=headers, timeout=10) as client:
            yield fake, client


def log(client: httpx.Client, atype: str | None = None, person: str | None = None) -> list[dict[str, Any]]:
    """The activity log, or a person's (by cio_id), optionally of one type."""
    params = {"limit": "100", **({"type": atype} if atype else {})}
    path = "/v1/activities"
    if person is not None:
        path, params["id_type"] = f"/v1/customers/{person}/activities", "cio_id"
    return walk(client, "GET", path, "activities", params)[0]


def people(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """Everyone the people search lists, by cio_id."""
    found = walk(client, "POST", "/v1/customers", "identifiers", {"limit": "1000"}, MATCH_ALL)[0]
    return {ident["cio_id"]: ident for ident in found}


def attributes(client: httpx.Client, cio_ids: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for k in range(0, len(cio_ids), 100):
        body = {"ids": cio_ids[k : k + 100]}
        r = client.post("/v1/customers/attributes", params={"id_type": "cio_id"}, json=body)
        assert r.status_code == 200, r.text
        out |= {c["identifiers"]["cio_id"]: c for c in r.json()["customers"]}
    return out


def relationships(client: httpx.Client, cio_id: str) -> list[dict[str, Any]]:
    path = f"/v1/customers/{cio_id}/relationships"
    return walk(client, "GET", path, "cio_relationships", {"id_type": "cio_id"})[0]


def served_relationships(client: httpx.Client, cio_id: str) -> set[tuple[str, str]]:
    return {(str(r["object_type_id"]), r["identifiers"]["object_id"]) for r in relationships(client, cio_id)}


def test_day_zero_is_the_seeded_workspace(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    fresh = Workspace(now=NOW)
    fresh.advance_days(0)
    assert fake.ws.day == fresh.day == 0 and fake.now() == fake.ws.now == NOW
    for table in ("customers", "customer_attributes", "customer_relationships", "activities", "objects"):
        assert fresh.rows(table) == Workspace(now=NOW).rows(table)
    assert set(people(client)) == {r["cio_id"] for r in fresh.rows("customers")}
    assert log(client) == fresh.rows("activities")
    unseeded = [t for t in CHANGE_TYPES if t != "attribute_change"]  # the seed logs attribute changes already
    assert [log(client, t) for t in unseeded] == [[] for _ in unseeded]


def test_a_day_changes_people_and_logs_each_change(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    before = people(client)
    fake.advance_days()
    assert fake.ws.day == 1 and fake.now() == fake.ws.now == NOW + DAY
    after = people(client)
    created = [r["customer_identifiers"]["cio_id"] for r in log(client, "profile_create")]
    deleted = [r["customer_identifiers"]["cio_id"] for r in log(client, "profile_delete")]
    merges = log(client, "profile_merge")
    merged_away = [r["data"]["merged_cio_id"] for r in merges]
    assert created and deleted and merged_away
    assert set(after) == (set(before) | set(created)) - set(deleted) - set(merged_away)
    assert set(after) == {r["cio_id"] for r in fake.ws.rows("customers")}
    for gone in deleted + merged_away:
        assert client.get(f"/v1/customers/{gone}/attributes", params={"id_type": "cio_id"}).status_code == 404
    assert attributes(client, deleted + merged_away) == {}
    for record in log(client):
        assert NOW - 30 * DAY <= record["timestamp"] <= fake.now()
    day_records = [r for r in log(client) if r["timestamp"] > NOW]
    for record in day_records:
        if record["type"] in CHANGE_TYPES:
            ident = record["customer_identifiers"]
            assert record["customer_id"] == ident["id"] and ident["cio_id"] in set(before) | set(created)
            assert record["id"][:10] == ulid_time(record["timestamp"])


def ulid_time(ts: int) -> str:
    """The first 10 characters of a ULID whose time is ``ts`` seconds."""
    alphabet, ms = "0123456789ABCDEFGHJKMNPQRSTVWXYZ", ts * 1000
    return "".join(alphabet[(ms >> (5 * k)) & 31] for k in range(9, -1, -1))


def test_attribute_and_device_changes_are_served(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    fake.advance_days()
    changes = log(client, "attribute_change")
    devices = log(client, "device_change")
    fresh = [r for r in changes if r["timestamp"] > NOW]
    assert len(fresh) >= 0.015 * 1200 and len(devices) >= 1
    served = attributes(client, [r["customer_identifiers"]["cio_id"] for r in fresh + devices])
    for record in fresh:
        person = served[record["customer_identifiers"]["cio_id"]]
        for name, change in record["data"].items():
            assert change["from"] != change["to"] and person["attributes"][name] == change["to"]
            assert person["timestamps"][name] == record["timestamp"]
    for record in devices:
        assert served[record["customer_identifiers"]["cio_id"]]["devices"] == [record["data"]]
    expected = {r["customer_id"]: r for r in fake.ws.rows("customer_attributes")}
    for cio_id, person in served.items():
        assert person["attributes"] == expected[cio_id]["attributes"]


def test_relationship_changes_are_served(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    fake.advance_days()
    added, dropped = log(client, "add_relationship"), log(client, "delete_relationship")
    roles = log(client, "relationship_attribute_change")
    assert added and dropped and roles
    for record in added + dropped + roles:
        data = record["data"]
        rels = served_relationships(client, record["customer_identifiers"]["cio_id"])
        assert ((data["object_type_id"], data["object_id"]) in rels) is (record["type"] != "delete_relationship")
    for record in roles:
        data = record["data"]
        served = relationships(client, record["customer_identifiers"]["cio_id"])
        role = next(r for r in served if r["identifiers"]["object_id"] == data["object_id"])
        assert role["attributes"]["role"] == data["changes"]["role"]["to"]
    survivor = log(client, "profile_merge")[0]["customer_identifiers"]["cio_id"]
    expected = {
        (str(r["object_type_id"]), r["object_id"])
        for r in fake.ws.rows("customer_relationships")
        if r["customer_id"] == survivor
    }
    assert served_relationships(client, survivor) == expected


def test_objects_come_and_go_with_their_relationships(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    fake.advance_days(2)
    created = [r["data"] for t in ("1", "2") for r in log(client, f"_o:{t}:create")]
    deleted = [r["data"] for t in ("1", "2") for r in log(client, f"_o:{t}:delete")]
    assert len(created) == 2 and len(deleted) == 1  # one a day, one every second day
    listed = {
        t: set(
            walk(client, "POST", "/v1/objects", "ids", {"limit": "1000"}, {**MATCH_OBJECTS, "object_type_id": t})[
                0
            ]
        )
        for t in ("1", "2")
    }
    assert all(o["object_id"] in listed[o["object_type_id"]] for o in created)
    assert deleted[0]["object_id"] not in listed[deleted[0]["object_type_id"]]
    assert listed == {
        t: {r["object_id"] for r in fake.ws.rows("objects") if r["object_type_id"] == t} for t in listed
    }
    gone = (deleted[0]["object_type_id"], deleted[0]["object_id"])
    assert all((str(r["object_type_id"]), r["object_id"]) != gone for r in fake.ws.rows("customer_relationships"))
    assert client.get(f"/v1/objects/{gone[0]}/{gone[1]}/relationships").status_code == 404


MATCH_OBJECTS = {"filter": {"and": [{"object_attribute": {"field": "object_id", "operator": "exists"}}]}}


def test_the_log_is_newest_first_and_filters_by_type_and_person(
    moving: tuple[FakeCustomerIO, httpx.Client],
) -> None:
    fake, client = moving
    fake.advance_days(2)
    everything = log(client)
    assert everything == fake.ws.rows("activities")
    stamps = [r["timestamp"] for r in everything]
    assert stamps == sorted(stamps, reverse=True)
    for atype in ("attribute_change", "profile_create", "sent_email"):
        typed = log(client, atype)
        assert typed and typed == [r for r in everything if r["type"] == atype]
    person = log(client, "attribute_change")[0]["customer_identifiers"]["cio_id"]
    own = log(client, person=person)
    expected = [r for r in fake.ws.rows("customer_activities") if r["customer_id"] == person]
    assert [r["id"] for r in own] == [r["id"] for r in expected]
    assert log(client, "attribute_change", person) == [r for r in own if r["type"] == "attribute_change"] != []


def test_the_log_keeps_thirty_days(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    fake.advance_days(31)
    stamps = [r["timestamp"] for r in log(client, "profile_create")]
    assert len(stamps) >= 29 and min(stamps) > fake.now() - 30 * DAY
    assert len(fake.ws.activities.log) > len(log(client)) - fake.ws.activities.base


def test_the_catalog_lists_follow_the_days(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    before = {kind: client.get(f"/v1/{kind}").json()[kind] for kind in ("campaigns", "broadcasts", "segments")}
    fake.advance_days(3)
    after = {kind: client.get(f"/v1/{kind}").json()[kind] for kind in before}
    assert after == {kind: fake.ws.rows(kind) for kind in before}
    assert sum(len(before[k]) - len(after[k]) for k in before) == 1
    stamps = [r.get("updated", r.get("updated_at")) for k in after for r in after[k]]
    assert any(NOW < s <= NOW + 3 * DAY for s in stamps)


def test_unlogged_changes_are_applied_but_missing_from_the_log(
    moving: tuple[FakeCustomerIO, httpx.Client],
) -> None:
    fake, client = moving
    fake.advance_days(2, unlogged=0.5)
    logged = Workspace(now=NOW)
    logged.advance_days(2)
    served = attributes(client, sorted(people(client)))
    assert {k: v["attributes"] for k, v in served.items()} == {
        r["customer_id"]: r["attributes"] for r in logged.rows("customer_attributes")
    }

    def changes(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(r["timestamp"], r["customer_id"], str(r["data"])) for r in records if r["timestamp"] > NOW]

    kept = changes(log(client, "attribute_change"))
    everything = changes([r for r in logged.rows("activities") if r["type"] == "attribute_change"])
    assert set(kept) < set(everything) and 0.3 < len(kept) / len(everything) < 0.7
    assert changes(log(client, "profile_create")) == changes(
        [r for r in logged.rows("activities") if r["type"] == "profile_create"]
    )


def test_days_are_deterministic() -> None:
    one, two = Workspace(now=NOW), Workspace(now=NOW)
    one.advance_days(2)
    two.advance_days()
    two.advance_days()
    for table in (
        "customers",
        "customer_attributes",
        "customer_relationships",
        "activities",
        "segment_memberships",
    ):
        assert one.rows(table) == two.rows(table)


def test_cli_serves_day_n() -> None:
    args = ["--day", "2", "--now", str(NOW), "--rate-limit", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "omniload.testing.customerio", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = dict(part.split("=", 1) for part in proc.stdout.readline().split())
        assert first["day"] == "2" and NOW + 2 * DAY <= int(first["now"]) < NOW + 2 * DAY + 60
        headers = {"Authorization": f"Bearer {first['api_key']}"}
        with httpx.Client(base_url=first["base_url"], headers=headers, timeout=10) as client:
            expected = Workspace(now=NOW)
            expected.advance_days(2)
            assert set(people(client)) == {r["cio_id"] for r in expected.rows("customers")}
            assert log(client, "profile_merge") == [
                r for r in expected.rows("activities") if r["type"] == "profile_merge"
            ]
    finally:
        proc.terminate()
        proc.wait(10)


def test_deliveries_arrive_and_their_metrics_advance(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    window = {"start_ts": str(NOW - 3 * DAY), "end_ts": str(NOW + 2 * DAY), "limit": "1000"}
    before = {d["id"]: d for d in walk(client, "GET", "/v1/messages", "messages", window)[0]}
    fake.advance_days(2)
    after = {d["id"]: d for d in walk(client, "GET", "/v1/messages", "messages", window)[0]}
    new = [d for d in after.values() if d["created"] > NOW]
    assert set(before) < set(after) and len(new) == 2 * fake.ws.timeline.per_day
    assert all(NOW < d["created"] <= fake.now() for d in new)
    opened_later = [
        k for k, d in before.items() if "opened" not in d["metrics"] and "opened" in after[k]["metrics"]
    ]
    assert opened_later
    expected = [d for d in fake.ws.rows("messages") if NOW - 3 * DAY <= d["created"] <= NOW + 2 * DAY]
    assert list(after.values()) == expected


def test_segment_membership_follows_the_people(moving: tuple[FakeCustomerIO, httpx.Client]) -> None:
    fake, client = moving
    fake.advance_days(2)
    listed = people(client)
    for segment in (5, 6):
        members = walk(client, "GET", f"/v1/segments/{segment}/membership", "identifiers")[0]
        cio_ids = {m["cio_id"] for m in members}
        assert cio_ids <= set(listed)
        assert cio_ids == {r["cio_id"] for r in fake.ws.rows("segment_memberships") if r["segment_id"] == segment}
        count = client.get(f"/v1/segments/{segment}/customer_count").json()["count"]
        assert count == len(members)
    created = {r["customer_identifiers"]["cio_id"] for r in log(client, "profile_create")}
    assert created & {r["cio_id"] for r in fake.ws.rows("segment_memberships")}


def test_a_live_clock_moves_with_the_days() -> None:
    ws = Workspace()
    ws.advance_days(3)
    fake = FakeCustomerIO(ws)
    assert ws.now == ws.start + 3 * DAY and 0 <= fake.now() - ws.now < 3600
    fake.advance_days()
    assert ws.day == 4 and 0 <= fake.now() - ws.now < 3600


#: The tables a day changes that a full read loads whole, whatever the client's clock.
DAY_TABLES = (
    "customers",
    "customer_attributes",
    "customer_relationships",
    "objects",
    "segment_memberships",
    "activities",
    "customer_activities",
    "campaigns",
    "broadcasts",
    "segments",
)


def test_a_full_load_on_day_n_holds_that_days_rows(tmp_path: Path) -> None:
    """The real CLI reads a workspace three days on (a broadcast deleted, people created, deleted and merged)
    and loads exactly what ``rows`` says the workspace holds that day."""
    ws = Workspace(now=NOW)
    ws.advance_days(3)
    db = tmp_path / "day3.duckdb"
    with FakeCustomerIO(ws, api_key=API_KEY, rate_limit=None) as fake:
        fake.set_now(ws.now)
        ran = ingest(fake, ",".join(DAY_TABLES), db, "cio")
    assert ran.code == 0, ran.stderr
    for table in DAY_TABLES:
        key = ", ".join(PRIMARY_KEYS[table])
        assert set(query(db, f"select {key} from cio.{table}")) == ws.expected_keys(table), table
