"""The 31 Customer.io tables as data: one entry per table, read like the contract in tables.md.

Each entry says where the rows come from (`read`), what makes a row unique (`primary_key`), what an interval
filters on (`incremental_key`), how the destination takes the rows (`strategy`), which ids must be brought to the
contract's type (`types`), and which table-specific rule shapes a record into a row (`shape`). The engine in
`engine.py` knows nothing about any single table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from omniload.sources.customerio import shapes

Strategy = Literal["replace", "merge"]
Shape = Callable[[dict[str, Any]], dict[str, Any] | None]

#: The people search matches everyone through `cio_id exists`: every person has one (tables.md 4.13).
MATCH_ALL_PEOPLE = {"and": [{"attribute": {"field": "cio_id", "operator": "exists"}}]}


@dataclass(frozen=True)
class Endpoint:
    """One API read. `path` may name parent fields (`{campaign_id}`); `records` is the key holding the rows."""

    path: str
    records: str
    method: Literal["GET", "POST"] = "GET"
    limit: int | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Listing:
    """Every page of one endpoint, or of several (`passes`) whose union is the table."""

    endpoints: tuple[Endpoint, ...]


@dataclass(frozen=True)
class PerParent:
    """One read per parent; the parent's fields (e.g. `campaign_id`) fill the path and are set on every row."""

    parent: str
    endpoint: Endpoint


@dataclass(frozen=True)
class Batched:
    """Parents sent `size` at a time in a POST body under `ids` (the people attributes endpoint)."""

    parent: str
    endpoint: Endpoint
    size: int


@dataclass(frozen=True)
class Metrics:
    """A columnar `metric.series` read per parent, flattened into one row per period step."""

    parent: str
    path: str
    version: Literal[1, 2]


@dataclass(frozen=True)
class FromPass:
    """Rows taken from a workspace-wide pass (tables.md section 5) instead of one read per parent.

    `member_of` names the parent list a row must belong to, through the row field `via`; `person_rows`
    replaces `customer_id` with the person's cio_id, as the `customer_*` tables require.
    """

    name: Literal["messages", "activities"]
    member_of: str | None = None
    via: str | None = None
    person_rows: bool = False


Read = Listing | PerParent | Batched | Metrics | FromPass


@dataclass(frozen=True)
class Table:
    name: str
    primary_key: tuple[str, ...]
    incremental_key: str | None
    strategy: Strategy
    description: str
    read: Read
    types: Mapping[str, type] = field(default_factory=dict)
    shape: Shape | None = None
    dedupe: bool = False

    @property
    def is_metrics(self) -> bool:
        return isinstance(self.read, Metrics)


def _list(path: str, records: str, limit: int | None = None, **params: str) -> Listing:
    return Listing((Endpoint(path, records, limit=limit, params=params),))


DELIVERY_TYPES: Mapping[str, type] = {
    "id": str,
    "msg_template_id": int,
    "campaign_id": int,
    "action_id": int,
    "parent_action_id": int,
    "newsletter_id": int,
    "content_id": int,
    "broadcast_id": int,
    "transactional_message_id": int,
}
METRICS_TYPES: Mapping[str, type] = {
    "broadcast_id": int, "campaign_id": int, "newsletter_id": int, "action_id": int, "step_index": int,
}
ACTION_TYPES: Mapping[str, type] = {"id": int, "broadcast_id": int, "campaign_id": int, "parent_action_id": int}


def objects_search(parent: Mapping[str, Any]) -> Mapping[str, Any]:
    """Match-all for objects is undocumented; "name exists OR NOT name exists" holds for every object under
    any reading of the documented grammar, where `object_id exists` relies on object_id being filterable."""
    exists = {"object_attribute": {"field": "name", "operator": "exists", "type_id": parent["object_type_id"]}}
    return {"object_type_id": parent["object_type_id"], "filter": {"or": [exists, {"not": exists}]}}


