"""README "A plan before the run": `omniload ingest --plan` against the fake over real HTTP prints per table the
requests a real run makes (the fake counts them in `fake.log`), says which tables it cannot count and by what
rule they grow, reads none of the people or deliveries, and writes nothing."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from omniload.sources.customerio.catalog import PRODUCT_TABLES
from omniload.testing.customerio import FakeCustomerIO, Workspace
from tests.conftest import Ran, ingest

#: Tables whose cost the plan knows from the parent lists and the segments' counts; on the small fake no object
#: type spans pages.
CHEAP = "campaigns,broadcast_action_metrics:days,collection_contents,objects,segment_memberships,exports"

#: `GET /v1/campaigns/{id}/actions` pages are fixed at 10 (docs/contract/customerio/README.md, page-size maxima).
ACTIONS_PAGE = 10


def plan(fake: FakeCustomerIO, tables: str, db: Path) -> tuple[Ran, dict[str, tuple[str, str]]]:
    """The `--plan` output and its table: load name → (requests, note)."""
    ran = ingest(fake, tables, db, "plan", "--plan")
    assert ran.code == 0, ran.output
    header, *lines = ran.stdout.split("\n\n")[0].splitlines()
    assert header.split()[:5] == ["table", "requests", "time", "at", "1000"]
    rows = [re.split(r" {2,}", line.strip(), maxsplit=3) for line in lines]
    return ran, {name: (requests, note) for name, requests, _time, note in rows}


def total(ran: Ran) -> int:
    found = re.search(r"^total: (?:at least )?([\d,]+) requests?", ran.stdout, re.MULTILINE)
    assert found, ran.stdout
    return int(found.group(1).replace(",", ""))


def test_the_plan_of_cheap_tables_is_what_the_run_then_requests(
    fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    before = len(fake.log)
    ran, estimates = plan(fake, CHEAP, tmp_path / "plan.duckdb")
    planned = len(fake.log) - before
    assert estimates["campaigns"] == ("1", f"{len(workspace.rows('campaigns'))} rows, read by the plan")
    actions = len(workspace.rows("broadcast_actions"))
    assert estimates["broadcast_action_metrics_days"] == (
        str(1 + actions),
        f"1 to list broadcasts, then one request per broadcast action ({actions})",
    )
    types = len(workspace.rows("object_types"))
    assert estimates["objects"] == (
        f">= {1 + types}",
        f"1 to list object types, then one read per object type ({types}), more where one spans pages",
    )
    segments, members = len(workspace.rows("segments")), len(workspace.rows("segment_memberships"))
    assert estimates["segment_memberships"] == (
        str(1 + segments),  # each segment fits one page of 5,000
        f"1 to list segments, then one read per segment ({segments}), "
        f"{members:,} identifiers by the API's counts, 5,000 a page",
    )
    assert estimates["exports"] == ("1", "one request, not read ahead")
    assert f"the plan made {planned} requests; nothing was written" in ran.stdout
    assert not (tmp_path / "plan.duckdb").exists()

    before = len(fake.log)
    loaded = ingest(fake, CHEAP, tmp_path / "run.duckdb", "run")
    assert loaded.code == 0, loaded.output
    assert len(fake.log) - before == total(ran)


def test_a_floor_is_a_floor(fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path) -> None:
    """Campaign actions come 10 a page: a campaign with more costs a request more than the plan's floor."""
    ran, estimates = plan(fake, "campaign_actions", tmp_path / "plan.duckdb")
    campaigns = len(workspace.rows("campaigns"))
    assert estimates["campaign_actions"] == (
        f">= {1 + campaigns}",
        f"1 to list campaigns, then one read per campaign ({campaigns}), more where one spans pages",
    )
    before = len(fake.log)
    loaded = ingest(fake, "campaign_actions", tmp_path / "run.duckdb", "run")
    assert loaded.code == 0, loaded.output
    per_campaign = Counter(row["campaign_id"] for row in workspace.rows("campaign_actions"))
    pages_beyond_the_first = sum(-(-count // ACTIONS_PAGE) - 1 for count in per_campaign.values())
    assert pages_beyond_the_first > 0
    assert len(fake.log) - before == total(ran) + pages_beyond_the_first


def test_tables_it_cannot_count_say_so_with_their_rule(fake: FakeCustomerIO, tmp_path: Path) -> None:
    before = len(fake.log)
    ran, estimates = plan(fake, "customers,customer_attributes,messages,activities", tmp_path / "plan.duckdb")
    assert estimates["customers"] == (
        "unknown",
        "listing the people: one request per 1,000; Customer.io gives no count of people",
    )
    assert estimates["customer_attributes"][0] == "unknown"
    assert estimates["customer_attributes"][1].startswith("one request per 100 of the people, after listing")
    assert estimates["messages"][0] == "unknown"
    assert re.match(
        r"one request per 1,000 messages, in \d+ windows of 90 days since \d{4}-", estimates["messages"][1]
    )
    assert estimates["activities"][0] == "unknown"
    assert "unknown: 4 tables, whose cost the API gives no cheap count of" in ran.stdout
    read = {logged.path for logged in fake.log[before:]}
    assert read and not read & {"/v1/customers", "/v1/customers/attributes", "/v1/messages", "/v1/activities"}
    assert not (tmp_path / "plan.duckdb").exists()


def test_a_plan_of_all_lists_every_table_and_stops(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran, estimates = plan(fake, "all", tmp_path / "plan.duckdb")
    assert len(estimates) == sum(len(table.periods) or 1 for table in PRODUCT_TABLES)
    assert re.search(
        r"^total: at least [\d,]+ requests for \d+ tables, about [\d.]+ s at 1000 req/s$", ran.stdout, re.MULTILINE
    ), ran.stdout
    assert "unknown: 9 tables" in ran.stdout
    assert not (tmp_path / "plan.duckdb").exists()


def test_bad_input_is_refused_as_for_a_run(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = ingest(fake, "campaign", tmp_path / "plan.duckdb", "plan", "--plan")
    assert ran.code == 2
    assert ran.stderr.startswith("error: unknown Customer.io table 'campaign'; did you mean 'campaigns'?")
    assert ran.stdout == ""
