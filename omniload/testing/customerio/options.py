"""The configurable quirks of the fake. Everything defaults to documented/observed-default behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: endpoint -> (default, maximum) page size; a default of ``None`` means "undocumented": use
#: ``FakeOptions.undocumented_page_size``.
DEFAULT_PAGE_SIZES: dict[str, tuple[int | None, int]] = {
    "activities": (10, 100),
    "messages": (50, 1000),
    "customers": (50, 1000),
    "membership": (1000, 30000),
    "newsletters": (None, 100),
    "broadcast_messages": (None, 1000),
    "relationships": (None, 100),
    "object_relationships": (None, 100),
    "objects": (None, 100),
    "sender_identities": (None, 100),
    "broadcast_actions": (None, 100),
    "suppressions": (100, 1000),
    "trigger_errors": (None, 100),
    "optouts": (None, 1000),
}


@dataclass
class FakeOptions:
    #: How the last page signals the end: ``next: ""`` (default), ``next: null``, or no ``next`` key.
    next_on_last: Literal["empty", "null", "missing"] = "empty"
    #: /v1/messages and segment membership: an empty page carrying a non-empty ``next`` before every later page.
    empty_pages: bool = False
    #: ``null`` instead of ``[]`` for empty record arrays (search, membership, delivery windows).
    null_records: bool = False
    #: Person relationships and object search repeat the previous page's last record (documented repeats).
    duplicate_pages: bool = False
    #: Page broadcast actions with start/next (the newer API) instead of one list.
    paged_broadcast_actions: bool = False
    #: Broadcast action ids as JSON strings, like campaign action ids.
    broadcast_action_ids_as_strings: bool = False
    #: All-digit ``cio_id`` values as JSON numbers in people search results (OpenAPI example).
    cio_id_as_number: bool = False
    #: Wrap each ``POST /v1/customers/attributes`` item in ``{"customer": ...}`` (OpenAPI example).
    wrap_attribute_items: bool = False
    #: ``hidden=true`` on sender identities returns only hidden senders (observed) or includes them (documented).
    sender_hidden: Literal["only", "include"] = "only"
    #: A newsletter without an A/B test answers ``test_groups`` with 404 or with an empty list.
    test_groups_missing: Literal["404", "empty"] = "404"
    #: A ``limit`` above the maximum is clamped or answered with 400.
    over_max_limit: Literal["clamp", "400"] = "clamp"
    #: Add a ``metric.totals`` map next to ``metric.series``.
    metric_totals: bool = False
    #: Version 2 metrics spanning more than 10 years: truncate to the last 10 years instead of 400.
    truncate_metrics_span: bool = False
    #: Page size of the endpoints whose default is undocumented.
    undocumented_page_size: int = 10
    page_sizes: dict[str, tuple[int | None, int]] = field(default_factory=lambda: dict(DEFAULT_PAGE_SIZES))
