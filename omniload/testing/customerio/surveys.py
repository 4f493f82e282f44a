"""In-app survey answers on deliveries (`GET /v1/messages?get_tracked_responses=true`; issue 20,
docs/contract/customerio/extra-tables.md, survey_responses), documented since the project's copy of the OpenAPI
document.

With the flag, an in-app delivery whose person answered its survey carries `tracked_responses`, an object keyed
by response option name; without an answer (and on every other delivery) the key is absent, not null (public
docs; estuary's `source-customer-io` probes, 2026-09). The fake gives one in three in-app deliveries an answer,
each naming one or two options, valued by when the person answered (Unix s).
"""

from __future__ import annotations

from typing import Any

from .hashing import mix

OPTIONS = ("Very satisfied", "Satisfied", "Not satisfied", "Tell me more")


def tracked_responses(delivery: dict[str, Any]) -> dict[str, int] | None:
    """The answers of a delivery record, or None where it has none (the key is then absent)."""
    if delivery.get("type") != "in_app":
        return None
    seed = mix(len(delivery["id"]), *delivery["id"].encode())
    if seed % 3:
        return None
    first = OPTIONS[seed // 3 % 3]
    answered = delivery["created"] + 60 + seed % 3600
    return {first: answered, OPTIONS[3]: answered + 5} if seed // 9 % 4 == 0 else {first: answered}


def with_responses(delivery: dict[str, Any]) -> dict[str, Any]:
    """The delivery as `get_tracked_responses=true` returns it."""
    answers = tracked_responses(delivery)
    return delivery if answers is None else {**delivery, "tracked_responses": answers}
