"""A seeded, deterministic Customer.io workspace and the rows a correct load of it produces.

``Workspace`` is what both the server and the tests read: the server builds pages from it on demand, and the
tests compare what the client loaded with ``rows()``/``expected_keys()``. Everything is a function of
``(spec, now, day)``, so two instances built alike serve identical data.

Day 0 is the workspace as the seed makes it at ``now``; ``advance_days`` moves it whole days on, each day
changing people, relationships, objects, deliveries and the catalog lists and logging every change in the
activity log (``days``; docs/contract/customerio/changes.md section 6). ``now`` is then the end of the current
day (day 0's ``now`` plus ``day`` days), the time a run "that night" would have.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from typing import Any

from . import archive, design_studio, optouts, preferences, surveys, triggers, usage
from .catalog import Catalog, Parent
from .clock import DAY, MONTH_SECONDS, V1_MAX_STEPS, periods_between
from .days import Day
from .deliveries import RETENTION, Activities, DeliveryFactory, Timeline
from .people import Objects, People
from .spec import WorkspaceSpec

#: Contract primary keys (docs/contract/customerio/tables.md section 1), in column order.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "activities": ("id",),
    "broadcasts": ("id",),
    "broadcast_actions": ("id",),
    "broadcast_action_metrics": ("broadcast_id", "action_id", "period", "step_index"),
    "broadcast_messages": ("id",),
    "broadcast_metrics": ("broadcast_id", "period", "step_index"),
    "campaigns": ("id",),
    "campaign_actions": ("id",),
    "campaign_action_metrics": ("campaign_id", "action_id", "period", "step_index"),
    "campaign_messages": ("id",),
    "campaign_metrics": ("campaign_id", "period", "step_index"),
    "collections": ("id",),
    "collection_contents": ("collection_id", "item_index"),
    "customers": ("cio_id",),
    "customer_activities": ("id",),
    "customer_attributes": ("customer_id",),
    "customer_messages": ("id",),
    "customer_relationships": ("customer_id", "object_type_id", "object_id"),
    "esp_suppressions": ("suppression_type", "email"),
    "exports": ("id",),
    "info_ip_addresses": ("ip",),
    "messages": ("id",),
    "newsletters": ("id",),
    "newsletter_metrics": ("newsletter_id", "period", "step_index"),
    "newsletter_test_groups": ("id",),
    "newsletter_variants": ("id",),
    "newsletter_variant_metrics": ("newsletter_id", "content_id", "period", "step_index"),
    "object_types": ("id",),
    "objects": ("object_type_id", "object_id"),
    "reporting_webhooks": ("id",),
    "segments": ("id",),
    "segment_memberships": ("segment_id", "cio_id"),
    "snippets": ("name",),
    "sender_identities": ("id",),
    "subscription_topics": ("id",),
    "transactional_messages": ("id",),
    "transactional_metrics": ("transactional_id", "period", "step_index"),
    "transactional_variants": ("id",),
    "campaign_journey_metrics": ("campaign_id", "period", "step_index"),
    "campaign_link_metrics": ("campaign_id", "link_id", "period", "step_index"),
    "campaign_action_link_metrics": ("campaign_id", "action_id", "link_id", "period", "step_index"),
    "broadcast_link_metrics": ("broadcast_id", "link_id", "period", "step_index"),
    "broadcast_action_link_metrics": ("broadcast_id", "action_id", "link_id", "period", "step_index"),
    "newsletter_link_metrics": ("newsletter_id", "link_id", "period", "step_index"),
    "transactional_link_metrics": ("transactional_id", "link_id", "period", "step_index"),
    "workspaces": ("id",),
    "newsletter_messages": ("id",),
    "transactional_deliveries": ("id",),
    "broadcast_triggers": ("id",),
    "broadcast_trigger_errors": ("broadcast_id", "trigger_id", "error"),
    "segment_dependencies": ("segment_id", "used_by", "used_by_id"),
    "sender_identity_usage": ("sender_id", "used_by", "used_by_id"),
    "optouts": ("cio_id", "channel", "sender"),
    "object_relationships": ("object_type_id", "object_id", "cio_id"),
    "survey_responses": ("message_id", "response"),
    "customer_subscription_preferences": ("customer_id",),
    "message_contents": ("id",),
    "subscription_channels": ("id",),
    "design_studio_emails": ("id",),
    "design_studio_components": ("id",),
    "design_studio_folders": ("id",),
}
METRICS_TABLES = (
    "broadcast_metrics",
    "broadcast_action_metrics",
    "newsletter_metrics",
    "campaign_metrics",
    "campaign_action_metrics",
    "transactional_metrics",
    "newsletter_variant_metrics",
    "campaign_journey_metrics",
    *(f"{kind}_link_metrics" for kind in ("campaign", "campaign_action", "broadcast", "broadcast_action")),
    "newsletter_link_metrics",
    "transactional_link_metrics",
)
#: Version 2 metrics: their steps run from the campaign's creation to the client's run time.
V2_TABLES = ("campaign_metrics", "campaign_action_metrics", "campaign_journey_metrics")

_TOUCH = {
    "campaign": ("campaigns", "updated"),
    "broadcast": ("broadcasts", "updated"),
    "newsletter": ("newsletters", "updated"),
    "segment": ("segments", "updated_at"),
    "collection": ("collections", "updated_at"),
    "export": ("exports", "updated_at"),
    "transactional": ("transactional", "updated_at"),
}


class Workspace:
    """Seeded workspace anchored at ``now`` (Unix seconds; default: the current minute)."""

    def __init__(self, spec: WorkspaceSpec | None = None, now: int | None = None) -> None:
        self.spec = spec or WorkspaceSpec()
        #: True when ``now`` was given; the fake then serves it with a clock that ticks from ``now``.
        self.now_explicit = now is not None
        self.now = int(now) if now is not None else int(time.time()) // 60 * 60
        #: Day 0's ``now``: the seeded data is anchored there, whatever day the workspace is on.
        self.start = self.now
        #: Whole days moved on since day 0 (``advance_days``).
        self.day = 0
        s = self.spec
        self.people = People(s, self.now)
        self.objects = Objects(s)
        self.people.objects_gone = self.objects.gone
        self.catalog = Catalog(s, self.now)
        self.timeline = Timeline(
            s.deliveries,
            self.catalog.t0,
            self.now,
            self.catalog.parents,
            self.people,
            s.seed,
            s.null_identifiers_every,
        )
        self.deliveries = DeliveryFactory(self.timeline, self.people, s.seed)
        self.deliveries.metrics_now = self.now
        self.activities = Activities(
            s.activities, s.activity_days, self.now, self.people, self.timeline, s.seed, s.null_identifiers_every
        )
        self._parents = {(p.kind, p.id): p for p in self.catalog.parents}

    # -- lookups used by the routes ------------------------------------------------------------------------------
    def campaign(self, cid: int) -> dict[str, Any] | None:
        return next((c for c in self.catalog.campaigns if c["id"] == cid), None)

    def broadcast(self, bid: int) -> dict[str, Any] | None:
        return next((b for b in self.catalog.broadcasts if b["id"] == bid), None)

    def newsletter(self, nid: int) -> dict[str, Any] | None:
        return next((n for n in self.catalog.newsletters if n["id"] == nid), None)

    def parent(self, kind: str, pid: int) -> Parent | None:
        return self._parents.get((kind, pid))

    def metric_counts(self, kind: str, pid: int, sub_id: int | None, bounds: list[int]) -> list[int]:
        """Deliveries of a parent created in each [bounds[k], bounds[k+1])."""
        parent = self.parent(kind, pid)
        if parent is None:
            return [0] * (len(bounds) - 1)
        tl = self.timeline
        idx = [tl.first_at_or_after(b) for b in bounds]
        return [tl.count_parent(parent, sub_id, idx[k], idx[k + 1]) for k in range(len(bounds) - 1)]

    # -- change hooks --------------------------------------------------------------------------------------------
    def advance_days(self, n: int = 1, *, unlogged: float = 0.0) -> None:
        """Move the workspace ``n`` whole days on: ``now`` and the delivery metrics time move by ``n`` days and
        each day's changes are applied and logged (``days``). ``unlogged``: the share of each day's attribute
        changes applied but left out of the activity log. Deterministic from the seed and the day number."""
        if n < 0:
            raise ValueError("days only move forward")
        if not 0.0 <= unlogged <= 1.0:
            raise ValueError("unlogged is a share between 0 and 1")
        for _ in range(n):
            self.day += 1
            self.now += DAY
            self.deliveries.metrics_now += DAY
            self.timeline.extend(self.day)
            Day(self, self.day, unlogged).apply()

    def update_records(
        self,
        *,
        advance: int = 0,
        touch: Iterable[tuple[str, int]] = (),
        at: int | None = None,
        deliveries: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> None:
        """Change records between runs.

        ``advance`` moves the time up to which delivery ``metrics`` are visible (opens and clicks "arrive").
        ``touch`` sets ``updated``/``updated_at`` of ``(kind, id)`` records (kinds: campaign, broadcast,
        newsletter, segment, collection, export, transactional, campaign_action, broadcast_action) to ``at``
        (default: the new metrics time). ``deliveries`` overrides fields of delivery records by index.
        """
        self.deliveries.metrics_now += advance
        stamp = self.deliveries.metrics_now if at is None else at
        for kind, rid in touch:
            if kind in ("campaign_action", "broadcast_action"):
                table = (
                    self.catalog.campaign_actions if kind == "campaign_action" else self.catalog.broadcast_actions
                )
                recs = [a for acts in table.values() for a in acts if a["id"] == rid]
                field = "updated"
            else:
                name, field = _TOUCH[kind]
                recs = [r for r in getattr(self.catalog, name) if r["id"] == rid]
            if not recs:
                raise KeyError(f"no {kind} {rid}")
            for rec in recs:
                rec[field] = stamp
                if "deduplicate_id" in rec:
                    rec["deduplicate_id"] = f"{rec['id']}:{stamp}"
        for i, fields in (deliveries or {}).items():
            self.deliveries.overrides.setdefault(i, {}).update(fields)

    # -- expected results ----------------------------------------------------------------------------------------
    def served_activity_range(self, now: int | None = None) -> tuple[int, int]:
        acts = self.activities
        return acts.first_at_or_after((self.now if now is None else now) - RETENTION), acts.count

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Rows a correct full load (no interval) of ``table`` produces, per docs/contract/customerio/tables.md."""
        table = table.split(":", 1)[0]
        if table in METRICS_TABLES:
            raise ValueError(f"{table}: use expected_keys() for metrics tables")
        fn = getattr(self, f"_rows_{table}", None)
        if fn is None:
            raise KeyError(f"unknown table {table!r}")
        return list(fn())

    def expected_keys(self, table: str, period: str | None = None, end: int | None = None) -> set[tuple[Any, ...]]:
        """PK tuples (contract column order) of a correct full load; ``end`` is the client's run time (v2)."""
        if ":" in table:
            table, period = table.split(":", 1)
        if table not in METRICS_TABLES:
            pk = PRIMARY_KEYS[table]
            return {tuple(r[c] for c in pk) for r in self.rows(table)}
        if period not in V1_MAX_STEPS:
            raise ValueError("metrics tables need period= hours|days|weeks|months")
        keys: set[tuple[Any, ...]] = set()
        cat = self.catalog
        if table.endswith("_link_metrics"):
            return self._link_keys(table, period)
        if table not in V2_TABLES:  # version 1: the last maximum of steps
            steps = range(V1_MAX_STEPS[period])
            if table == "newsletter_metrics":
                keys = {(n["id"], period, i) for n in cat.newsletters for i in steps}
            elif table == "broadcast_metrics":
                keys = {(b["id"], period, i) for b in cat.broadcasts for i in steps}
            elif table == "transactional_metrics":
                keys = {(t["id"], period, i) for t in cat.transactional for i in steps}
            elif table == "newsletter_variant_metrics":
                keys = {(n["id"], c, period, i) for n in cat.newsletters for c in n["content_ids"] for i in steps}
            else:
                keys = {(b["id"], a["id"], period, i) for b in cat.broadcasts for a in b["actions"] for i in steps}
            return keys
        if end is None:
            raise ValueError("version 2 metrics need end= (the client's run time)")
        for c in cat.campaigns:
            n = periods_between(c["created"], end, period)
            if table in ("campaign_metrics", "campaign_journey_metrics"):
                keys |= {(c["id"], period, i) for i in range(n)}
            else:
                keys |= {(c["id"], a["id"], period, i) for a in c["actions"] for i in range(n)}
        return keys

    def _link_keys(self, table: str, period: str) -> set[tuple[Any, ...]]:
        """Per parent (or parent and action) of the table, each of its links in each of the last maximum of
        steps (docs/contract/customerio/extra-tables.md, link metrics); a parent without links has no rows."""
        cat = self.catalog
        owners: dict[str, list[tuple[int, ...]]] = {
            "campaign": [(c["id"],) for c in cat.campaigns],
            "campaign_action": [(c["id"], a["id"]) for c in cat.campaigns for a in c["actions"]],
            "broadcast": [(b["id"],) for b in cat.broadcasts],
            "broadcast_action": [(b["id"], a["id"]) for b in cat.broadcasts for a in b["actions"]],
            "newsletter": [(n["id"],) for n in cat.newsletters],
            "transactional": [(t["id"],) for t in cat.transactional],
        }
        steps = range(V1_MAX_STEPS[period])
        return {
            (*ids, link["id"], period, i)
            for ids in owners[table.removesuffix("_link_metrics")]
            for link, _ in cat.links(ids[0], ids[1] if len(ids) > 1 else None)
            for i in steps
        }

    # per-table row builders -------------------------------------------------------------------------------------
    def _all_deliveries(self) -> list[dict[str, Any]]:
        return self.deliveries.records(range(self.timeline.count - 1, -1, -1))

    def _rows_messages(self) -> list[dict[str, Any]]:
        return self._all_deliveries()

    def _rows_campaign_messages(self) -> list[dict[str, Any]]:
        """The deliveries of the campaigns listed today (a deleted campaign's stay only in ``messages``)."""
        live = {c["id"] for c in self.catalog.campaigns}
        return [r for r in self._all_deliveries() if r["campaign_id"] in live]

    def _rows_broadcast_messages(self) -> list[dict[str, Any]]:
        live = {b["id"] for b in self.catalog.broadcasts}
        return [r for r in self._all_deliveries() if r["broadcast_id"] in live]

    def _rows_newsletter_messages(self) -> list[dict[str, Any]]:
        live = {n["id"] for n in self.catalog.newsletters}
        return [r for r in self._all_deliveries() if r["newsletter_id"] in live]

    def _rows_transactional_deliveries(self) -> list[dict[str, Any]]:
        live = {t["id"] for t in self.catalog.transactional}
        return [r for r in self._all_deliveries() if r["transactional_message_id"] in live]

    def _rows_broadcast_triggers(self) -> list[dict[str, Any]]:
        return [t for b in self.catalog.broadcasts for t in triggers.broadcast_triggers(b, self.now)]

    def _rows_broadcast_trigger_errors(self) -> list[dict[str, Any]]:
        """One row per error of each trigger (docs/contract/customerio/extra-tables.md)."""
        return [
            {"broadcast_id": t["broadcast_id"], "trigger_id": t["id"], "error": error}
            for t in self._rows_broadcast_triggers()
            for error in triggers.trigger_errors(t)
        ]

    def _rows_segment_dependencies(self) -> list[dict[str, Any]]:
        return [
            {"segment_id": s["id"], "used_by": kind, "used_by_id": used}
            for s in self.catalog.segments
            for kind, ids in usage.segment_usage(self.catalog, s["id"]).items()
            for used in ids
        ]

    def _rows_sender_identity_usage(self) -> list[dict[str, Any]]:
        return [
            {"sender_id": s["id"], "used_by": kind, "used_by_id": used}
            for s in self.catalog.senders
            for kind, ids in usage.sender_usage(self.catalog, s["id"]).items()
            for used in ids
        ]

    def _rows_object_relationships(self) -> list[dict[str, Any]]:
        """The people of each object, in the order of the object search and of the people
        (docs/contract/customerio/extra-tables.md, object_relationships)."""
        related: dict[tuple[int, int], list[int]] = {}
        for i in range(self.people.count):
            for pair in self.people.relationships(i):
                related.setdefault(pair, []).append(i)
        o = self.objects
        return [
            {"object_type_id": str(t), "object_id": o.object_id(t, j), "cio_id": ident["cio_id"],
             "id": ident["id"], "email": ident.get("email"), "object_type_disabled": False}
            for t in range(1, o.types + 1)
            for j in range(o.per_type)
            for ident in map(self.people.identifiers, related.get((t, j), []))
        ]  # fmt: skip

    def _rows_survey_responses(self) -> list[dict[str, Any]]:
        """One row per answer of each delivery (docs/contract/customerio/extra-tables.md, survey_responses)."""
        return [
            {"message_id": d["id"], "response": option, "value": value, "created": d["created"]}
            for d in self._all_deliveries()
            for option, value in (surveys.tracked_responses(d) or {}).items()
        ]

    def _rows_customer_subscription_preferences(self) -> list[dict[str, Any]]:
        """One row per person (docs/contract/customerio/extra-tables.md, customer_subscription_preferences)."""
        rows = []
        for i in range(self.people.count):
            answer = preferences.preferences(self.people, self.catalog.topics, i, self.spec.seed)
            ident = answer["identifiers"]
            rows.append({"customer_id": ident["cio_id"], "id": answer["id"], "email": ident.get("email"),
                         "unsubscribed": answer["unsubscribed"], "topics": answer["topics"],
                         "header": answer["header"]})  # fmt: skip
        return rows

    def _rows_message_contents(self) -> list[dict[str, Any]]:
        """A first run's rows: the archived copies of the 100 newest deliveries of the listing's default window,
        the 6 months before now (docs/contract/customerio/extra-tables.md, message_contents)."""
        recent = [d for d in self._all_deliveries() if d["created"] >= self.now - 6 * MONTH_SECONDS]
        return [archive.archived(self, self.timeline.count - 1 - k) for k in range(len(recent[: archive.PER_DAY]))]

    def _rows_optouts(self) -> list[dict[str, Any]]:
        """One row per person and opt-out, `from` as `sender` (docs/contract/customerio/extra-tables.md)."""
        records = [optouts.record(self.people, i) for i in optouts.opted_out(self.people)]
        return [
            {"cio_id": r["cio_id"], "customer_id": r["customer_id"], "channel": o["channel"], "sender": o["from"]}
            for r in records
            for o in r["optouts"]
        ]

    def _rows_subscription_channels(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.channels)

    def _rows_design_studio_emails(self) -> list[dict[str, Any]]:
        return design_studio.emails(self.spec.seed, self.catalog.t0, self.now)

    def _rows_design_studio_components(self) -> list[dict[str, Any]]:
        return design_studio.components(self.spec.seed, self.catalog.t0, self.now)

    def _rows_design_studio_folders(self) -> list[dict[str, Any]]:
        return design_studio.folders(self.spec.seed, self.catalog.t0)

    def _rows_customer_messages(self) -> list[dict[str, Any]]:
        """Every delivery of a person, as the per-person reads return it, including those whose
        ``customer_identifiers`` is null (tables.md 5, item 1); ``customer_id`` is the person's cio_id."""
        newest_first = range(self.timeline.count - 1, -1, -1)
        return self._person_rows(self._all_deliveries(), map(self.timeline.person_of, newest_first))

    def _rows_activities(self) -> list[dict[str, Any]]:
        lo, hi = self.served_activity_range()
        return [self.activities.record(j) for j in range(hi - 1, lo - 1, -1)]

    def _rows_customer_activities(self) -> list[dict[str, Any]]:
        """Like ``_rows_customer_messages`` (tables.md 5, item 2)."""
        lo, hi = self.served_activity_range()
        newest_first = range(hi - 1, lo - 1, -1)
        return self._person_rows(self._rows_activities(), map(self.activities.person_of, newest_first))

    def _person_rows(self, records: list[dict[str, Any]], persons: Iterable[int | None]) -> list[dict[str, Any]]:
        """The records that belong to a person still in the workspace, with ``customer_id`` set to that person's
        cio_id."""
        return [
            {**record, "customer_id": self.people.cio_id(person)}
            for record, person in zip(records, persons, strict=True)
            if person is not None and self.people.exists(person)
        ]

    def _rows_customers(self) -> list[dict[str, Any]]:
        p = self.people
        return [{"cio_id": p.cio_id(i), "id": p.person_id(i), "email": p.email(i)} for i in p.live()]

    def _rows_customer_attributes(self) -> list[dict[str, Any]]:
        out = []
        for i in self.people.live():
            rec = self.people.attributes(i)
            rec["id"] = self.people.cio_id(i)
            out.append({"customer_id": self.people.cio_id(i), **rec})
        return out

    def _rows_customer_relationships(self) -> list[dict[str, Any]]:
        out = []
        for i in self.people.live():
            cio = self.people.cio_id(i)
            for t, j in self.people.relationships(i):
                rec = self.people.relationship_record(i, t, j, self.objects)
                out.append(
                    {"customer_id": cio, "object_type_id": t, "object_id": rec["identifiers"]["object_id"], **rec}
                )
        return out

    def _rows_campaigns(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.campaigns)

    def _rows_campaign_actions(self) -> list[dict[str, Any]]:
        actions = self.catalog.campaign_actions
        return [copy.deepcopy(a) for c in self.catalog.campaigns for a in actions[c["id"]]]

    def _rows_broadcasts(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.broadcasts)

    def _rows_broadcast_actions(self) -> list[dict[str, Any]]:
        actions = self.catalog.broadcast_actions
        return [copy.deepcopy(a) for b in self.catalog.broadcasts for a in actions[b["id"]]]

    def _rows_newsletters(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.newsletters)

    def _rows_newsletter_test_groups(self) -> list[dict[str, Any]]:
        out = []
        for n in self.catalog.newsletters:
            for g in self.catalog.test_groups(n) or []:
                out.append({"newsletter_id": n["id"], **g})
        return out

    def _rows_newsletter_variants(self) -> list[dict[str, Any]]:
        return [v for n in self.catalog.newsletters for v in self.catalog.newsletter_variants(n)]

    def _rows_collections(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.collections)

    def _rows_collection_contents(self) -> list[dict[str, Any]]:
        """One row per item, the item kept whole (docs/contract/customerio/extra-tables.md)."""
        return [
            {"collection_id": c["id"], "item_index": k, "item": item}
            for c in self.catalog.collections
            for k, item in enumerate(self.catalog.collection_content(c))
        ]

    def _rows_exports(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.exports)

    def _rows_info_ip_addresses(self) -> list[dict[str, Any]]:
        return [{"ip": ip} for ip in self.catalog.ip_addresses]

    def _rows_object_types(self) -> list[dict[str, Any]]:
        return self.objects.type_records()

    def _rows_objects(self) -> list[dict[str, Any]]:
        o = self.objects
        return [
            {"object_type_id": str(t), "object_id": o.object_id(t, j), "cio_object_id": o.cio_object_id(t, j)}
            for t in range(1, o.types + 1)
            for j in o.live(t)
        ]

    def _rows_reporting_webhooks(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.webhooks)

    def _rows_segments(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.segments)

    def _rows_segment_memberships(self) -> list[dict[str, Any]]:
        """One row per (segment, member) as the membership pages list them: manual and empty segments too."""
        p = self.people
        return [
            {"segment_id": s["id"], "cio_id": str(ident["cio_id"]), "id": ident["id"], "email": ident.get("email")}
            for s in self.catalog.segments
            for i in p.live()
            if p.in_segment(i, s["id"])
            for ident in (p.identifiers(i),)
        ]

    def _rows_sender_identities(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.senders)

    def _rows_esp_suppressions(self) -> list[dict[str, Any]]:
        """One row per (type, email): the suppression with the type it was listed under."""
        p = self.people
        return [{"suppression_type": k, **p.suppression(k, i)} for k in p.SUPPRESSIONS for i in p.suppressed(k)]

    def _rows_snippets(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.snippets)

    def _rows_subscription_topics(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.topics)

    def _rows_transactional_variants(self) -> list[dict[str, Any]]:
        """The contents, with the transactional message they belong to."""
        return [
            {"transactional_id": t["id"], **v}
            for t in self.catalog.transactional
            for v in self.catalog.transactional_variants(t)
        ]

    def _rows_transactional_messages(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.catalog.transactional)

    def _rows_workspaces(self) -> list[dict[str, Any]]:
        return self.workspace_list()

    def workspace_list(self) -> list[dict[str, Any]]:
        """The workspaces, this one counting its people, objects and deliveries of today."""
        p, o = self.people, self.objects
        objects = sum(len(o.live(t)) for t in range(1, o.types + 1))
        return self.catalog.workspaces(p.count - len(p.gone), objects, o.types, self.timeline.count)
