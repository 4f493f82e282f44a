"""The Customer.io tables as data: the 31 of the product page (`PRODUCT_TABLES`, what `all` loads), read like the
contract in docs/contract/customerio/tables.md, and those beyond them (`EXTRA_TABLES`, loaded by name or with
`all+`), read like docs/contract/customerio/extra-tables.md; one entry per table.

Each entry says where the rows come from (`read`), what makes a row unique (`primary_key`), what an interval
filters on (`incremental_key`), how the destination takes the rows (`strategy`), where the next run starts
(`cursor`: deliveries re-read a look-back window, since opens and clicks keep changing them), which ids must be brought to the
contract's type (`types`), and which table-specific rule shapes a record into a row (`shape`). The lists that
tables fan out over are declared once (`PARENTS`), like the workspace-wide passes (`PASSES`). The read types
`Endpoint`, `Listing`, `PerParent`, `Batched`, `Contents` and `Parents` are the REST layer's
(`omniload/sources/rest/reads.py`, imported here for the entries); `Metrics`, `FromPass`, `Usage` and
`Budgeted` are the reads only Customer.io has, read by `engine.py`. Neither knows anything about any single table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from omniload.source import CursorRule, Strategy
from omniload.sources.customerio import shapes
from omniload.sources.customerio.periods import PERIODS
from omniload.sources.rest.reads import (
    Batched,
    Contents,
    Endpoint,
    Listing,
    Parents,
    PerParent,
    RestCatalog,
    RestTable,
    SourceRead,
)

#: Segment membership pages: the API allows 30,000 identifiers a page, but a few such pages in flight on the
#: fan-out's threads held 372 MB at 100,000 people (a segment alone); 5,000 a page keep that read at 225 MB for
#: a request per 5,000 members (README "Nightly runs", benchmarks/nightly.py).
MEMBERSHIP_PAGE = 5000
#: The people search matches everyone through `cio_id exists`: every person has one (docs/contract/customerio/tables.md 4.13).
MATCH_ALL_PEOPLE = {"and": [{"attribute": {"field": "cio_id", "operator": "exists"}}]}


@dataclass(frozen=True)
class Metrics(SourceRead):
    """A columnar series read per parent, flattened into one row per period step.

    `series`: the keys leading to the columns (`metric.series`; `journey_metric` for journey metrics).
    `versioned`: version 2 reads send `version=2` (the journey metrics endpoint has no version).
    `per_link`: the body lists `links`, each with its own series: one row per link and step, with the link's
    `link_id` and `href` (the `…/metrics/links` endpoints, docs/contract/customerio/extra-tables.md).
    """

    parent: str
    path: str
    version: Literal[1, 2]
    series: tuple[str, ...] = ("metric", "series")
    versioned: bool = True
    per_link: bool = False


@dataclass(frozen=True)
class Usage(SourceRead):
    """One read per parent whose whole answer is, per kind of user, the ids that use the parent
    (`{"campaigns": [1, 2], "sent_newsletters": [3]}`, wrapped in `under` where the API wraps it): one row per
    kind and id, `{<parent key>, used_by, used_by_id}` (segment dependencies, sender usage; read by `engine.py`)."""

    parent: str
    path: str
    under: str | None = None


@dataclass(frozen=True)
class Budgeted(SourceRead):
    """Records fetched one request each from `detail`, at most `per_day` such requests a day across runs, for
    the newest records of `listing` not fetched yet (`message_contents`: the API allows 100 archived messages a
    day). What was spent today and which ids were fetched is the table's memory, kept in the destination
    (docs/contract/customerio/extra-tables.md, message_contents)."""

    listing: Endpoint
    detail: Endpoint
    per_day: int


@dataclass(frozen=True)
class FromPass(SourceRead):
    """Rows taken from a workspace-wide pass (docs/contract/customerio/tables.md section 5, `PASSES`) instead of one read per parent.

    `member_of` names the parent list a row must belong to, through the row field `via`; `person_rows`
    replaces `customer_id` with the person's cio_id, as the `customer_*` tables require. `params`: query
    parameters the pass adds when this table is read (in-app survey answers ride on the deliveries with
    `get_tracked_responses=true`); the table's `shape` makes its rows of each record. `unnamed`: how a person
    row that names nobody (null `customer_identifiers` and `customer_id`) finds its person without an `id`.
    """

    name: Literal["messages", "activities"]
    member_of: str | None = None
    via: str | None = None
    person_rows: bool = False
    params: Mapping[str, str] = field(default_factory=dict)
    unnamed: Unnamed | None = None


@dataclass(frozen=True)
class Unnamed:
    """The rows of people without an `id`, which name nobody (docs/contract/customerio/changes.md section 5):
    linked by the email in `recipient` (a field of the row) to a person without an `id` who has that email,
    then by `per_person`, the person's own read, asked of each person without an `id` in turn (in the windows
    of the rows still unlinked when `windowed`) until every row is found or the table's budget is spent."""

    per_person: Endpoint
    recipient: str | None = None
    windowed: bool = False


