"""SMS and WhatsApp opt-outs per person (`GET /v1/optouts`; issue 20, docs/contract/customerio/extra-tables.md,
optouts), a read documented since the project's copy of the OpenAPI document.

One person in `EVERY` has opted out of texts from one of the workspace's numbers, every third of those also of
WhatsApp, and every fifth of two numbers; a person's record lists each `{channel, from}` (public docs; estuary's
`source-customer-io` probes, 2026-09).
"""

from __future__ import annotations

from typing import Any

from .people import People

EVERY = 40
#: The sender numbers people opt out of, in E.164.
NUMBERS = ("+15551234567", "+15557654321")


def opted_out(people: People) -> list[int]:
    """The people with opt-outs, in the order the endpoint lists them."""
    return list(range(3, people.count, EVERY))


def record(people: People, i: int) -> dict[str, Any]:
    """A person's opt-out record: `{cio_id, customer_id, optouts: [{channel, from}]}`."""
    k = i // EVERY
    channels = [{"channel": "sms", "from": NUMBERS[k % 2]}]
    if k % 3 == 0:
        channels.append({"channel": "whatsapp", "from": NUMBERS[k % 2]})
    if k % 5 == 0:
        channels.append({"channel": "sms", "from": NUMBERS[(k + 1) % 2]})
    return {"cio_id": people.cio_id(i), "customer_id": people.person_id(i), "optouts": channels}
