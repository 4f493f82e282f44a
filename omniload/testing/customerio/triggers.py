"""The triggers of API-triggered broadcasts and the errors each left (issue 20; docs/contract/customerio/
extra-tables.md, broadcast_triggers and broadcast_trigger_errors).

Each broadcast that has started was triggered a few times, a week apart from its first start; a draft never was.
The last trigger of every second broadcast is not processed yet (`processed_at` null). Some triggers left
audience errors in the `line <x>: <error text>` form the OpenAPI document gives (`broadcastErrors`), one trigger
more than a page of them, so a read must follow `next`; the others none.
"""

from __future__ import annotations

from typing import Any

from .clock import DAY

#: The error texts a trigger's audience rows may draw, in turn.
_PROBLEMS = ("missing email or id", "unknown attribute 'plan'", "invalid timestamp in 'trial_ends'")


def broadcast_triggers(broadcast: dict[str, Any], now: int) -> list[dict[str, Any]]:
    """`listBroadcastTriggers`: every time the broadcast was triggered, oldest first."""
    started = broadcast["first_started"]
    if not started:
        return []
    bid = broadcast["id"]
    count = 1 + bid % 3
    created = [min(now - 3600, started + k * 7 * DAY) for k in range(count)]
    return [
        {
            "id": 100 * bid + k,
            "broadcast_id": bid,
            "created_at": at,
            "processed_at": None if k == count - 1 and bid % 2 else at + 60,
        }
        for k, at in enumerate(created)
    ]


def trigger_errors(trigger: dict[str, Any]) -> list[str]:
    """`broadcastErrors`: the audience errors of one trigger; the first trigger of every broadcast whose id is a
    multiple of 3 has 23 of them (more than the fake's default page of 10), every third trigger 2, others none."""
    tid = trigger["id"]
    count = 23 if tid % 100 == 0 and trigger["broadcast_id"] % 3 == 0 else 2 if tid % 3 == 1 else 0
    return [f"line {2 + 3 * n}: {_PROBLEMS[n % len(_PROBLEMS)]}" for n in range(count)]