Read = Listing | PerParent | Batched | Metrics | FromPass | Contents | Usage | Budgeted


class Feed(StrEnum):
    """How a table is refreshed from the change feed on nightly runs (docs/contract/customerio/changes.md
    section 2, `changes.py`): ATTRIBUTES, RELATIONSHIPS and PREFERENCES re-read the people the activity log
    names (for PREFERENCES, unsubscribe activities and changes of `cio_subscription_preferences`); LOG
    tables take the log's new records; GONE tables are read as usual and lose the rows of people gone."""

    ATTRIBUTES = "attributes"
    RELATIONSHIPS = "relationships"
    PREFERENCES = "preferences"
    LOG = "log"
    GONE = "gone"


@dataclass(frozen=True, kw_only=True)
class Table(RestTable):
    """A Customer.io table: a REST table (`omniload.sources.rest.reads.RestTable`: the core's `TableSpec` plus
    `read`, `shape`, `dedupe`) whose read may also be one only Customer.io has (`Metrics`, `FromPass`), and which
    may be refreshed from the change feed on nightly runs (`feed`)."""

    read: Read
    feed: Feed | None = None


@dataclass(frozen=True, kw_only=True)
class Pass:
    """A workspace-wide read that feeds several tables (docs/contract/customerio/tables.md section 5).

    `windows_from`: the read goes in consecutive time windows from the oldest `created` of these parent lists
    (a delivery cannot be older than what sent it) up to now; without it the endpoint is paged once.
    """

    name: str
    endpoint: Endpoint
    windows_from: tuple[str, ...] = ()


PARENTS: tuple[Parents, ...] = (
    Parents(name="people", table="customers", id_field="cio_id", id_type=str, key="customer_id", on_disk=True,
            alias_fields=("id", "email")),
    Parents(name="campaigns", table="campaigns", key="campaign_id", created="created"),
    Parents(name="broadcasts", table="broadcasts", key="broadcast_id", created="created"),
    Parents(name="newsletters", table="newsletters", key="newsletter_id", created="created"),
    Parents(name="transactional_messages", table="transactional_messages", key="transactional_id",
            created="created_at"),
    Parents(name="object_types", table="object_types", id_type=str, key="object_type_id"),
    Parents(name="segments", table="segments", key="segment_id"),
    Parents(name="collections", table="collections", key="collection_id"),
    Parents(name="campaign_actions", within="campaigns", items="actions", key="action_id"),
    Parents(name="broadcast_actions", within="broadcasts", items="actions", key="action_id"),
    Parents(name="newsletter_contents", within="newsletters", items="content_ids", key="content_id"),
    Parents(name="suppression_types", key="suppression_type", id_type=str, values=("bounces", "spam_reports")),
    Parents(name="sender_identities", table="sender_identities", key="sender_id"),
    Parents(name="objects", table="objects", key="object_id", id_field="object_id", id_type=str,
            keep=("object_type_id",)),
    Parents(name="broadcast_triggers", table="broadcast_triggers", key="trigger_id", keep=("broadcast_id",)),
)

PASSES: tuple[Pass, ...] = (
    Pass(name="messages", endpoint=Endpoint("/v1/messages", "messages", limit=1000),
         windows_from=("campaigns", "broadcasts", "newsletters", "transactional_messages")),
    Pass(name="activities", endpoint=Endpoint("/v1/activities", "activities", limit=100)),
)


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
    "broadcast_id": int, "campaign_id": int, "newsletter_id": int, "transactional_id": int, "action_id": int,
    "content_id": int, "link_id": int, "step_index": int,
}
ACTION_TYPES: Mapping[str, type] = {"id": int, "broadcast_id": int, "campaign_id": int, "parent_action_id": int}


