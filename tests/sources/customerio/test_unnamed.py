"""Rows that name no person (null `customer_identifiers` and `customer_id`: people without an `id`) find their
person by the email they were sent to, then by reading the people without an `id` within `unnamed_budget`
(docs/contract/customerio/changes.md section 5), over real HTTP against the fake."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from omniload.source import Position, TableRequest
from omniload.sources.customerio.catalog import CATALOG
from omniload.sources.customerio.passes import CHUNK_WINDOWS_VARIABLE, WINDOW_SECONDS
from omniload.sources.customerio.source import SOURCE
from omniload.testing.customerio import FakeCustomerIO, Workspace
from tests.conftest import ingest, query, source_uri

TABLES = ("customer_messages", "customer_activities")


def unnamed(workspace: Workspace, table: str) -> dict[str, dict[str, Any]]:
    """The rows of `table` that name no person, by id, with the person the fake gives them."""
    records = {r["id"]: r for r in workspace.rows(table.removeprefix("customer_"))}
    return {
        row["id"]: {**records[row["id"]], "person": row["customer_id"]}
        for row in workspace.rows(table)
        if records[row["id"]]["customer_identifiers"] is None and records[row["id"]]["customer_id"] is None
    }


def truth(workspace: Workspace, table: str) -> set[tuple[str, str]]:
    return {(row["id"], row["customer_id"]) for row in workspace.rows(table)}


def per_person_reads(fake: FakeCustomerIO, mark: int, what: str) -> list[Any]:
    return [r for r in fake.log[mark:] if re.fullmatch(rf"/v1/customers/[^/]+/{what}", r.path)]


def test_the_workspace_has_rows_of_people_without_an_id_of_every_kind(workspace: Workspace) -> None:
    messages = unnamed(workspace, "customer_messages")
    assert {row["type"] for row in messages.values()} >= {"email", "push"}
    assert all(row["recipient"] for row in messages.values() if row["type"] == "email")
    without_id = {p["cio_id"] for p in workspace.rows("customers") if p["id"] is None}
    assert {row["person"] for row in messages.values()} <= without_id


def test_every_row_finds_its_person_without_an_id(
    fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    db, mark = tmp_path / "unnamed.duckdb", len(fake.log)

    ran = ingest(fake, ",".join(TABLES), db, "cio")

    assert ran.code == 0, ran.output
    for table in TABLES:
        assert set(query(db, f"select id, customer_id from cio.{table}")) == truth(workspace, table), table
    without_id = {p["cio_id"] for p in workspace.rows("customers") if p["id"] is None}
    reads = per_person_reads(fake, mark, "messages") + per_person_reads(fake, mark, "activities")
    assert reads and {r.path.split("/")[3] for r in reads} <= without_id  # only people without an id are read
    for read in per_person_reads(fake, mark, "messages"):  # in the spans of the rows still waiting
        start, end = int(read.query["start_ts"][0]), int(read.query["end_ts"][0])
        assert 0 <= end - start < WINDOW_SECONDS
    found = re.search(r"customer_messages: (\d+) of (\d+) rows naming no person found", ran.stderr)
    email = [r for r in unnamed(workspace, "customer_messages").values() if r["type"] == "email"]
    assert found and int(found[1]) == len(unnamed(workspace, "customer_messages")) - len(email)


def test_the_email_links_with_no_read_and_the_budget_bounds_the_reads(
    fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    rows = unnamed(workspace, "customer_messages")
    by_email = {(i, r["person"]) for i, r in rows.items() if r["type"] == "email"}
    not_by_email = {(i, r["person"]) for i, r in rows.items() if r["type"] != "email"}
    for budget in (0, 3):
        db, mark = tmp_path / f"budget{budget}.duckdb", len(fake.log)

        ran = ingest(fake, "customer_messages", db, "cio.customer_messages", unnamed_budget=str(budget))

        assert ran.code == 0, ran.output
        loaded = set(query(db, "select id, customer_id from cio.customer_messages"))
        assert by_email <= loaded <= truth(workspace, "customer_messages")
        if budget == 0:
            assert loaded == truth(workspace, "customer_messages") - not_by_email
        assert len(per_person_reads(fake, mark, "messages")) == budget
        assert "customer_messages: the per-person reads stopped at unnamed_budget" in ran.stderr


def test_a_chunked_pass_moves_its_position_only_past_rows_found(
    fake: FakeCustomerIO, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table read in chunks with rows still waiting gives no position until they are read: a run killed
    while reading people without an id resumes before them."""
    monkeypatch.setenv(CHUNK_WINDOWS_VARIABLE, "1")
    reader = SOURCE.connect(source_uri(fake)).reader()
    request = TableRequest(CATALOG["customer_messages"])
    expected = {row["id"]: row["created"] for row in workspace.rows("customer_messages")}
    yielded: set[str] = set()
    positions = []
    for asked, item in reader.read_all([request]):
        if asked is not request or item is None:
            continue
        if isinstance(item, Position):
            if item.value is not None:
                positions.append(item.value)
                assert {i for i, at in expected.items() if at <= item.value} <= yielded, item.label
            continue
        yielded.update(str(row["id"]) for row in item)
    assert yielded == set(expected)
    assert positions  # the last, at least, comes after the reads of people without an id


def test_the_plan_gives_the_rule_and_the_budget(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = ingest(fake, "customer_messages", tmp_path / "plan.duckdb", "plan", "--plan", unnamed_budget="250")

    assert ran.code == 0, ran.output
    rule = "cost a read of each person without an id, at most 250 requests for this table (unnamed_budget)"
    assert rule in ran.stdout
