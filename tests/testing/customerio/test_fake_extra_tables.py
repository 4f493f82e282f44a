"""The endpoints behind the tables beyond the 31 (issue 11, part 2), served by the fake as the OpenAPI document
describes them (docs/contract/customerio/extra-tables.md), over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from omniload.testing.customerio import FakeCustomerIO, Workspace
from omniload.testing.customerio.clock import V1_MAX_STEPS, period_add, period_floor, periods_between
from omniload.testing.customerio.metrics import SERIES_NAMES

from .conftest import NOW


def test_snippets_are_one_unpaged_list(client: httpx.Client, ws: Workspace) -> None:
    body = client.get("/v1/snippets", params={"limit": 1}).json()
    assert body == {"snippets": ws.rows("snippets")}  # no `next`, and `limit` is not a parameter here
    assert {s["name"] for s in body["snippets"]} >= {"address"}  # the OpenAPI example's snippet
    assert all(isinstance(s["updated_at"], int) and isinstance(s["value"], str) for s in body["snippets"])


def test_esp_suppressions_page_by_offset(client: httpx.Client, ws: Workspace) -> None:
    served = []
    for kind, category in (("bounces", "bounces"), ("spam_reports", "spam")):
        offset, pages = 0, 0
        while True:
            body = client.get(f"/v1/esp/suppression/{kind}", params={"limit": 7, "offset": offset}).json()
            assert body["category"] == category and "next" not in body
            served += [{"suppression_type": kind, **s} for s in body["suppressions"]]
            pages += 1
            if len(body["suppressions"]) < 7:
                break
            offset += 7
        assert pages > 2, kind  # several pages at this limit
    assert served == ws.rows("esp_suppressions")
    assert len(client.get("/v1/esp/suppression/bounces").json()["suppressions"]) == 100  # the default page
    assert len(client.get("/v1/esp/suppression/bounces", params={"limit": 5000}).json()["suppressions"]) == len(
        [r for r in served if r["suppression_type"] == "bounces"]
    )  # clamped to 1000, which holds them all
    assert client.get("/v1/esp/suppression/blocks").status_code == 404  # outside the OpenAPI enum
    assert client.get("/v1/esp/suppression/bounces", params={"offset": -1}).status_code == 400


def test_newsletter_variants_and_a_deleted_newsletter(
    fake: FakeCustomerIO, client: httpx.Client, ws: Workspace
) -> None:
    served = []
    for newsletter in client.get("/v1/newsletters").json()["newsletters"]:
        body = client.get(f"/v1/newsletters/{newsletter['id']}/contents").json()
        assert "next" not in body and [v["id"] for v in body["contents"]] == newsletter["content_ids"]
        served += body["contents"]
    assert served == ws.rows("newsletter_variants")
    assert any(v["language"] for v in served) and any(v["reply_to_id"] is None for v in served)
    gone = served[0]["newsletter_id"]
    fake.delete_after(0, "newsletter", gone)
    assert client.get(f"/v1/newsletters/{gone}/contents").status_code == 404
    assert client.get("/v1/newsletters/1/contents").status_code == 404  # never existed


def test_collection_contents_and_a_deleted_collection(
    fake: FakeCustomerIO, client: httpx.Client, ws: Workspace
) -> None:
    served = []
    for collection in client.get("/v1/collections").json()["collections"]:
        items = client.get(f"/v1/collections/{collection['id']}/content").json()
        assert isinstance(items, list) and len(items) == collection["rows"]
        assert set().union(*items) <= set(collection["schema"])
        served += [{"collection_id": collection["id"], "item_index": k, "item": i} for k, i in enumerate(items)]
    assert served == ws.rows("collection_contents")
    assert len({frozenset(row["item"]) for row in served}) > 2, "item fields vary within and across collections"
    fake.delete_after(0, "collection", 3)
    assert client.get("/v1/collections/3/content").status_code == 404
    assert client.get("/v1/collections/99/content").status_code == 404


def test_transactional_variants_and_a_deleted_message(
    fake: FakeCustomerIO, client: httpx.Client, ws: Workspace
) -> None:
    served = []
    for message in client.get("/v1/transactional").json()["messages"]:
        body = client.get(f"/v1/transactional/{message['id']}/contents").json()
        assert "next" not in body and body["contents"]
        served += [{"transactional_id": message["id"], **v} for v in body["contents"]]
    assert served == ws.rows("transactional_variants")
    assert {v["language"] for v in served} == {"", "de"}
    fake.delete_after(0, "transactional", served[0]["transactional_id"])
    assert client.get(f"/v1/transactional/{served[0]['transactional_id']}/contents").status_code == 404
    assert client.get("/v1/transactional/999/contents").status_code == 404


def test_transactional_metrics_count_the_messages_deliveries(
    fake: FakeCustomerIO, client: httpx.Client, ws: Workspace
) -> None:
    for message in ws.rows("transactional_messages"):
        tid = message["id"]
        for period, maximum in V1_MAX_STEPS.items():
            body = client.get(f"/v1/transactional/{tid}/metrics", params={"period": period, "steps": maximum})
            series = body.json()["metric"]["series"]
            assert set(series) == set(SERIES_NAMES) and {len(v) for v in series.values()} == {maximum}
        sent = client.get(f"/v1/transactional/{tid}/metrics", params={"period": "months", "steps": 12}).json()
        first = period_add(period_floor(NOW, "months"), "months", -11)
        mine = [r for r in ws.rows("messages") if r["transactional_message_id"] == tid and r["created"] >= first]
        assert sum(sent["metric"]["series"]["sent"]) == len(mine) > 0
    assert len(ws.expected_keys("transactional_metrics:days")) == len(ws.rows("transactional_messages")) * 45
    fake.delete_after(0, "transactional", tid)
    assert client.get(f"/v1/transactional/{tid}/metrics").status_code == 404
    assert client.get("/v1/transactional/999/metrics").status_code == 404


def test_newsletter_variant_metrics_add_up_to_the_newsletters(
    fake: FakeCustomerIO, client: httpx.Client, ws: Workspace
) -> None:
    params: dict[str, str | int] = {"period": "months", "steps": V1_MAX_STEPS["months"]}  # every send, not 0
    total = 0
    for newsletter in ws.rows("newsletters"):
        nid = newsletter["id"]
        whole = client.get(f"/v1/newsletters/{nid}/metrics", params=params).json()["metric"]["series"]["sent"]
        bodies = [
            client.get(f"/v1/newsletters/{nid}/contents/{c}/metrics", params=params).json()
            for c in newsletter["content_ids"]
        ]
        parts = [body["metric"]["series"]["sent"] for body in bodies]
        assert [sum(step) for step in zip(*parts, strict=True)] == whole
        total += sum(whole)
    assert total > 0
    keys = ws.expected_keys("newsletter_variant_metrics:weeks")
    assert len(keys) == sum(len(n["content_ids"]) for n in ws.rows("newsletters")) * V1_MAX_STEPS["weeks"]
    assert client.get("/v1/newsletters/128/contents/9999/metrics").status_code == 404  # not its content
    fake.delete_after(0, "newsletter", 128)
    content = ws.newsletter(128)["content_ids"][0]  # type: ignore[index]
    assert client.get(f"/v1/newsletters/128/contents/{content}/metrics").status_code == 404


def test_campaign_link_metrics(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    params: dict[str, str | int] = {"period": "months", "steps": V1_MAX_STEPS["months"]}
    without_links = 0
    for campaign in ws.rows("campaigns"):
        cid = campaign["id"]
        sent = client.get(f"/v1/campaigns/{cid}/metrics", params={"version": 2, "res": "months"}).json()
        links = client.get(f"/v1/campaigns/{cid}/metrics/links", params=params).json()["links"]
        unique = client.get(f"/v1/campaigns/{cid}/metrics/links", params={**params, "unique": "true"}).json()
        without_links += not links
        assert len({link["link"]["id"] for link in links}) == len(links)
        for total, once in zip(links, unique["links"], strict=True):
            assert total["link"] == once["link"] and total["link"]["href"]
            clicked = total["metric"]["series"]["clicked"]
            assert len(clicked) == V1_MAX_STEPS["months"]
            assert all(o <= t for o, t in zip(once["metric"]["series"]["clicked"], clicked, strict=True))
            assert sum(clicked) <= sum(sent["metric"]["series"]["sent"])
    assert without_links < len(ws.rows("campaigns"))
    fake.delete_after(0, "campaign", cid)
    assert client.get(f"/v1/campaigns/{cid}/metrics/links").status_code == 404


def _links_of_every_parent(client: httpx.Client, paths: list[str]) -> list[dict[str, Any]]:
    """The links of every path; each answers one series of the period's maximum of steps."""
    params: dict[str, str | int] = {"period": "days", "steps": 0}
    found = []
    for path in paths:
        links = client.get(path, params=params).json()["links"]
        assert all(len(link["metric"]["series"]["clicked"]) == V1_MAX_STEPS["days"] for link in links), path
        found += links
    assert found, "some parents have links"
    return found