TABLES: tuple[Table, ...] = (
    Table("activities", ("id",), None, "replace", "Account activity log (the API keeps about 30 days).",
          FromPass("activities"), types={"id": str}),
    Table("broadcasts", ("id",), "updated", "merge", "API-triggered broadcasts.",
          _list("/v1/broadcasts", "broadcasts"), types={"id": int}),
    Table("broadcast_actions", ("id",), "updated", "merge", "Actions (message tiles) of every broadcast.",
          PerParent("broadcasts", Endpoint("/v1/broadcasts/{broadcast_id}/actions", "actions")),
          types=ACTION_TYPES, shape=shapes.action),
    Table("broadcast_action_metrics", ("broadcast_id", "action_id", "period", "step_index"), None, "replace",
          "Metrics per broadcast action, one row per period step.",
          Metrics("broadcast_actions", "/v1/broadcasts/{broadcast_id}/actions/{action_id}/metrics", 1), types=METRICS_TYPES),
    Table("broadcast_messages", ("id",), None, "merge", "Deliveries sent by broadcasts.",
          FromPass("messages", member_of="broadcasts", via="broadcast_id"), types=DELIVERY_TYPES),
    Table("broadcast_metrics", ("broadcast_id", "period", "step_index"), None, "replace",
          "Metrics per broadcast, one row per period step.",
          Metrics("broadcasts", "/v1/broadcasts/{broadcast_id}/metrics", 1), types=METRICS_TYPES),
    Table("campaigns", ("id",), "updated", "merge", "Triggered campaigns.",
          _list("/v1/campaigns", "campaigns"), types={"id": int}),
    Table("campaign_actions", ("id",), "updated", "merge", "Actions (workflow tiles) of every campaign.",
          PerParent("campaigns", Endpoint("/v1/campaigns/{campaign_id}/actions", "actions")),
          types=ACTION_TYPES, shape=shapes.action),
    Table("campaign_action_metrics", ("campaign_id", "action_id", "period", "step_index"), None, "replace",
          "Metrics per campaign action, one row per period step.",
          Metrics("campaign_actions", "/v1/campaigns/{campaign_id}/actions/{action_id}/metrics", 2), types=METRICS_TYPES),
    Table("campaign_messages", ("id",), None, "merge", "Deliveries sent by campaigns.",
          FromPass("messages", member_of="campaigns", via="campaign_id"), types=DELIVERY_TYPES),
    Table("campaign_metrics", ("campaign_id", "period", "step_index"), None, "replace",
          "Metrics per campaign, one row per period step.",
          Metrics("campaigns", "/v1/campaigns/{campaign_id}/metrics", 2), types=METRICS_TYPES),
    Table("collections", ("id",), "updated_at", "merge", "Data collections (their definitions, not contents).",
          _list("/v1/collections", "collections"), types={"id": int}),
    Table("customers", ("cio_id",), None, "replace", "Every person in the workspace, with their identifiers.",
          Listing((Endpoint("/v1/customers", "identifiers", "POST", limit=1000,
                            body={"filter": MATCH_ALL_PEOPLE}),)),
          types={"cio_id": str}, shape=shapes.person, dedupe=True),
    Table("customer_activities", ("id",), None, "replace", "Activity of each person (last 30 days).",
          FromPass("activities", member_of="people", person_rows=True), types={"id": str}),
    Table("customer_attributes", ("customer_id",), None, "replace",
          "Attributes, timestamps and devices of each person.",
          Batched("people", Endpoint("/v1/customers/attributes", "customers", "POST",
                                     params={"id_type": "cio_id"}), size=100),
          types={"customer_id": str}, shape=shapes.person_attributes),
    Table("customer_messages", ("id",), None, "merge", "Deliveries sent to each person.",
          FromPass("messages", member_of="people", person_rows=True), types=DELIVERY_TYPES),
    Table("customer_relationships", ("customer_id", "object_type_id", "object_id"), None, "replace",
          "Object relationships of each person.",
          PerParent("people", Endpoint("/v1/customers/{customer_id}/relationships", "cio_relationships",
                                       limit=1000, params={"id_type": "cio_id"})),
          types={"customer_id": str, "object_type_id": int, "object_id": str},
          shape=shapes.relationship, dedupe=True),
    Table("exports", ("id",), "updated_at", "merge", "Export jobs (not their contents).",
          _list("/v1/exports", "exports"), types={"id": int}),
    Table("info_ip_addresses", ("ip",), None, "replace", "IP addresses Customer.io sends from (per region).",
          _list("/v1/info/ip_addresses", "ip_addresses"), shape=shapes.ip_address),
    Table("messages", ("id",), None, "merge", "Every delivery in the workspace.",
          FromPass("messages"), types=DELIVERY_TYPES),
    Table("newsletters", ("id",), "updated", "merge", "Newsletters.",
          _list("/v1/newsletters", "newsletters", limit=100), types={"id": int}),
    Table("newsletter_metrics", ("newsletter_id", "period", "step_index"), None, "replace",
          "Metrics per newsletter, one row per period step.",
          Metrics("newsletters", "/v1/newsletters/{newsletter_id}/metrics", 1), types=METRICS_TYPES),
    Table("newsletter_test_groups", ("id",), None, "replace", "A/B test groups of each newsletter.",
          PerParent("newsletters", Endpoint("/v1/newsletters/{newsletter_id}/test_groups", "test_groups")),
          types={"id": int, "newsletter_id": int}),
    Table("object_types", ("id",), None, "replace", "Object types of the workspace.",
          _list("/v1/object_types", "types"), types={"id": str}),
    Table("objects", ("object_type_id", "object_id"), None, "replace", "Every object of every object type.",
          PerParent("object_types", Endpoint("/v1/objects", "identifiers", "POST", limit=1000,
                                             body=objects_search)),
          types={"object_type_id": str, "object_id": str}, shape=shapes.object_identity, dedupe=True),
    Table("reporting_webhooks", ("id",), None, "replace", "Reporting webhooks.",
          _list("/v1/reporting_webhooks", "reporting_webhooks"), types={"id": int}),
    Table("segments", ("id",), "updated_at", "merge", "Segments (definitions, not membership).",
          _list("/v1/segments", "segments"), types={"id": int}),
    Table("sender_identities", ("id",), None, "replace", "Sender identities, hidden ones included.",
          Listing((Endpoint("/v1/sender_identities", "sender_identities", limit=1000, params={"hidden": "false"}),
                   Endpoint("/v1/sender_identities", "sender_identities", limit=1000, params={"hidden": "true"}))),
          types={"id": int}, dedupe=True),
    Table("subscription_topics", ("id",), None, "replace", "Subscription topics.",
          _list("/v1/subscription_topics", "topics"), types={"id": int}),
    Table("transactional_messages", ("id",), None, "replace", "Transactional message templates.",
          _list("/v1/transactional", "messages"), types={"id": int}),
    Table("workspaces", ("id",), None, "replace", "Workspaces of the account.",
          _list("/v1/workspaces", "workspaces"), types={"id": int}),
)

CATALOG: Mapping[str, Table] = {table.name: table for table in TABLES}