def objects_search(parent: Mapping[str, Any]) -> Mapping[str, Any]:
    """Match-all for objects is undocumented; "name exists OR NOT name exists" holds for every object under
    any reading of the documented grammar, where `object_id exists` relies on object_id being filterable."""
    exists = {"object_attribute": {"field": "name", "operator": "exists", "type_id": parent["object_type_id"]}}
    return {"object_type_id": parent["object_type_id"], "filter": {"or": [exists, {"not": exists}]}}


#: The 31 tables of the product page: what `all` loads.
PRODUCT_TABLES: tuple[Table, ...] = (
    Table(name="activities", description="Account activity log (the API keeps about 30 days).",
          primary_key=("id",), strategy=Strategy.REPLACE, read=FromPass("activities"), types={"id": str},
          feed=Feed.LOG),
    Table(name="broadcasts", description="API-triggered broadcasts.",
          primary_key=("id",), incremental_key="updated", strategy=Strategy.MERGE,
          read=_list("/v1/broadcasts", "broadcasts"), types={"id": int}, tombstones=True),
    Table(name="broadcast_actions", description="Actions (message tiles) of every broadcast.",
          primary_key=("id",), incremental_key="updated", strategy=Strategy.MERGE,
          read=PerParent("broadcasts", Endpoint("/v1/broadcasts/{broadcast_id}/actions", "actions")),
          types=ACTION_TYPES, shape=shapes.action),
    Table(name="broadcast_action_metrics", description="Metrics per broadcast action, one row per period step.",
          primary_key=("broadcast_id", "action_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
          read=Metrics("broadcast_actions", "/v1/broadcasts/{broadcast_id}/actions/{action_id}/metrics", 1),
          types=METRICS_TYPES),
    Table(name="broadcast_messages", description="Deliveries sent by broadcasts.",
          primary_key=("id",), strategy=Strategy.MERGE, cursor=CursorRule.RUN_TIME,
          read=FromPass("messages", member_of="broadcasts", via="broadcast_id"), types=DELIVERY_TYPES),
    Table(name="broadcast_metrics", description="Metrics per broadcast, one row per period step.",
          primary_key=("broadcast_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
          read=Metrics("broadcasts", "/v1/broadcasts/{broadcast_id}/metrics", 1), types=METRICS_TYPES),
    Table(name="campaigns", description="Triggered campaigns.",
          primary_key=("id",), incremental_key="updated", strategy=Strategy.MERGE,
          read=_list("/v1/campaigns", "campaigns"), types={"id": int}, tombstones=True),
    Table(name="campaign_actions", description="Actions (workflow tiles) of every campaign.",
          primary_key=("id",), incremental_key="updated", strategy=Strategy.MERGE,
          read=PerParent("campaigns", Endpoint("/v1/campaigns/{campaign_id}/actions", "actions")),
          types=ACTION_TYPES, shape=shapes.action),
    Table(name="campaign_action_metrics", description="Metrics per campaign action, one row per period step.",
          primary_key=("campaign_id", "action_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
          read=Metrics("campaign_actions", "/v1/campaigns/{campaign_id}/actions/{action_id}/metrics", 2),
          types=METRICS_TYPES),
    Table(name="campaign_messages", description="Deliveries sent by campaigns.",
          primary_key=("id",), strategy=Strategy.MERGE, cursor=CursorRule.RUN_TIME,
          read=FromPass("messages", member_of="campaigns", via="campaign_id"), types=DELIVERY_TYPES),
    Table(name="campaign_metrics", description="Metrics per campaign, one row per period step.",
          primary_key=("campaign_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
          read=Metrics("campaigns", "/v1/campaigns/{campaign_id}/metrics", 2), types=METRICS_TYPES),
    Table(name="collections", description="Data collections (their definitions, not contents).",
          primary_key=("id",), incremental_key="updated_at", strategy=Strategy.MERGE,
          read=_list("/v1/collections", "collections"), types={"id": int}, tombstones=True),
    Table(name="customers", description="Every person in the workspace, with their identifiers.",
          primary_key=("cio_id",), strategy=Strategy.REPLACE,
          read=Listing((Endpoint("/v1/customers", "identifiers", "POST", limit=1000,
                                 body={"filter": MATCH_ALL_PEOPLE}),)),
          types={"cio_id": str}, shape=shapes.person, dedupe=True),
    Table(name="customer_activities", description="Activity of each person (last 30 days).",
          primary_key=("id",), strategy=Strategy.REPLACE,
          read=FromPass("activities", member_of="people", person_rows=True, unnamed=Unnamed(
              Endpoint("/v1/customers/{customer_id}/activities", "activities", limit=100,
                       params={"id_type": "cio_id"}))),
          types={"id": str}, feed=Feed.LOG),
    Table(name="customer_attributes", description="Attributes, timestamps and devices of each person.",
          primary_key=("customer_id",), strategy=Strategy.REPLACE,
          read=Batched("people", Endpoint("/v1/customers/attributes", "customers", "POST",
                                          params={"id_type": "cio_id"}), size=100),
          types={"customer_id": str}, shape=shapes.person_attributes, feed=Feed.ATTRIBUTES),
    Table(name="customer_messages", description="Deliveries sent to each person.",
          primary_key=("id",), strategy=Strategy.MERGE, cursor=CursorRule.RUN_TIME,
          read=FromPass("messages", member_of="people", person_rows=True, unnamed=Unnamed(
              Endpoint("/v1/customers/{customer_id}/messages", "messages", limit=1000, params={"id_type": "cio_id"}),
              recipient="recipient", windowed=True)),
          types=DELIVERY_TYPES,
          feed=Feed.GONE),
    Table(name="customer_relationships", description="Object relationships of each person.",
          primary_key=("customer_id", "object_type_id", "object_id"), strategy=Strategy.REPLACE,
          read=PerParent("people", Endpoint("/v1/customers/{customer_id}/relationships", "cio_relationships",
                                            limit=1000, params={"id_type": "cio_id"})),
          types={"customer_id": str, "object_type_id": int, "object_id": str},
          shape=shapes.relationship, dedupe=True, feed=Feed.RELATIONSHIPS),
    Table(name="exports", description="Export jobs (not their contents).",
          primary_key=("id",), incremental_key="updated_at", strategy=Strategy.MERGE,
          read=_list("/v1/exports", "exports"), types={"id": int}, tombstones=True),
    Table(name="info_ip_addresses", description="IP addresses Customer.io sends from (per region).",
          primary_key=("ip",), strategy=Strategy.REPLACE,
          read=_list("/v1/info/ip_addresses", "ip_addresses"), shape=shapes.ip_address),
    Table(name="messages", description="Every delivery in the workspace.",
          primary_key=("id",), strategy=Strategy.MERGE, cursor=CursorRule.RUN_TIME, read=FromPass("messages"), types=DELIVERY_TYPES),
    Table(name="newsletters", description="Newsletters.",
          primary_key=("id",), incremental_key="updated", strategy=Strategy.MERGE,
          read=_list("/v1/newsletters", "newsletters", limit=100), types={"id": int}, tombstones=True),
    Table(name="newsletter_metrics", description="Metrics per newsletter, one row per period step.",
          primary_key=("newsletter_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
          read=Metrics("newsletters", "/v1/newsletters/{newsletter_id}/metrics", 1), types=METRICS_TYPES),
    Table(name="newsletter_test_groups", description="A/B test groups of each newsletter.",
          primary_key=("id",), strategy=Strategy.REPLACE,
          read=PerParent("newsletters", Endpoint("/v1/newsletters/{newsletter_id}/test_groups", "test_groups")),
          types={"id": int, "newsletter_id": int}),
    Table(name="object_types", description="Object types of the workspace.",
          primary_key=("id",), strategy=Strategy.REPLACE, read=_list("/v1/object_types", "types"), types={"id": str}),
    Table(name="objects", description="Every object of every object type.",
          primary_key=("object_type_id", "object_id"), strategy=Strategy.REPLACE,
          read=PerParent("object_types", Endpoint("/v1/objects", "identifiers", "POST", limit=1000,
                                                  body=objects_search)),
          types={"object_type_id": str, "object_id": str}, shape=shapes.object_identity, dedupe=True),
    Table(name="reporting_webhooks", description="Reporting webhooks.",
          primary_key=("id",), strategy=Strategy.REPLACE,
          read=_list("/v1/reporting_webhooks", "reporting_webhooks"), types={"id": int}),
    Table(name="segments", description="Segments (definitions, not membership).",
          primary_key=("id",), incremental_key="updated_at", strategy=Strategy.MERGE,
          read=_list("/v1/segments", "segments"), types={"id": int}, tombstones=True),
    Table(name="sender_identities", description="Sender identities, hidden ones included.",
          primary_key=("id",), strategy=Strategy.REPLACE,
          read=Listing((
              Endpoint("/v1/sender_identities", "sender_identities", limit=1000, params={"hidden": "false"}),
              Endpoint("/v1/sender_identities", "sender_identities", limit=1000, params={"hidden": "true"}),
          )),
          types={"id": int}, dedupe=True),
    Table(name="subscription_topics", description="Subscription topics.",
          primary_key=("id",), strategy=Strategy.REPLACE, read=_list("/v1/subscription_topics", "topics"), types={"id": int}),
    Table(name="transactional_messages", description="Transactional message templates.",
          primary_key=("id",), strategy=Strategy.REPLACE, read=_list("/v1/transactional", "messages"), types={"id": int}),
    Table(name="workspaces", description="Workspaces of the account.",
          primary_key=("id",), strategy=Strategy.REPLACE, read=_list("/v1/workspaces", "workspaces"), types={"id": int}),
)


def beyond_all(description: str) -> str:
    """The description of a table that `all` leaves out, saying how to ask for it (README "Loading Customer.io")."""
    return f"{description} Beyond `all`: ask by name or with `all+`."


def _link_metrics(parent_table: str, parents: str, path: str, keys: tuple[str, ...]) -> Table:
    """One of the six `…/metrics/links` tables (docs/contract/customerio/extra-tables.md, link metrics)."""
    return Table(
        name=f"{parent_table}_link_metrics", in_all=False,
        description=beyond_all(f"Clicks per tracked link in {parents.replace('_', ' ')}, one row per link and "
                               "period step."),
        primary_key=(*keys, "link_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
        read=Metrics(parents, path, 1, per_link=True), types=METRICS_TYPES,
    )


def _design_studio(items: str, description: str, detail: Endpoint | None = None) -> Table:
    """A Design Studio listing (docs/contract/customerio/extra-tables.md, design_studio_*): numbered pages of up
    to 10,000, incremental on `updated` through the endpoint's exclusive bounds."""
    endpoint = Endpoint(f"/v1/design_studio/{items}", items, limit=10000, paging="page",
                        window=("updated_after", "updated_before"))
    return Table(name=f"design_studio_{items}", in_all=False, description=beyond_all(description),
                 primary_key=("id",), incremental_key="updated", strategy=Strategy.MERGE,
                 read=Listing((endpoint,), detail=detail), types={"id": str})


#: The tables beyond the 31 of the product page (issue 11; docs/contract/customerio/extra-tables.md): loaded by
#: name or with `all+`, never by `all`.
EXTRA_TABLES: tuple[Table, ...] = (
    Table(name="segment_memberships", in_all=False,
          description=beyond_all("Who is in which segment: one row per segment and person."),
          primary_key=("segment_id", "cio_id"), strategy=Strategy.REPLACE,
          read=PerParent("segments", Endpoint("/v1/segments/{segment_id}/membership", "identifiers", limit=MEMBERSHIP_PAGE),
                         count="/v1/segments/{segment_id}/customer_count"),
          types={"segment_id": int, "cio_id": str}, shape=shapes.segment_member, dedupe=True),
    Table(name="esp_suppressions", in_all=False,
          description=beyond_all("Suppressed addresses (bounces, spam reports), one row per type and email."),
          primary_key=("suppression_type", "email"), strategy=Strategy.REPLACE,
          read=PerParent("suppression_types", Endpoint("/v1/esp/suppression/{suppression_type}", "suppressions",
                                                       limit=1000, paging="offset")),
          dedupe=True),
    Table(name="snippets", in_all=False, description=beyond_all("Snippets (reusable content)."),
          primary_key=("name",), incremental_key="updated_at", strategy=Strategy.MERGE,
          read=_list("/v1/snippets", "snippets"), tombstones=True),
    Table(name="newsletter_variants", in_all=False,
          description=beyond_all("Contents of every newsletter (languages, A/B variants)."),
          primary_key=("id",), strategy=Strategy.REPLACE,
          read=PerParent("newsletters", Endpoint("/v1/newsletters/{newsletter_id}/contents", "contents")),
          types={"id": int, "newsletter_id": int}),
    Table(name="newsletter_variant_metrics", in_all=False,
          description=beyond_all("Metrics per newsletter content, one row per period step."),
          primary_key=("newsletter_id", "content_id", "period", "step_index"), strategy=Strategy.REPLACE,
          periods=PERIODS, types=METRICS_TYPES,
          read=Metrics("newsletter_contents", "/v1/newsletters/{newsletter_id}/contents/{content_id}/metrics", 1)),
    Table(name="transactional_variants", in_all=False,
          description=beyond_all("Contents of every transactional message (languages)."),
          primary_key=("id",), incremental_key="updated", strategy=Strategy.MERGE,
          read=PerParent("transactional_messages",
                         Endpoint("/v1/transactional/{transactional_id}/contents", "contents")),
          types={"id": int, "transactional_id": int}),
    Table(name="transactional_metrics", in_all=False,
          description=beyond_all("Metrics per transactional message, one row per period step."),
          primary_key=("transactional_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
          read=Metrics("transactional_messages", "/v1/transactional/{transactional_id}/metrics", 1),
          types=METRICS_TYPES),
    Table(name="campaign_journey_metrics", in_all=False,
          description=beyond_all("People through each campaign's journey, one row per period step."),
          primary_key=("campaign_id", "period", "step_index"), strategy=Strategy.REPLACE, periods=PERIODS,
          read=Metrics("campaigns", "/v1/campaigns/{campaign_id}/journey_metrics", 2, series=("journey_metric",),
                       versioned=False),
          types=METRICS_TYPES),
    _link_metrics("campaign", "campaigns", "/v1/campaigns/{campaign_id}/metrics/links", ("campaign_id",)),
    _link_metrics("campaign_action", "campaign_actions",
                  "/v1/campaigns/{campaign_id}/actions/{action_id}/metrics/links", ("campaign_id", "action_id")),
    _link_metrics("broadcast", "broadcasts", "/v1/broadcasts/{broadcast_id}/metrics/links", ("broadcast_id",)),
    _link_metrics("broadcast_action", "broadcast_actions",
                  "/v1/broadcasts/{broadcast_id}/actions/{action_id}/metrics/links", ("broadcast_id", "action_id")),
    _link_metrics("newsletter", "newsletters", "/v1/newsletters/{newsletter_id}/metrics/links", ("newsletter_id",)),
    _link_metrics("transactional", "transactional_messages", "/v1/transactional/{transactional_id}/metrics/links",
                  ("transactional_id",)),
    Table(name="collection_contents", in_all=False,
          description=beyond_all("What each collection holds: one row per item, the item as JSON in `item`."),
          primary_key=("collection_id", "item_index"), strategy=Strategy.REPLACE,
          read=Contents("collections", "/v1/collections/{collection_id}/content"),
          types={"collection_id": int, "item_index": int}),
    Table(name="newsletter_messages", in_all=False, description=beyond_all("Deliveries sent by newsletters."),
          primary_key=("id",), strategy=Strategy.MERGE, cursor=CursorRule.RUN_TIME,
          read=FromPass("messages", member_of="newsletters", via="newsletter_id"), types=DELIVERY_TYPES),
    Table(name="transactional_deliveries", in_all=False,
          description=beyond_all("Deliveries sent by transactional messages."),
          primary_key=("id",), strategy=Strategy.MERGE, cursor=CursorRule.RUN_TIME,
          read=FromPass("messages", member_of="transactional_messages", via="transactional_message_id"),
          types=DELIVERY_TYPES),
    Table(name="broadcast_triggers", in_all=False,
          description=beyond_all("Each time an API-triggered broadcast was triggered, and when it was processed."),
          primary_key=("id",), strategy=Strategy.REPLACE,
          read=PerParent("broadcasts", Endpoint("/v1/broadcasts/{broadcast_id}/triggers", "triggers")),
          types={"id": int, "broadcast_id": int}),
    Table(name="broadcast_trigger_errors", in_all=False,
          description=beyond_all("Audience errors of each broadcast trigger, one row per error."),
          primary_key=("broadcast_id", "trigger_id", "error"), strategy=Strategy.REPLACE,
          read=PerParent("broadcast_triggers",
                         Endpoint("/v1/campaigns/{broadcast_id}/triggers/{trigger_id}/errors", "errors")),
          types={"broadcast_id": int, "trigger_id": int}, shape=shapes.trigger_error, dedupe=True),
    Table(name="segment_dependencies", in_all=False,
          description=beyond_all("Which campaigns and newsletters use each segment, one row per user."),
          primary_key=("segment_id", "used_by", "used_by_id"), strategy=Strategy.REPLACE,
          read=Usage("segments", "/v1/segments/{segment_id}/used_by", under="used_by"),
          types={"segment_id": int, "used_by_id": int}),
    Table(name="sender_identity_usage", in_all=False,
          description=beyond_all("Which campaigns and newsletters send from each sender identity, one row per "
                                 "user."),
          primary_key=("sender_id", "used_by", "used_by_id"), strategy=Strategy.REPLACE,
          read=Usage("sender_identities", "/v1/sender_identities/{sender_id}/used_by"),
          types={"sender_id": int, "used_by_id": int}),
    Table(name="object_relationships", in_all=False,
          description=beyond_all("The people related to each object, read from the object's side."),
          primary_key=("object_type_id", "object_id", "cio_id"), strategy=Strategy.REPLACE,
          read=PerParent("objects", Endpoint("/v1/objects/{object_type_id}/{object_id}/relationships",
                                             "cio_relationships", limit=1000, params={"id_type": "object_id"})),
          types={"object_type_id": str, "object_id": str, "cio_id": str}, shape=shapes.object_member,
          dedupe=True),
    Table(name="customer_subscription_preferences", in_all=False,
          description=beyond_all("Each person's subscription preferences: topics chosen, unsubscribed from all."),
          primary_key=("customer_id",), strategy=Strategy.REPLACE,
          read=PerParent("people", Endpoint("/v1/customers/{customer_id}/subscription_preferences", "customer",
                                            paging="none", params={"id_type": "cio_id"})),
          types={"customer_id": str}, shape=shapes.person_preferences, feed=Feed.PREFERENCES),
    Table(name="message_contents", in_all=False,
          description=beyond_all("Archived copies of the newest deliveries, body included: at most 100 a day."),
          primary_key=("id",), strategy=Strategy.MERGE,
          read=Budgeted(Endpoint("/v1/messages", "messages", limit=1000),
                        Endpoint("/v1/messages/{id}/archived_message", "archived_message"), per_day=100),
          types={"id": str}),
    Table(name="survey_responses", in_all=False,
          description=beyond_all("In-app survey answers: one row per delivery and response option."),
          primary_key=("message_id", "response"), strategy=Strategy.MERGE, cursor=CursorRule.RUN_TIME,
          read=FromPass("messages", params={"get_tracked_responses": "true"}),
          types={"message_id": str, "campaign_id": int, "action_id": int, "broadcast_id": int,
                 "newsletter_id": int},
          shape=shapes.survey_answers),
    Table(name="optouts", in_all=False,
          description=beyond_all("SMS and WhatsApp opt-outs: one row per person, channel and sender number."),
          primary_key=("cio_id", "channel", "sender"), strategy=Strategy.REPLACE,
          read=_list("/v1/optouts", "optouts", limit=1000), types={"cio_id": str}, shape=shapes.optouts,
          dedupe=True),
    Table(name="subscription_channels", in_all=False,
          description=beyond_all("Channels of the subscription center."),
          primary_key=("id",), strategy=Strategy.REPLACE, read=_list("/v1/subscription_channels", "channels"),
          types={"id": int}),
    _design_studio("emails", "Design Studio emails (metadata; their content with `design_studio_content=true`).",
                   detail=Endpoint("/v1/design_studio/emails/{id}", "email")),
    _design_studio("components", "Design Studio components."),
    _design_studio("folders", "Design Studio folders."),
)

TABLES: tuple[Table, ...] = (*PRODUCT_TABLES, *EXTRA_TABLES)

CATALOG: Mapping[str, Table] = {table.name: table for table in TABLES}
PARENT_LISTS: Mapping[str, Parents] = {parents.name: parents for parents in PARENTS}
PASS_READS: Mapping[str, Pass] = {read.name: read for read in PASSES}

#: The documented page-size maxima of the endpoints omniload pages with a `limit` (docs/contract/customerio/README.md
#: "Page-size maxima"); the other paged endpoints document none, and one that refuses a size is read at its own.
PAGE_MAXIMA: Mapping[str, int] = {"/v1/activities": 100, "/v1/messages": 1000, "/v1/customers": 1000,
                                  "/v1/newsletters": 100, "/v1/optouts": 1000,
                                  **{f"/v1/design_studio/{items}": 10000
                                     for items in ("emails", "components", "folders")}}

#: The catalog as the REST reader takes it (`omniload.sources.rest.reader.RestReader`).
REST_CATALOG = RestCatalog(TABLES, PARENTS, PAGE_MAXIMA)
