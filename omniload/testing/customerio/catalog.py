"""The small, mutable lists of a workspace: campaigns, broadcasts, newsletters and the settings lists.

These are plain dicts built once, so the change hook can move ``updated`` fields between runs. ``Parent`` is the
view the delivery generator needs: which parent sends when, through which actions or contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clock import DAY
from .hashing import mix
from .people import segment_ids
from .spec import WorkspaceSpec

MESSAGE_TYPES = ("email", "push", "webhook", "twilio", "slack", "in_app")
_BIG_CAMPAIGN_ACTIONS = (
    "email",
    "email",
    "attribute_update",
    "push",
    "webhook",
    "twilio",
    "email",
    "slack",
    "in_app",
    "email",
    "attribute_update",
    "email",
    "push",
)
_CAMPAIGN_TYPES = ("segment", "event", "date", "seg_attr", "object", "webhook")


@dataclass
class Parent:
    """A sender of deliveries and the span during which it sends."""

    kind: str  # campaign | broadcast | newsletter | transactional
    id: int
    start: int
    end: int
    #: (action or content id, delivery type) of each sub-sender, chosen round-robin.
    subs: list[tuple[int, str]] = field(default_factory=list)
    event: bool = False


def _action(
    aid: int,
    parent_key: str,
    parent_id: int,
    atype: str,
    created: int,
    updated: int,
    name: str,
    parent_action_id: int | None,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": aid,
        parent_key: parent_id,
        "deduplicate_id": f"{aid}:{updated}",
        "name": name,
        "layout": "",
        "body": f"<p>Hello {{{{customer.first_name}}}} ({name})</p>",
        "body_amp": "",
        "language": "",
        "type": atype,
        "sending_state": "automatic" if aid % 7 else "draft",
        "from": "Team <team@example.org>",
        "from_id": 1,
        "reply_to": None,
        "reply_to_id": None,
        "preprocessor": "premailer",
        "recipient": "{{customer.email}}",
        "subject": f"{name} subject",
        "bcc": "",
        "fake_bcc": False,
        "preheader_text": "",
        "headers": {} if aid % 2 else "{}",
        "created": created,
        "updated": updated,
        "editor": "html",
        "tracked": True,
    }
    if parent_key == "campaign_id":
        rec["parent_action_id"] = parent_action_id
    if atype == "webhook":
        rec.update(url="https://hooks.example.org/cio", method="POST")
    if atype == "twilio":
        rec["image_url"] = ""
    return rec


class Catalog:
    def __init__(self, spec: WorkspaceSpec, now: int) -> None:
        self.spec = spec
        self.now = now
        self.t0 = now - spec.history_days * DAY
        h_span = now - self.t0
        self.campaigns: list[dict[str, Any]] = []
        self.campaign_actions: dict[int, list[dict[str, Any]]] = {}
        self.broadcasts: list[dict[str, Any]] = []
        self.broadcast_actions: dict[int, list[dict[str, Any]]] = {}
        self.newsletters: list[dict[str, Any]] = []
        self.parents: list[Parent] = []
        next_action = 31

        def clamp(ts: int) -> int:
            return max(self.t0, min(now - 3600, ts))

        for k in range(spec.campaigns):
            cid = 7 + k
            created = self.t0 if k == 0 else clamp(self.t0 + k * h_span // (2 * max(1, spec.campaigns)))
            ctype = _CAMPAIGN_TYPES[k % len(_CAMPAIGN_TYPES)]
            types = (
                _BIG_CAMPAIGN_ACTIONS
                if k == 0
                else ()
                if k == 1
                else ("email", "attribute_update", "push", "webhook")[: 2 + k % 3]
            )
            draft = k == 1
            stopped = k % 4 == 3
            updated = clamp(created + DAY * (5 + k))
            actions: list[dict[str, Any]] = []
            for n, atype in enumerate(types):
                pa = actions[-1]["id"] if n % 4 == 3 else None
                actions.append(
                    _action(
                        next_action,
                        "campaign_id",
                        cid,
                        atype,
                        created,
                        clamp(created + DAY * (n + 1)),
                        f"Campaign {cid} step {n + 1}",
                        pa,
                    )
                )
                next_action += 1
            rec: dict[str, Any] = {
                "id": cid,
                "deduplicate_id": f"{cid}:{updated}",
                "name": f"Campaign {cid}",
                "type": ctype,
                "created": created,
                "updated": updated,
                "first_started": 0 if draft else created,
                "active": not (draft or stopped),
                "state": "draft" if draft else "stopped" if stopped else "running",
                "actions": [{"id": a["id"], "type": a["type"]} for a in actions],
                "tags": ["onboarding"] if k % 2 == 0 else [],
                "filter_segment_ids": segment_ids(spec.segments)[1:2] if k % 2 else [],
                "created_by": "ops@example.org",
            }
            if ctype in ("segment", "seg_attr"):
                rec["trigger_segment_ids"] = [5]
                rec["msg_templates"] = [
                    {"id": a["id"], "type": a["type"]} for a in actions if a["type"] != "attribute_update"
                ]
            elif ctype == "event":
                rec["event_name"] = "purchase"
            elif ctype == "date":
                rec.update(
                    frequency="once",
                    date_attribute="created_at",
                    timezone="America/New_York",
                    use_customer_timezone=False,
                    start_hour=9,
                    start_minutes=0,
                )
            self.campaigns.append(rec)
            self.campaign_actions[cid] = actions
            subs = [(a["id"], a["type"]) for a in actions if a["type"] in MESSAGE_TYPES]
            if subs and not draft:
                end = clamp(created + 90 * DAY) if stopped else now
                self.parents.append(Parent("campaign", cid, created, end, subs, event=ctype == "event"))

        for b in range(spec.broadcasts):
            bid = 12 + b
            created = clamp(now - (220 - 50 * b) * DAY)
            never = spec.broadcasts >= 3 and b == spec.broadcasts - 1
            first = 0 if never else created + 2 * DAY
            updated = clamp(created + 3 * DAY)
            types = ("email", "email", "push") if b == 0 else ("email",) if b % 2 else ("email", "in_app")
            actions = []
            for n, atype in enumerate(types):
                actions.append(
                    _action(
                        next_action,
                        "broadcast_id",
                        bid,
                        atype,
                        created,
                        clamp(created + DAY * (n + 2)),
                        f"Broadcast {bid} message {n + 1}",
                        None,
                    )
                )
                next_action += 1
            self.broadcasts.append(
                {
                    "id": bid,
                    "deduplicate_id": f"{bid}:{updated}",
                    "name": f"Broadcast {bid}",
                    "type": "triggered_broadcast",
                    "created": created,
                    "updated": updated,
                    "first_started": first,
                    "active": not never,
                    "state": "draft" if never else "running",
                    "actions": [{"id": a["id"], "type": a["type"]} for a in actions],
                    "msg_template_ids": [{"id": a["id"], "type": a["type"]} for a in actions],
                    "tags": ["billing"] if b == 0 else [],
                    "created_by": "ops@example.org",
                    "scheduled_start": None,
                    "scheduled_stop": None,
                    "scheduled_start_should_backfill": False,
                    "scheduled_stop_should_sunset": False,
                }
            )
            self.broadcast_actions[bid] = actions
            if not never:
                self.parents.append(
                    Parent(
                        "broadcast",
                        bid,
                        first,
                        min(now, first + 75 * DAY),
                        [(a["id"], a["type"]) for a in actions],
                    )
                )

        content = 18
        for n in range(spec.newsletters):
            nid = 128 + n
            created = clamp(now - (300 - 90 * n) * DAY)
            never = spec.newsletters >= 3 and n == spec.newsletters - 1
            sent_at = None if never else created + DAY
            ncontents = (2, 3, 1)[n % 3] if not never else 1
            contents = list(range(content, content + ncontents))
            content += ncontents
            updated = clamp(created + 2 * DAY)
            self.newsletters.append(
                {
                    "id": nid,
                    "deduplicate_id": f"{nid}:{updated}",
                    "name": f"Newsletter {nid}",
                    "type": "email",
                    "content_ids": contents,
                    "sent_at": sent_at,
                    "created": created,
                    "updated": updated,
                    "tags": ["digest"],
                    "recipient_segment_ids": [5],
                    "subscription_topic_id": 2,
                }
            )
            if sent_at is not None:
                self.parents.append(
                    Parent(
                        "newsletter", nid, sent_at, min(now, sent_at + 7 * DAY), [(c, "email") for c in contents]
                    )
                )

        self.transactional: list[dict[str, Any]] = []
        for n, (name, trig) in enumerate((("password reset", "password_reset"), ("receipt", "order_receipt"))):
            tid = 6 + n
            created = clamp(self.t0 + (10 + 40 * n) * DAY)
            self.transactional.append(
                {
                    "id": tid,
                    "name": name,
                    "trigger_name": trig,
                    "description": f"{name} message",
                    "send_to_unsubscribed": n == 0,
                    "link_tracking": n == 1,
                    "open_tracking": True,
                    "hide_message_body": False,
                    "queue_drafts": False,
                    "created_at": created,
                    "updated_at": clamp(created + 7 * DAY),
                }
            )
            self.parents.append(Parent("transactional", tid, created, now, [(tid, "email")]))

        base = self.t0
        self.segments: list[dict[str, Any]] = []
        for k, sid in enumerate(segment_ids(spec.segments)):
            created = clamp(base + k * DAY)
            self.segments.append(
                {
                    "id": sid,
                    "deduplicate_id": f"{sid}:{clamp(created + 9 * DAY)}",
                    "name": ("Active trial users", "Readers", "VIP", "Empty list")[k]
                    if k < 4
                    else f"Segment {sid}",
                    "description": f"Segment number {k + 1}",
                    "state": "finished",
                    "progress": None,
                    "type": "manual" if k in (2, 3) else "dynamic",
                    "tags": None if k == 3 else ["core"],
                    "created_at": created,
                    "updated_at": clamp(created + 9 * DAY),
                }
            )
        self.senders: list[dict[str, Any]] = []
        for s in range(spec.sender_identities):
            sid = 1 + s
            name = ("Team", "Billing", "Support", "Legacy")[s % 4] + ("" if s < 4 else f" {s}")
            email = f"{name.lower().replace(' ', '')}@example.org"
            hidden = s % 4 == 3
            self.senders.append(
                {
                    "id": sid,
                    "deduplicate_id": f"{sid}:{clamp(base + s * DAY)}",
                    "name": name,
                    "email": email,
                    "address": f"{name} <{email}>",
                    "template_type": "email",
                    "auto_generated": False,
                    "phone": "",
                    "hidden": hidden,
                }
            )
        self.collections = [
            {
                "id": 3,
                "name": "store_locations",
                "bytes": 1841,
                "rows": 12,
                "schema": ["city", "opening_hours", "slug"],
                "created_at": clamp(base),
                "updated_at": clamp(base + 30 * DAY),
            },
            {
                "id": 4,
                "name": "upcoming_events",
                "bytes": 296,
                "rows": 2,
                "schema": ["eventDate", "eventName"],
                "created_at": clamp(base + 40 * DAY),
                "updated_at": clamp(base + 200 * DAY),
            },
        ]
        self.exports = []
        for n, status in enumerate(("done", "pending", "failed")):
            eid = 214 + n
            created = clamp(now - (20 - n) * DAY)
            self.exports.append(
                {
                    "id": eid,
                    "user_id": 9,
                    "user_email": "ops@example.org",
                    "total": 1825 if status == "done" else 0,
                    "deduplicate_id": f"{eid}:{created + 300}",
                    "type": "customers" if n != 1 else "deliveries",
                    "failed": status == "failed",
                    "status": status,
                    "description": f"Export {eid}",
                    "downloads": 1 if status == "done" else 0,
                    "created_at": created,
                    "updated_at": created + 300,
                }
            )
        self.webhooks = [
            {
                "id": 4,
                "name": "warehouse events",
                "type": "webhook",
                "endpoint": "https://hooks.example.org/cio",
                "events": ["email_sent", "email_opened", "email_clicked"],
                "disabled": False,
                "full_resolution": True,
                "with_content": False,
            },
            {
                "id": 5,
                "name": "old sink",
                "type": "webhook",
                "endpoint": "https://old.example.org/hook",
                "events": ["email_bounced"],
                "disabled": True,
                "full_resolution": False,
                "with_content": True,
            },
        ]
        self.topics = [
            {
                "id": 1,
                "identifier": "topic_1",
                "name": "Tips",
                "description": "Weekly tips",
                "subscribed_by_default": False,
            },
            {
                "id": 2,
                "identifier": "topic_2",
                "name": "Product news",
                "description": "Monthly product updates",
                "subscribed_by_default": True,
            },
        ]
        #: Custom channels of the subscription center (`GET /v1/subscription_channels`, records key `channels`;
        #: documented since the project's copy of the OpenAPI document: docs/contract/customerio/extra-tables.md).
        self.channels = [
            {"id": 1, "name": "Email", "description": "Messages by email", "type": "email",
             "subscribed_by_default": True},
            {"id": 2, "name": "Text messages", "description": "SMS from our numbers", "type": "sms",
             "subscribed_by_default": False},
            {"id": 3, "name": "Push", "description": "App notifications", "type": "push",
             "subscribed_by_default": True},
        ]  # fmt: skip
        #: Reusable content (`GET /v1/snippets`): one like the OpenAPI example, one HTML-free, one never updated
        #: since the workspace began (docs/contract/customerio/extra-tables.md, snippets).
        self.snippets = [
            {
                "name": "address",
                "value": "<strong>My Company</strong></br>1234 Fake St<br/>Fake,NY<br/>10111",
                "updated_at": clamp(base + 10 * DAY),
            },
            {"name": "footer_text", "value": "You signed up for this.", "updated_at": clamp(now - DAY)},
            {"name": "unsubscribe link", "value": "{% unsubscribe_url %}", "updated_at": clamp(base)},
        ]
        self.ip_addresses = ["34.29.50.21", "35.188.196.183", "104.198.177.219", "104.154.232.87"]
        self.workspace_id = 98123 + spec.seed
        self.workspace_name = spec.workspace_name

    def test_groups(self, newsletter: dict[str, Any]) -> list[dict[str, Any]] | None:
        """A/B groups numbered from 0 inside each newsletter; ``None`` for a newsletter without a test."""
        contents = newsletter["content_ids"]
        if len(contents) < 2:
            return None
        return [
            {
                "id": g,
                "name": chr(ord("A") + g),
                "label": f"variant {g + 1}",
                "winner": g == 0 and newsletter["sent_at"] is not None,
                "content_ids": [c],
            }
            for g, c in enumerate(contents)
        ]

    def links(self, pid: int, sub: int | None) -> list[tuple[dict[str, Any], int]]:
        """The tracked links of a parent (or of one of its actions), each with the share of a step's deliveries
        that click it: ``(link, one in how many)``. Every third parent has no links at all."""
        seed = mix(self.spec.seed, pid, sub or 0)
        if seed % 3 == 0:
            return []
        hrefs = ("https://example.org/pricing", "https://docs.example.org/start", "mailto:help@example.org")
        return [
            ({"id": 1000 + (seed + k * 7919) % 9000, "href": hrefs[k]}, 5 + 3 * k) for k in range(1 + seed % 3)
        ]

    def collection_content(self, collection: dict[str, Any]) -> list[dict[str, Any]]:
        """A collection's ``data``: one JSON object per row, with the fields of its ``schema``
        (``getCollectionContents``); the rows' shapes differ between collections, and within one."""
        cid, rows = collection["id"], collection["rows"]
        if cid == 3:
            cities = ("Lisbon", "Austin", "Osaka", "Lagos")
            return [
                {"city": cities[k % 4], "slug": f"store-{k}"}
                | ({"opening_hours": {"mon": "9-17", "sat": "10-14"}} if k % 3 else {})
                for k in range(rows)
            ]
        return [
            {"eventName": name, "eventDate": f"2026-{12 - k:02d}-25T12:00:00.000Z"}
            for k, name in enumerate(("christmas", "launch")[:rows])
        ]

    def transactional_variants(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The contents of a transactional message (``listTransactionalVariants``): its default content, and a
        German one for every second message."""
        tid = message["id"]
        languages = ("", "de") if tid % 2 else ("",)
        return [
            {
                "id": 10 * tid + k,
                "name": f"{message['name']} {language or 'default'}",
                "created": message["created_at"],
                "updated": message["updated_at"] + k * DAY,
                "body": f"<p>{message['name']}</p>",
                "language": language,
                "type": "email",
                "from": "service@example.org",
                "from_id": 1,
                "reply_to": "",
                "reply_to_id": 0,
                "preprocessor": "premailer",
                "recipient": "{{customer.email}}",
                "subject": message["name"].capitalize(),
                "bcc": "",
                "fake_bcc": False,
                "preheader_text": "",
                "headers": {},
                "body_amp": "",
            }
            for k, language in enumerate(languages)
        ]

    def newsletter_variants(self, newsletter: dict[str, Any]) -> list[dict[str, Any]]:
        """The contents of a newsletter (``listNewsletterVariants``): one per content id, A/B variants or
        languages (the second content of a three-content newsletter is its French version)."""
        nid, updated = newsletter["id"], newsletter["updated"]
        contents = newsletter["content_ids"]
        return [
            {
                "id": c,
                "newsletter_id": nid,
                "deduplicate_id": f"{c}:{updated}",
                "name": f"Newsletter {nid} variant {chr(ord('A') + k)}",
                "layout": "<html><body>{{ content }}</body></html>",
                "body": f"<strong>Newsletter {nid}</strong>",
                "language": "fr" if len(contents) == 3 and k == 1 else "",
                "type": "email",
                "from": "news@example.org",
                "from_id": (1, 2, 4)[k % 3],  # the third content sends from a hidden sender identity
                "reply_to": "replyto@example.org",
                "reply_to_id": None if k else 2,
                "preprocessor": "premailer",
                "recipient": "{{customer.email}}",
                "subject": f"Newsletter {nid}",
                "bcc": "",
                "fake_bcc": False,
                "preheader_text": "",
                "headers": [],
            }
            for k, c in enumerate(contents)
        ]

    def workspaces(self, people: int, objects: int, object_types: int, sent: int) -> list[dict[str, Any]]:
        return [
            {
                "id": self.workspace_id,
                "name": self.workspace_name,
                "messages_sent": sent,
                "billable_messages_sent": sent * 5 // 6,
                "people": people,
                "object_types": object_types,
                "objects": objects,
            },
            {
                "id": self.workspace_id + 1,
                "name": "Staging",
                "messages_sent": 12,
                "billable_messages_sent": 0,
                "people": 3,
                "object_types": 0,
                "objects": 0,
            },
        ]