def test_campaign_action_link_metrics(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    pairs = [(c["id"], a["id"]) for c in ws.rows("campaigns") for a in c["actions"]]
    paths = [f"/v1/campaigns/{cid}/actions/{aid}/metrics/links" for cid, aid in pairs]
    _links_of_every_parent(client, paths)
    assert client.get(paths[0].replace("/actions/", "/actions/9999")).status_code == 404  # not its action
    fake.delete_after(0, "campaign", ws.rows("campaigns")[0]["id"])
    assert client.get(paths[0]).status_code == 404


def test_broadcast_link_metrics(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    paths = [f"/v1/broadcasts/{b['id']}/metrics/links" for b in ws.rows("broadcasts")]
    _links_of_every_parent(client, paths)
    fake.delete_after(0, "broadcast", ws.rows("broadcasts")[0]["id"])
    assert client.get(paths[0]).status_code == 404


def test_broadcast_action_link_metrics(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    pairs = [(b["id"], a["id"]) for b in ws.rows("broadcasts") for a in b["actions"]]
    paths = [f"/v1/broadcasts/{bid}/actions/{aid}/metrics/links" for bid, aid in pairs]
    _links_of_every_parent(client, paths)
    assert client.get(paths[0].replace("/actions/", "/actions/9999")).status_code == 404  # not its action
    fake.delete_after(0, "broadcast", pairs[0][0])
    assert client.get(paths[0]).status_code == 404


def test_newsletter_link_metrics(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    paths = [f"/v1/newsletters/{n['id']}/metrics/links" for n in ws.rows("newsletters")]
    _links_of_every_parent(client, paths)
    fake.delete_after(0, "newsletter", ws.rows("newsletters")[0]["id"])
    assert client.get(paths[0]).status_code == 404


def test_transactional_link_metrics(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    paths = [f"/v1/transactional/{t['id']}/metrics/links" for t in ws.rows("transactional_messages")]
    _links_of_every_parent(client, paths)
    fake.delete_after(0, "transactional", ws.rows("transactional_messages")[0]["id"])
    assert client.get(paths[0]).status_code == 404


def test_campaign_journey_metrics(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    for campaign in ws.rows("campaigns"):
        cid = campaign["id"]
        sent = client.get(f"/v1/campaigns/{cid}/metrics", params={"version": 2, "res": "weeks"}).json()
        body = client.get(f"/v1/campaigns/{cid}/journey_metrics", params={"res": "weekly"}).json()
        journey = body["journey_metric"]
        steps = len(sent["metric"]["series"]["sent"])
        assert steps == periods_between(campaign["created"], NOW, "weeks")  # from its creation to now
        assert {len(series) for series in journey.values()} == {steps}
        assert sum(journey["started"]) == sum(sent["metric"]["series"]["sent"])
        split = zip(journey["activated"], journey["never_activated"], journey["started"], strict=True)
        assert all(a + n == s for a, n, s in split)
    first = ws.rows("campaigns")[0]
    span: dict[str, str | int] = {"res": "days", "start": NOW - 10 * 86400, "end": NOW}
    ranged = client.get(f"/v1/campaigns/{first['id']}/journey_metrics", params=span).json()["journey_metric"]
    assert len(ranged["started"]) == periods_between(NOW - 10 * 86400, NOW, "days")
    fake.delete_after(0, "campaign", first["id"])
    assert client.get(f"/v1/campaigns/{first['id']}/journey_metrics").status_code == 404


def test_segment_membership_pages_and_a_deleted_segment(
    fake: FakeCustomerIO, client: httpx.Client, ws: Workspace
) -> None:
    people = ws.people
    for segment in ws.rows("segments"):
        sid, members, pages, start = segment["id"], [], 0, None
        while True:
            params: dict[str, str | int] = {"limit": 100, **({"start": start} if start else {})}
            body = client.get(f"/v1/segments/{sid}/membership", params=params).json()
            members += [m["cio_id"] for m in body["identifiers"] or []]
            pages += 1
            start = body.get("next")
            if not start:
                break
        expected = [people.cio_id(i) for i in range(people.count) if people.in_segment(i, sid)]
        assert members == expected, sid
        assert pages == max(1, -(-len(expected) // 100))
    fake.delete_after(0, "segment", ws.rows("segments")[0]["id"])
    assert client.get(f"/v1/segments/{ws.rows('segments')[0]['id']}/membership").status_code == 404


def _deliveries(client: httpx.Client, path: str, windows: list[tuple[int, int]]) -> list[str]:
    """Every delivery id of `path` over `windows`, following `next` in each."""
    ids = []
    for start_ts, end_ts in windows:
        start = None
        while True:
            params: dict[str, str | int] = {"start_ts": start_ts, "end_ts": end_ts, "limit": 100}
            body = client.get(path, params={**params, **({"start": start} if start else {})}).json()
            ids += [m["id"] for m in body["messages"]]
            start = body.get("next")
            if not start:
                break
    return ids


def test_newsletter_and_transactional_deliveries_per_parent_are_the_pass_rows(
    fake: FakeCustomerIO, client: httpx.Client, ws: Workspace
) -> None:
    """Issue 20: the per-parent reads (``getNewsletterMsgMeta``, ``transactionalMessages``) give exactly the rows
    the delivery pass keeps for `newsletter_messages` and `transactional_deliveries` (tables.md 5, item 1)."""
    halves = [(ws.catalog.t0, NOW - 200 * 86400), (NOW - 200 * 86400 + 1, NOW)]  # each under 12 months
    for table, path, field, parents in (
        ("newsletter_messages", "/v1/newsletters/{}/messages", "newsletter_id", ws.rows("newsletters")),
        (
            "transactional_deliveries",
            "/v1/transactional/{}/messages",
            "transactional_message_id",
            ws.rows("transactional_messages"),
        ),
    ):
        truth = ws.rows(table)
        for parent in parents:
            served = _deliveries(client, path.format(parent["id"]), halves)
            assert len(served) == len(set(served)), (table, parent["id"])
            assert set(served) == {r["id"] for r in truth if r[field] == parent["id"]}, (table, parent["id"])
        assert {r[field] for r in truth} == {p["id"] for p in parents if p.get("sent_at", True)}, table
    sent = next(n for n in ws.rows("newsletters") if n["sent_at"])
    unranged = client.get(f"/v1/newsletters/{sent['id']}/messages").json()["messages"]
    assert unranged and all(sent["sent_at"] <= m["created"] for m in unranged)  # 6 months from its first send
    fake.delete_after(0, "transactional", 6)
    assert client.get("/v1/transactional/6/messages").status_code == 404
    assert client.get("/v1/newsletters/1/messages").status_code == 404


def test_broadcast_triggers_and_their_errors(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    """Issue 20: `listBroadcastTriggers` lists each broadcast's triggers, unpaged; `broadcastErrors`, under
    `/v1/campaigns/{broadcast_id}/…`, pages a trigger's errors by `start`/`next`."""
    triggers, errors, longest = [], [], 0
    for broadcast in client.get("/v1/broadcasts").json()["broadcasts"]:
        body = client.get(f"/v1/broadcasts/{broadcast['id']}/triggers").json()
        assert "next" not in body and (bool(body["triggers"]) == bool(broadcast["first_started"]))
        triggers += body["triggers"]
        for trigger in body["triggers"]:
            pages, start = 0, None
            while True:
                params = {"limit": 10, **({"start": start} if start else {})}
                path = f"/v1/campaigns/{broadcast['id']}/triggers/{trigger['id']}/errors"
                page = client.get(path, params=params).json()
                errors += [
                    {"broadcast_id": broadcast["id"], "trigger_id": trigger["id"], "error": e}
                    for e in page["errors"]
                ]
                pages, start = pages + 1, page.get("next")
                if not start:
                    break
            longest = max(longest, pages)
    assert triggers == ws.rows("broadcast_triggers") and errors == ws.rows("broadcast_trigger_errors")
    assert longest > 2 and any(t["processed_at"] is None for t in triggers)
    assert all(e["error"].startswith("line ") for e in errors)
    first = triggers[0]
    assert client.get(f"/v1/campaigns/{first['broadcast_id']}/triggers/9/errors").status_code == 404  # not its
    fake.delete_after(0, "broadcast", first["broadcast_id"])
    assert client.get(f"/v1/broadcasts/{first['broadcast_id']}/triggers").status_code == 404
    assert client.get(f"/v1/campaigns/{first['broadcast_id']}/triggers/{first['id']}/errors").status_code == 404


def test_segment_dependencies_and_sender_usage(fake: FakeCustomerIO, client: httpx.Client, ws: Workspace) -> None:
    """Issue 20: `getSegmentDependencies` answers under `used_by`, `getSenderUsage` at the top level; both list
    the campaigns and the sent and draft newsletters, and agree with the records those come from."""
    kinds = ["campaigns", "sent_newsletters", "draft_newsletters"]
    segments = []
    for segment in client.get("/v1/segments").json()["segments"]:
        body = client.get(f"/v1/segments/{segment['id']}/used_by").json()
        assert list(body) == ["used_by"] and list(body["used_by"]) == kinds
        segments += [
            {"segment_id": segment["id"], "used_by": kind, "used_by_id": used}
            for kind, ids in body["used_by"].items()
            for used in ids
        ]
    assert segments == ws.rows("segment_dependencies")
    assert {row["used_by"] for row in segments} == set(kinds)
    for row in segments:
        if row["used_by"] == "campaigns":
            campaign = ws.campaign(row["used_by_id"]) or {}
            used = [*campaign.get("trigger_segment_ids", ()), *campaign["filter_segment_ids"]]
        else:
            newsletter = ws.newsletter(row["used_by_id"]) or {}
            used = newsletter["recipient_segment_ids"]
            assert (newsletter["sent_at"] is None) == (row["used_by"] == "draft_newsletters")
        assert row["segment_id"] in used
    senders = []
    for hidden in ("false", "true"):
        for sender in client.get("/v1/sender_identities", params={"hidden": hidden}).json()["sender_identities"]:
            body = client.get(f"/v1/sender_identities/{sender['id']}/used_by").json()
            assert list(body) == kinds
            senders += [(sender["id"], kind, used) for kind, ids in body.items() for used in ids]
    expected = ws.rows("sender_identity_usage")
    assert sorted(senders) == sorted((r["sender_id"], r["used_by"], r["used_by_id"]) for r in expected)
    hidden_ids = {s["id"] for s in ws.rows("sender_identities") if s["hidden"]}
    assert any(sender in hidden_ids for sender, _, _ in senders), "a hidden sender is in use"
    assert client.get("/v1/sender_identities/999/used_by").status_code == 404
    fake.delete_after(0, "segment", 5)
    assert client.get("/v1/segments/5/used_by").status_code == 404


def test_optouts_page_by_start_and_the_last_page_has_no_next(client: httpx.Client, ws: Workspace) -> None:
    """Issue 20, documented since the project's copy of the OpenAPI document: one record per person,
    `{cio_id, customer_id, optouts: [{channel, from}]}`; `next` is absent, not empty, on the last page."""
    served, pages, start = [], 0, None
    while True:
        body = client.get("/v1/optouts", params={"limit": 7, **({"start": start} if start else {})}).json()
        served += body["optouts"]
        pages, start = pages + 1, body.get("next")
        if not start:
            assert "next" not in body
            break
    rows = [{"cio_id": r["cio_id"], "customer_id": r["customer_id"], "channel": o["channel"], "sender": o["from"]}
            for r in served for o in r["optouts"]]  # fmt: skip
    assert rows == ws.rows("optouts") and pages > 2
    assert {row["channel"] for row in rows} == {"sms", "whatsapp"}
    assert any(len(r["optouts"]) > 2 for r in served), "a person opted out of two numbers"
    assert len(client.get("/v1/optouts", params={"limit": 100000}).json()["optouts"]) == len(served)  # clamped


def test_subscription_channels_are_one_list_under_channels(client: httpx.Client, ws: Workspace) -> None:
    body = client.get("/v1/subscription_channels", params={"limit": 1}).json()
    assert body == {"channels": ws.rows("subscription_channels")} and len(body["channels"]) > 1


def test_design_studio_listings_page_by_number_with_exclusive_bounds(client: httpx.Client, ws: Workspace) -> None:
    """Issue 20: `page` from 1 and `limit` up to 10000 (above, or page 0, is 400), `meta.pagination.total` and
    no `next`; `updated_after`/`updated_before` exclude their bound; every item by default, nested ones too."""
    for items in ("emails", "components", "folders"):
        served, page = [], 1
        while True:
            body = client.get(f"/v1/design_studio/{items}", params={"limit": 4, "page": page}).json()
            assert "next" not in body and body["meta"]["pagination"] == {
                "page": page, "limit": 4, "total": len(ws.rows(f"design_studio_{items}"))}  # fmt: skip
            if not body[items]:
                break
            served += body[items]
            page += 1
        assert served == ws.rows(f"design_studio_{items}")
        edge = served[1]["updated"]
        after = client.get(f"/v1/design_studio/{items}", params={"updated_after": edge}).json()[items]
        assert after == [i for i in served if i["updated"] > edge]
        before = client.get(f"/v1/design_studio/{items}", params={"updated_before": edge}).json()[items]
        assert before == [i for i in served if i["updated"] < edge]
    assert client.get("/v1/design_studio/emails", params={"page": 0}).status_code == 400
    assert client.get("/v1/design_studio/emails", params={"limit": 10001}).status_code == 400
    assert client.get("/v1/design_studio/emails", params={"parent_folder_id": "nope"}).status_code == 404


def test_design_studio_folders_nest_and_an_emails_detail_holds_its_content(
    client: httpx.Client, ws: Workspace
) -> None:
    folders = ws.rows("design_studio_folders")
    outer = next(f for f in folders if any(g["parent_folder_id"] == f["id"] for g in folders))
    inner = {f["id"] for f in folders if f["parent_folder_id"] == outer["id"]}
    emails = ws.rows("design_studio_emails")
    under = client.get("/v1/design_studio/emails", params={"parent_folder_id": outer["id"]}).json()["emails"]
    assert under == [e for e in emails if e["parent_folder_id"] in {outer["id"], *inner}]
    direct = {"parent_folder_id": outer["id"], "direct_descendants_only": "true"}
    assert client.get("/v1/design_studio/emails", params=direct).json()["emails"] == [
        e for e in emails if e["parent_folder_id"] == outer["id"]]  # fmt: skip
    assert {e["parent_folder_id"] for e in emails} >= {None, outer["id"], *inner}
    detail = client.get(f"/v1/design_studio/emails/{emails[0]['id']}").json()["email"]
    assert detail["id"] == emails[0]["id"] and set(detail["content"]) == {"subject", "preheader_text", "html",
                                                                        "amp", "text"}  # fmt: skip
    assert "content" not in emails[0]  # the listing carries metadata only
    assert client.get("/v1/design_studio/emails/nope").status_code == 404


def test_object_relationships_are_the_person_sides_seen_from_the_objects(
    client: httpx.Client, ws: Workspace
) -> None:
    """Issue 20: `getObjectRelationships` pages each object's people (repeats across pages are documented, and
    the fake repeats with `duplicate_pages`); the pairs are those of `customer_relationships`."""
    served = []
    for t in range(1, ws.objects.types + 1):
        for j in range(ws.objects.per_type):
            object_id, start = ws.objects.object_id(t, j), None
            while True:
                params = {"limit": 5, **({"start": start} if start else {})}
                body = client.get(f"/v1/objects/{t}/{object_id}/relationships", params=params).json()
                served += [(str(t), object_id, r["identifiers"]["cio_id"]) for r in body["cio_relationships"]]
                start = body.get("next")
                if not start:
                    break
    truth = ws.rows("object_relationships")
    assert served == [(r["object_type_id"], r["object_id"], r["cio_id"]) for r in truth]
    person_side = {
        (str(r["object_type_id"]), r["object_id"], r["customer_id"]) for r in ws.rows("customer_relationships")
    }
    assert set(served) == person_side and len(served) > ws.objects.types * ws.objects.per_type


def test_tracked_responses_only_when_asked_and_only_on_answered_in_app_deliveries(
    client: httpx.Client, ws: Workspace
) -> None:
    """Issue 20, documented since our copy: `get_tracked_responses=true` adds `tracked_responses` (keyed by
    response option) to the deliveries that have answers; the key is absent, not null, on the others."""
    span = {"start_ts": NOW - 150 * 86400, "end_ts": NOW, "limit": 1000}
    plain = client.get("/v1/messages", params=span).json()["messages"]
    asked = client.get("/v1/messages", params={**span, "get_tracked_responses": "true"}).json()["messages"]
    assert [m["id"] for m in asked] == [m["id"] for m in plain]
    assert not any("tracked_responses" in m for m in plain)
    answered = [m for m in asked if "tracked_responses" in m]
    assert answered and all(m["type"] == "in_app" and m["tracked_responses"] for m in answered)
    assert any(m["type"] == "in_app" and "tracked_responses" not in m for m in asked)
    rows = {(m["id"], option) for m in answered for option in m["tracked_responses"]}
    assert rows <= {(r["message_id"], r["response"]) for r in ws.rows("survey_responses")}
