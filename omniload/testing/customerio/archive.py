"""Archived copies of deliveries (`GET /v1/messages/{message_id}/archived_message`, OpenAPI `getArchivedMessage`;
issue 20, docs/contract/customerio/extra-tables.md, message_contents): the message as sent, body included.

The API allows 100 of these requests a day; the fake counts them per day of its clock (`FakeCustomerIO.spend`)
and answers 429 past that. A delivery id is the base64 of `dlv:<seed>:<index>` (`hashing.delivery_id`).
"""

from __future__ import annotations

import binascii
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the workspace builds its truth from this module too
    from .workspace import Workspace

PER_DAY = 100


def index_of(ws: Workspace, message_id: str) -> int | None:
    """The delivery a message id names, or None for an id of no delivery of this workspace."""
    try:
        seed, index = binascii.a2b_base64(message_id).decode("ascii").removeprefix("dlv:").split(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if seed != str(ws.spec.seed) or not index.isdigit() or int(index) >= ws.timeline.count:
        return None
    return int(index)


def archived(ws: Workspace, index: int) -> dict[str, Any]:
    """The `archived_message` object: the delivery's identity and metrics with its body and addresses."""
    delivery = ws.deliveries.record(index)
    return {
        "id": delivery["id"],
        "body": f"<html><body><h1>{delivery.get('subject') or 'Hello'}</h1></body></html>",
        "from": "team@example.org",
        "reply_to": "replyto@example.org",
        "recipient": delivery.get("recipient"),
        "subject": delivery.get("subject"),
        "bcc": "",
        "type": delivery.get("type"),
        "created": delivery["created"],
        "metrics": delivery.get("metrics"),
        "campaign_id": delivery.get("campaign_id"),
        "newsletter_id": delivery.get("newsletter_id"),
        "broadcast_id": delivery.get("broadcast_id"),
    }
