"""What a live workspace does mid-run: parents deleted after they were listed, a key revoked half-way, an
answer without its records key. Each against a real HTTP server (cursors that never end: test_hostile_servers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniload.sources.customerio.catalog import EXTRA_TABLES
from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests.conftest import API_KEY, ingest, query


@pytest.fixture
def fresh() -> Iterator[tuple[FakeCustomerIO, Workspace]]:
    workspace = Workspace(WorkspaceSpec())
    with FakeCustomerIO(workspace, api_key=API_KEY, rate_limit=None) as fake:
        yield fake, workspace


def test_a_campaign_deleted_mid_run_is_skipped_with_a_warning(fresh, tmp_path: Path) -> None:
    fake, workspace = fresh
    fake.delete_after(1, "campaign", 7)  # right after the campaign list named it

    ran = ingest(fake, "campaign_actions", tmp_path / "x.duckdb", "cio.campaign_actions")

    assert ran.code == 0, ran.output
    assert "campaign_id 7" in ran.stderr and "404" in ran.stderr
    loaded = set(query(tmp_path / "x.duckdb", "select id from cio.campaign_actions"))
    expected = {(r["id"],) for r in workspace.rows("campaign_actions") if r["campaign_id"] != 7}
    assert loaded == expected and expected


#: Tables beyond `all` (extra-tables.md: "404 → skip with a warning"), each with a parent deleted mid-run.
DELETED_PARENTS = [
    ("segment_memberships", "segment", 6),
    ("newsletter_variants", "newsletter", 129),
    ("campaign_link_metrics:days", "campaign", 8),
    ("collection_contents", "collection", 3),
    ("broadcast_triggers", "broadcast", 13),
    ("broadcast_trigger_errors", "broadcast", 12),  # its triggers' read answers 404: none of its errors are read
    ("segment_dependencies", "segment", 6),
]


@pytest.mark.parametrize(("spec", "kind", "gone"), DELETED_PARENTS, ids=[row[0] for row in DELETED_PARENTS])
def test_a_parent_deleted_mid_run_leaves_out_its_rows_of_a_table_beyond_all(
    spec: str, kind: str, gone: int, fresh, tmp_path: Path
) -> None:
    fake, workspace = fresh
    fake.delete_after(1, kind, gone)  # right after the parent list named it
    name, _, period = spec.partition(":")
    key = next(t for t in EXTRA_TABLES if t.name == name).primary_key
    parent = f"{kind}_id"

    ran = ingest(fake, spec, tmp_path / "x.duckdb", f"cio.{name}")

    assert ran.code == 0, ran.output
    assert f"{parent} {gone}" in ran.stderr and "404" in ran.stderr
    if period:
        everything = workspace.expected_keys(name, period)
        expected = {k for k in everything if k[key.index(parent)] != gone}
    else:
        everything = workspace.expected_keys(name)
        expected = {tuple(r[c] for c in key) for r in workspace.rows(name) if r[parent] != gone}
    assert set(query(tmp_path / "x.duckdb", f"select {', '.join(key)} from cio.{name}")) == expected
    assert expected and len(expected) < len(everything), "the deleted parent had rows, the others too"


def test_a_person_deleted_mid_run_is_skipped(fresh, tmp_path: Path) -> None:
    fake, workspace = fresh
    relationships = workspace.rows("customer_relationships")
    gone = relationships[0]["customer_id"]
    people_pages = -(-len(workspace.rows("customers")) // 1000)
    fake.delete_after(people_pages, "person", gone)

    ran = ingest(fake, "customer_relationships", tmp_path / "x.duckdb", "cio.rel")

    assert ran.code == 0, ran.output
    assert gone in ran.stderr
    loaded = set(query(tmp_path / "x.duckdb", "select customer_id, object_type_id, object_id from cio.rel"))
    assert loaded == {k for k in workspace.expected_keys("customer_relationships") if k[0] != gone}


def test_a_key_revoked_half_way_fails_the_run_and_loads_nothing(fresh, tmp_path: Path) -> None:
    fake, _ = fresh
    fake.inject("/v1/customers/", status=401, after=20, times=10_000)

    ran = ingest(fake, "customer_relationships", tmp_path / "x.duckdb", "cio.rel")

    assert ran.code == 1
    assert "401" in ran.stderr and "Traceback" not in ran.output and API_KEY not in ran.output
    tables = query(tmp_path / "x.duckdb", "select table_name from information_schema.tables") \
        if (tmp_path / "x.duckdb").exists() else []
    assert ("rel",) not in tables


def test_an_answer_without_the_records_key_is_said_once(fresh, tmp_path: Path) -> None:
    """A 200 that is not the endpoint's answer (a gateway's own JSON) loads nothing, and the log says so once per
    endpoint, even when every parent of a fan-out gets it."""
    fake, workspace = fresh
    fake.inject("/v1/segments", status=200, body="unrelated", times=1)
    fake.inject("/v1/campaigns/", status=200, body="unrelated", times=1000)  # every campaign's actions

    ran = ingest(fake, "segments,campaign_actions", tmp_path / "x.duckdb", "cio")

    assert ran.code == 0, ran.output
    assert ran.stderr.count("/v1/segments answered without 'segments' (keys: status)") == 1, ran.stderr
    assert ran.stderr.count("/v1/campaigns/{campaign_id}/actions answered without 'actions'") == 1, ran.stderr
    assert query(tmp_path / "x.duckdb", "select count(*) from cio.segments") == [(0,)]
    assert query(tmp_path / "x.duckdb", "select count(*) from cio.campaign_actions") == [(0,)]
    assert len(workspace.rows("campaign_actions")) > 1  # several parents answered without the key
