"""The Design Studio's folders, emails and components (`GET /v1/design_studio/...`; issue 20,
docs/contract/customerio/extra-tables.md, design_studio_*), reads documented since the project's copy of the
OpenAPI document.

Ids are UUID strings; `created` and `updated` Unix seconds. Folders nest (one inside another), emails and
components sit at the root or in a folder, and their `updated` times spread over the workspace's history, so an
interval keeps some and not others. The shapes are the public docs' and estuary's `source-customer-io` probes
(2026-09): list items carry metadata only; an email's content is its detail (`GET …/emails/{id}`).
"""

from __future__ import annotations

import uuid
from typing import Any

from .clock import DAY

EMAILS = 23
COMPONENTS = 9
_KIND = {"folder": 1, "email": 2, "component": 3}


def _id(kind: str, n: int, seed: int) -> str:
    return str(uuid.UUID(int=(seed << 64) | (_KIND[kind] << 32) | n, version=4))


def folders(seed: int, t0: int) -> list[dict[str, Any]]:
    """Three folders: two at the root, the third inside the first."""
    ids = [_id("folder", n, seed) for n in range(3)]
    parents = (None, None, ids[0])
    names = ("Onboarding", "Receipts", "Onboarding drafts")
    return [
        {"id": ids[n], "name": names[n], "parent_folder_id": parents[n], "created": t0 + n * DAY,
         "updated": t0 + (n + 1) * 40 * DAY}
        for n in range(3)
    ]  # fmt: skip


def _placed(kind: str, count: int, seed: int, t0: int, now: int) -> list[dict[str, Any]]:
    """Items spread from `t0` to `now`, at the root and in the three folders in turn."""
    places = [None, *(f["id"] for f in folders(seed, t0))]
    span = max(1, now - t0 - DAY)
    items = []
    for n in range(count):
        created = t0 + n * span // count
        items.append({
            "id": _id(kind, n, seed),
            "name": f"{kind.capitalize()} {n + 1}",
            "parent_folder_id": places[n % len(places)],
            "created": created,
            "updated": created + (n % 4) * DAY,
        })  # fmt: skip
    return items


def emails(seed: int, t0: int, now: int) -> list[dict[str, Any]]:
    flags = ("is_template", "is_linked", "has_translations")
    return [
        {**item, **{flag: n % (k + 2) == 0 for k, flag in enumerate(flags)}}
        for n, item in enumerate(_placed("email", EMAILS, seed, t0, now))
    ]


def components(seed: int, t0: int, now: int) -> list[dict[str, Any]]:
    tags = ("header", "footer", "button")
    return [{**item, "tag": tags[n % 3]} for n, item in enumerate(_placed("component", COMPONENTS, seed, t0, now))]


def email_detail(email: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/design_studio/emails/{id}`: the email with its `content`, `envelope` and `transformers`."""
    return {
        **{key: value for key, value in email.items() if key != "has_translations"},
        "available_languages": ["fr"] if email["has_translations"] else [],
        "content": {"subject": email["name"], "preheader_text": "", "html": f"<p>{email['name']}</p>", "amp": "",
                    "text": email["name"]},
        "envelope": {"from_id": 1, "reply_to_id": None, "recipient": "{{customer.email}}", "bcc": "",
                     "fake_bcc": False, "headers": []},
        "transformers": {"css_inliner": {"enabled": True}, "formatter": {"type": "none"}},
    }  # fmt: skip
