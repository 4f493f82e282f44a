"""A person's subscription preferences (`GET /v1/customers/{id}/subscription_preferences`, OpenAPI
`getPersonSubscriptionPreferences`; issue 20, docs/contract/customerio/extra-tables.md,
customer_subscription_preferences).

Each person has a choice for every subscription topic: the topic's default, turned around for one person in five
per topic; `unsubscribed` (from all messaging) is the person's own attribute of that name, as
`POST /v1/customers/attributes` gives it. The header is the subscription center's.
"""

from __future__ import annotations

from typing import Any

from .hashing import mix
from .people import People

HEADER = {"title": "Your email preferences", "subtitle": "Choose what you hear about"}


def preferences(people: People, topics: list[dict[str, Any]], i: int, seed: int) -> dict[str, Any]:
    """The `customer` object the endpoint answers for person `i`."""
    return {
        "id": people.person_id(i),
        "identifiers": people.identifiers(i),
        "topics": [
            {
                "id": str(topic["id"]),
                "subscribed": topic["subscribed_by_default"] != (mix(seed, i, topic["id"], 29) % 5 == 0),
                "name": topic["name"],
                "description": topic["description"],
            }
            for topic in topics
        ],
        "unsubscribed": people.attributes(i)["unsubscribed"],
        "header": HEADER,
    }
