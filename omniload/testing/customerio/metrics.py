"""Metric series derived from delivery counts per period.

``created``/``sent`` are exact per-period counts of the parent's deliveries (by creation time); the other series
are fixed fractions of them, which is enough for shape and cross-table tests without scanning deliveries.
"""

from __future__ import annotations

SERIES_NAMES = (
    "sent",
    "delivered",
    "opened",
    "human_opened",
    "prefetch_opened",
    "clicked",
    "human_clicked",
    "prefetch_clicked",
    "converted",
    "bounced",
    "spammed",
    "unsubscribed",
    "topic_unsubscribed",
    "attempted",
    "created",
    "deferred",
    "drafted",
    "failed",
    "suppressed",
    "undeliverable",
    "2xx",
    "3xx",
    "4xx",
    "5xx",
)


def derive(counts: list[int]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {name: [] for name in SERIES_NAMES}
    for c in counts:
        bounced, failed = c // 50, c // 100
        delivered = c - bounced - failed
        opened = delivered * 2 // 5
        human_opened = opened * 9 // 10
        clicked = opened // 4
        human_clicked = clicked * 19 // 20
        row = {
            "sent": c,
            "delivered": delivered,
            "opened": opened,
            "human_opened": human_opened,
            "prefetch_opened": opened - human_opened,
            "clicked": clicked,
            "human_clicked": human_clicked,
            "prefetch_clicked": clicked - human_clicked,
            "converted": clicked // 10,
            "bounced": bounced,
            "spammed": c // 500,
            "unsubscribed": c // 200,
            "topic_unsubscribed": c // 1000,
            "attempted": 0,
            "created": c,
            "deferred": 0,
            "drafted": 0,
            "failed": failed,
            "suppressed": 0,
            "undeliverable": 0,
            "2xx": 0,
            "3xx": 0,
            "4xx": 0,
            "5xx": 0,
        }
        for name in SERIES_NAMES:
            out[name].append(row[name])
    return out
