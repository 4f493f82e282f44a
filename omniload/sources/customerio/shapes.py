"""Table-specific rules that turn an API record into a contract row (docs/contract/customerio/tables.md
section 4, "Row").

Each returns the row, or None to drop a record that cannot be a row. Parent fields (`campaign_id`, `customer_id`,
…) are set by the engine before these run.
"""

from __future__ import annotations

import logging
from typing import Any

from omniload.arrow import coerce

log = logging.getLogger("omniload")


def action(row: dict[str, Any]) -> dict[str, Any] | None:
    """A campaign or broadcast action without an id cannot be keyed or joined to its metrics."""
    if row.get("id") in (None, ""):
        parent = row.get("campaign_id") or row.get("broadcast_id")
        log.warning("skipping an action without an id (parent %s)", parent)
        return None
    return row


def person(record: dict[str, Any]) -> dict[str, Any]:
    """`email` is absent in id-only workspaces; the row still has the column, as null. The cio_id is text even
    where an example shows a number, since it keys every person read that follows."""
    return {"cio_id": coerce(record.get("cio_id"), str), "id": record.get("id"), "email": record.get("email")}


def person_attributes(record: dict[str, Any]) -> dict[str, Any] | None:
    """Items come flat (observed) or wrapped in `customer` (OpenAPI example); the cio_id keys the row."""
    wrapped = record.get("customer")
    item: dict[str, Any] = wrapped if isinstance(wrapped, dict) else record
    identifiers = item.get("identifiers") or {}
    cio_id = identifiers.get("cio_id") or (item.get("attributes") or {}).get("cio_id")
    if cio_id in (None, ""):
        log.warning("customer_attributes: skipping an item without a cio_id")
        return None
    return {"customer_id": cio_id, **item}


def segment_member(record: dict[str, Any]) -> dict[str, Any] | None:
    """A membership identifier (`{email, id, cio_id}`) under its segment; `email` is absent in id-only
    workspaces, and a cio_id may arrive as a number (docs/contract/customerio/extra-tables.md)."""
    cio_id = coerce(record.get("cio_id"), str)
    if cio_id in (None, ""):
        log.warning("segment_memberships: skipping a member without a cio_id (segment %s)", record["segment_id"])
        return None
    return {
        "segment_id": record.get("segment_id"),
        "cio_id": cio_id,
        "id": record.get("id"),
        "email": record.get("email"),
    }


def relationship(record: dict[str, Any]) -> dict[str, Any]:
    identifiers = record.get("identifiers") or {}
    object_id = identifiers.get("object_id") or identifiers.get("cio_object_id")
    return {
        "customer_id": record.get("customer_id"),
        "object_type_id": record.get("object_type_id"),
        "object_id": object_id,
        **{key: value for key, value in record.items() if key not in ("customer_id", "object_type_id")},
    }


def ip_address(record: Any) -> dict[str, Any]:
    return {"ip": record}


def object_identity(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "object_type_id": record.get("object_type_id"),
        "object_id": record.get("object_id"),
        "cio_object_id": record.get("cio_object_id"),
    }


def trigger_error(record: dict[str, Any]) -> dict[str, Any]:
    """A broadcast trigger's error arrives as a bare string (`line <x>: <error text>`), set under `value` beside
    the trigger's ids (docs/contract/customerio/extra-tables.md, broadcast_trigger_errors)."""
    return {"broadcast_id": record["broadcast_id"], "trigger_id": record["trigger_id"], "error": record["value"]}


def optouts(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A person's opt-outs (`{cio_id, customer_id, optouts: [{channel, from}]}`), one row each; `from` becomes
    `sender`, a name SQL need not quote (docs/contract/customerio/extra-tables.md, optouts)."""
    person = {"cio_id": coerce(record.get("cio_id"), str), "customer_id": record.get("customer_id")}
    if person["cio_id"] in (None, ""):
        log.warning("optouts: skipping a record without a cio_id")
        return []
    entries = [entry for entry in record.get("optouts") or [] if isinstance(entry, dict)]
    return [{**person, "channel": entry.get("channel"), "sender": entry.get("from")} for entry in entries]


def object_member(record: dict[str, Any]) -> dict[str, Any] | list[dict[str, Any]] | None:
    """A person related to an object, under the object's ids: the object type from the parent (a string, as in
    `objects`), the person's identifiers flattened (docs/contract/customerio/extra-tables.md,
    object_relationships). The OpenAPI example gives each item as an array of people: each is read."""
    if isinstance(record.get("value"), list):
        parent = {"object_type_id": record["object_type_id"], "object_id": record["object_id"]}
        people = [object_member({**item, **parent}) for item in record["value"] if isinstance(item, dict)]
        return [row for row in people if isinstance(row, dict)]
    identifiers = record.get("identifiers") or {}
    cio_id = coerce(identifiers.get("cio_id"), str)
    if cio_id in (None, ""):
        log.warning("object_relationships: skipping a person without a cio_id (object %s)", record["object_id"])
        return None
    return {
        "object_type_id": record["object_type_id"],
        "object_id": record["object_id"],
        "cio_id": cio_id,
        "id": identifiers.get("id"),
        "email": identifiers.get("email"),
        "object_type_disabled": record.get("object_type_disabled"),
    }


#: The delivery fields a survey answer keeps beside its own.
SURVEY_DELIVERY = ("created", "campaign_id", "action_id", "broadcast_id", "newsletter_id", "customer_identifiers")


def survey_answers(delivery: dict[str, Any]) -> list[dict[str, Any]]:
    """A delivery's `tracked_responses` (`{option name: value}`, absent without answers), one row per option
    under the delivery's id (docs/contract/customerio/extra-tables.md, survey_responses)."""
    answers = delivery.get("tracked_responses")
    if not isinstance(answers, dict):
        return []
    kept = {name: delivery.get(name) for name in SURVEY_DELIVERY}
    return [
        {"message_id": delivery.get("id"), "response": option, "value": value, **kept}
        for option, value in answers.items()
    ]


def person_preferences(record: dict[str, Any]) -> dict[str, Any]:
    """A person's subscription preferences under the person's cio_id (the parent's `customer_id`), their
    identifiers flattened; `topics` and `header` as they arrive (docs/contract/customerio/extra-tables.md,
    customer_subscription_preferences)."""
    identifiers = record.get("identifiers") or {}
    return {
        "customer_id": record["customer_id"],
        "id": identifiers.get("id", record.get("id")),
        "email": identifiers.get("email"),
        "unsubscribed": record.get("unsubscribed"),
        "topics": record.get("topics"),
        "header": record.get("header"),
    }
