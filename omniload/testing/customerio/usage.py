"""What uses a segment or a sender identity (issue 20; docs/contract/customerio/extra-tables.md,
segment_dependencies and sender_identity_usage), derived from the workspace's own records so the answers agree
with the campaigns and newsletters the fake serves.

A segment is used by the campaigns it triggers or filters and by the newsletters sent (or drafted) to it
(`getSegmentDependencies`); a sender identity by the campaigns whose actions send from it and the newsletters
whose contents do (`getSenderUsage`). Each answer lists the three kinds the OpenAPI document names, empty ones
included.
"""

from __future__ import annotations

from typing import Any

from .catalog import Catalog


def segment_usage(catalog: Catalog, segment_id: int) -> dict[str, list[int]]:
    campaigns = [
        c["id"]
        for c in catalog.campaigns
        if segment_id in (*c.get("trigger_segment_ids", ()), *c["filter_segment_ids"])
    ]
    newsletters = [n for n in catalog.newsletters if segment_id in n["recipient_segment_ids"]]
    return _by_kind(campaigns, newsletters)


def sender_usage(catalog: Catalog, sender_id: int) -> dict[str, list[int]]:
    actions = catalog.campaign_actions
    campaigns = [c["id"] for c in catalog.campaigns if any(a["from_id"] == sender_id for a in actions[c["id"]])]
    newsletters = [
        n for n in catalog.newsletters if any(v["from_id"] == sender_id for v in catalog.newsletter_variants(n))
    ]
    return _by_kind(campaigns, newsletters)


def _by_kind(campaigns: list[int], newsletters: list[dict[str, Any]]) -> dict[str, list[int]]:
    return {
        "campaigns": campaigns,
        "sent_newsletters": [n["id"] for n in newsletters if n["sent_at"] is not None],
        "draft_newsletters": [n["id"] for n in newsletters if n["sent_at"] is None],
    }
