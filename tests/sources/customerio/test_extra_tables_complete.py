"""The Customer.io tables beyond the 31 (issue 11, part 2, and issue 20; docs/contract/customerio/extra-tables.md),
each loaded alone by the real CLI from the fake into DuckDB, with and without an interval, hold exactly the fake's
truth.

A metrics table is loaded in one period without an interval and in the next with one, so that across the nine
metrics tables every period is read both ways; the 31's metrics tables, read by the same code, load in every
period (`test_tables_complete.py`). With an interval, the tables it changes load one per run, the others in one
run together. `all+`, every table together, is `test_several_tables.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from omniload.sources.customerio.catalog import EXTRA_TABLES, FromPass, Table
from omniload.sources.customerio.periods import PERIODS
from omniload.testing.contract import Contract, check_table
from omniload.testing.customerio import FakeCustomerIO, FakeOptions, Workspace, design_studio, optouts
from omniload.testing.customerio.clock import period_floor, periods_between
from omniload.testing.customerio.options import DEFAULT_PAGE_SIZES
from omniload.testing.customerio.workspace import V2_TABLES
from tests.conftest import API_KEY, ingest, query, source_uri

DAY = 86400
#: The tables issue 20 adds, in the order it adds them.
ISSUE_20 = (
    "newsletter_messages", "transactional_deliveries", "broadcast_triggers", "broadcast_trigger_errors",
    "segment_dependencies", "sender_identity_usage", "optouts", "subscription_channels", "design_studio_emails",
    "design_studio_components", "design_studio_folders", "object_relationships", "survey_responses",
    "customer_subscription_preferences", "message_contents",
)  # fmt: skip
#: Beside the key, the columns whose values are checked against the truth's rows.
ROW_COLUMNS = {
    "segment_memberships": ("segment_id", "cio_id", "id", "email"),
    "esp_suppressions": ("suppression_type", "email", "created", "reason", "status"),
    "snippets": ("name", "value", "updated_at"),
    "newsletter_variants": ("id", "newsletter_id", "language"),
    "transactional_variants": ("id", "transactional_id", "language", "updated"),
    "newsletter_messages": ("id", "newsletter_id", "content_id", "created"),
    "transactional_deliveries": ("id", "transactional_message_id", "created"),
    "broadcast_triggers": ("id", "broadcast_id", "created_at", "processed_at"),
    "optouts": ("cio_id", "customer_id", "channel", "sender"),
    "survey_responses": ("message_id", "response", "value", "created"),
    "customer_subscription_preferences": ("customer_id", "id", "email", "unsubscribed"),
    "object_relationships": ("object_type_id", "object_id", "cio_id", "id", "email"),
    "subscription_channels": ("id", "name", "type", "subscribed_by_default"),
    "design_studio_emails": ("id", "parent_folder_id", "updated", "is_template", "is_linked", "has_translations"),
    "design_studio_components": ("id", "parent_folder_id", "updated", "tag"),
    "design_studio_folders": ("id", "parent_folder_id", "updated"),
}


#: Spends a daily allowance of the fake it loads from: tested on a fake of its own (test_message_contents.py).
BUDGETED = ("message_contents",)


def _spec(table: Table, turn: int) -> str:
    return f"{table.name}:{PERIODS[turn % len(PERIODS)]}" if table.periods else table.name


FULL = [_spec(table, turn) for turn, table in enumerate(EXTRA_TABLES) if table.name not in BUDGETED]
INTERVAL_SPECS = [_spec(table, turn + 1) for turn, table in enumerate(EXTRA_TABLES) if table.name not in BUDGETED]
#: Newsletters send within days of their creation, all in the last 300 days: the delivery tables' interval holds
#: one newsletter's sends and some transactional ones (days before the run, start and end).
DELIVERY_TABLES = ("newsletter_messages", "transactional_deliveries", "survey_responses")
DELIVERY_INTERVAL = (250 * DAY, 150 * DAY)
#: The tables the interval changes (extra-tables.md, "Interval"), one per run; then the others in one run.
DESIGN_STUDIO = ("design_studio_emails", "design_studio_components", "design_studio_folders")
FILTERED = ("snippets", "transactional_variants", "campaign_journey_metrics", *DELIVERY_TABLES, *DESIGN_STUDIO)
WITH_INTERVAL = [
    *(spec for spec in INTERVAL_SPECS if spec.partition(":")[0] in FILTERED),
    ",".join(spec for spec in INTERVAL_SPECS if spec.partition(":")[0] not in FILTERED),
]


@pytest.fixture(scope="module")
def contract(fake: FakeCustomerIO, workspace: Workspace) -> Contract:
    def truth(name: str, period: str | None, end: int) -> set[tuple]:
        return workspace.expected_keys(name, period, end=end if name in V2_TABLES else None)

    return Contract(tables=EXTRA_TABLES, source_uri=source_uri(fake), truth=truth)


def test_the_tables_beyond_the_31() -> None:
    assert len(EXTRA_TABLES) == 15 + len(ISSUE_20) and not any(table.in_all for table in EXTRA_TABLES)
    assert {table.name for table in EXTRA_TABLES} >= set(ISSUE_20)
    for specs in (FULL, INTERVAL_SPECS):
        assert {spec.partition(":")[2] for spec in specs} >= set(PERIODS)


@pytest.mark.parametrize("spec", FULL)
def test_table_is_complete(spec: str, contract: Contract, workspace: Workspace, tmp_path: Path) -> None:
    check_table(contract, spec, tmp_path)
    name = spec.partition(":")[0]
    if name in ROW_COLUMNS:
        columns = ROW_COLUMNS[name]
        loaded = query(tmp_path / "contract.duckdb", f"select {', '.join(columns)} from contract.contract.{name}")
        assert set(loaded) == {tuple(row[c] for c in columns) for row in workspace.rows(name)}


def test_suppressions_complete_when_pages_are_smaller_than_asked(workspace: Workspace, tmp_path: Path) -> None:
    """omniload asks for 1000 a page; a server that clamps to 40 without a word still gives every address: offset
    moves by the records received, and the read ends at a page shorter than the first."""
    options = FakeOptions(page_sizes={**DEFAULT_PAGE_SIZES, "suppressions": (100, 40)})
    with FakeCustomerIO(workspace, api_key=API_KEY, rate_limit=None, options=options) as small_pages:
        db = tmp_path / "suppressions.duckdb"
        ran = ingest(small_pages, "esp_suppressions", db, "cio.esp_suppressions")
        bounces = [r.query["offset"][0] for r in small_pages.log if r.path == "/v1/esp/suppression/bounces"]

    assert ran.code == 0, ran.output
    loaded = set(query(db, "select suppression_type, email from cio.esp_suppressions"))
    assert loaded == workspace.expected_keys("esp_suppressions")
    assert len(workspace.people.suppressed("bounces")) == 163 and bounces == ["0", "40", "80", "120", "160"]


@pytest.mark.parametrize("specs", WITH_INTERVAL, ids=lambda specs: "others" if "," in specs else specs)
def test_tables_with_an_interval(specs: str, fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path) -> None:
    """Snippets and transactional variants keep the rows updated in the interval, journey metrics cover the
    interval's periods, the delivery tables hold the deliveries created in it; the other tables ignore it
    (extra-tables.md, "Interval")."""
    ago = DELIVERY_INTERVAL if specs in DELIVERY_TABLES else (395 * DAY, 342 * DAY + DAY // 2)
    start, end = workspace.now - ago[0], workspace.now - ago[1]
    db = tmp_path / "interval.duckdb"
    several = "," in specs
    dest = "cio" if several else f"cio.{specs.partition(':')[0]}"

    ran = ingest(fake, specs, db, dest, "--interval-start", _iso(start), "--interval-end", _iso(end))

    assert ran.code == 0, ran.output
    for spec in specs.split(","):
        name, _, period = spec.partition(":")
        table = next(t for t in EXTRA_TABLES if t.name == name)
        loaded_as = f"{name}_{period}" if several and period else name
        loaded = set(query(db, f"select {', '.join(table.primary_key)} from cio.{loaded_as}"))
        expected = _interval_truth(workspace, table, period or None, start, end)
        assert loaded == expected and loaded, f"{spec}: {len(loaded)} keys loaded, the truth has {len(expected)}"


def _interval_truth(workspace: Workspace, table: Table, period: str | None, start: int, end: int) -> set[tuple]:
    if table.incremental_key:
        rows: list[dict[str, Any]] = workspace.rows(table.name)
        kept = [row for row in rows if start <= row[table.incremental_key] <= end]
        assert 0 < len(kept) < len(rows), "the interval keeps some rows, not all"
        return {tuple(row[c] for c in table.primary_key) for row in kept}
    if isinstance(table.read, FromPass):  # server-side windows on the delivery's creation
        created = [row for row in workspace.rows(table.name) if start <= row["created"] <= end]
        assert 0 < len(created) < len(workspace.rows(table.name)), "the interval holds some deliveries, not all"
        return {tuple(row[c] for c in table.primary_key) for row in created}
    if table.name == "campaign_journey_metrics":
        assert period is not None
        steps = periods_between(period_floor(start, period), end, period)
        return {(c["id"], period, i) for c in workspace.rows("campaigns") for i in range(steps)}
    return workspace.expected_keys(table.name, period)


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@pytest.mark.parametrize("name", ["optouts", *DESIGN_STUDIO])
def test_small_pages_are_walked_to_the_end(
    name: str, fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    """`--page-size 7`: opt-outs follow `next` until a page without one (the key is absent on the last page);
    the Design Studio listings count `page` up to `meta.pagination.total`, without asking for an empty page."""
    db = tmp_path / "pages.duckdb"
    fake.reset_log()
    ran = ingest(fake, name, db, f"cio.{name}", "--page-size", "7")
    path = f"/v1/design_studio/{name.removeprefix('design_studio_')}" if name in DESIGN_STUDIO else "/v1/optouts"
    asked = [r for r in fake.log if r.path == path]

    assert ran.code == 0, ran.output
    key = next(t for t in EXTRA_TABLES if t.name == name).primary_key
    assert set(query(db, f"select {', '.join(key)} from cio.{name}")) == workspace.expected_keys(name)
    assert all(r.query["limit"] == ["7"] for r in asked)
    if name in DESIGN_STUDIO:
        items = len(workspace.rows(name))
        assert [r.query["page"] for r in asked] == [[str(p)] for p in range(1, -(-items // 7) + 1)]
    else:
        assert len(asked) == -(-len(optouts.opted_out(workspace.people)) // 7) > 2


@pytest.mark.parametrize("name", DESIGN_STUDIO)
def test_design_studio_intervals_are_sent_as_exclusive_bounds(
    name: str, fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    """An inclusive interval is asked of the server one second wider on each side (`updated_after`,
    `updated_before` exclude their bound): items updated exactly at its edges are kept."""
    rows = sorted(workspace.rows(name), key=lambda row: row["updated"])
    start, end = rows[1]["updated"], rows[-2]["updated"]  # edges that are some items' own `updated`
    fake.reset_log()
    ran = ingest(fake, name, tmp_path / "edges.duckdb", f"cio.{name}", "--interval-start", _iso(start),
                 "--interval-end", _iso(end))  # fmt: skip

    assert ran.code == 0, ran.output
    asked = [r.query for r in fake.log if r.path == f"/v1/design_studio/{name.removeprefix('design_studio_')}"]
    assert asked and all(q["updated_after"] == [str(start - 1)] and q["updated_before"] == [str(end + 1)]
                         for q in asked)  # fmt: skip
    loaded = set(query(tmp_path / "edges.duckdb", f"select id from cio.{name}"))
    assert loaded == {(row["id"],) for row in rows if start <= row["updated"] <= end}
    assert (rows[1]["id"],) in loaded and (rows[-2]["id"],) in loaded and (rows[0]["id"],) not in loaded


def test_design_studio_content_only_when_the_uri_asks(
    fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    """`design_studio_content=true` joins each email's detail (a request per email) to its row; without it the
    listing alone is read; any other value is refused in one line."""
    emails = workspace.rows("design_studio_emails")
    for flag, details in (("false", 0), ("true", len(emails))):
        db = tmp_path / f"content_{flag}.duckdb"
        fake.reset_log()
        ran = ingest(fake, "design_studio_emails", db, "cio.emails", design_studio_content=flag)
        assert ran.code == 0, ran.output
        assert sum(1 for r in fake.log if r.path.startswith("/v1/design_studio/emails/")) == details
        columns = {row[0] for row in query(db, "describe cio.emails")}
        assert ("content" in columns) == bool(details) and len(query(db, "select id from cio.emails")) == len(
            emails
        )
    html = dict(query(db, "select id, content->>'html' from cio.emails"))
    assert html == {e["id"]: design_studio.email_detail(e)["content"]["html"] for e in emails}
    refused = ingest(
        fake, "design_studio_emails", tmp_path / "x.duckdb", "cio.emails", design_studio_content="yes"
    )
    assert (
        refused.code == 2
        and refused.output.strip() == "error: design_studio_content must be true or false, not 'yes'"
    )


def test_survey_answers_ride_on_the_one_delivery_pass(
    fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    """`survey_responses` adds `get_tracked_responses=true` to the delivery pass it shares with the other
    delivery tables (no request of its own); without it the pass does not ask for answers."""
    for specs, flagged in (("campaign_messages", False), ("campaign_messages,survey_responses", True)):
        fake.reset_log()
        ran = ingest(fake, specs, tmp_path / f"{flagged}.duckdb", "cio")
        assert ran.code == 0, ran.output
        reads = [r for r in fake.log if r.path == "/v1/messages"]
        assert reads and all(("get_tracked_responses" in r.query) == flagged for r in reads)
        windows = {(r.query["start_ts"][0], r.query["end_ts"][0]) for r in reads if "start" not in r.query}
        assert len(windows) == len([r for r in reads if "start" not in r.query]), "each window read once"
    loaded = set(query(tmp_path / "True.duckdb", "select message_id, response from cio.survey_responses"))
    assert loaded == workspace.expected_keys("survey_responses") and loaded
