"""Several tables in one run, `all+` (the 31 of `all` and the tables beyond them): each lands complete under its
own name, and shared reads happen once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniload.sources.customerio.catalog import TABLES
from omniload.sources.customerio.periods import PERIODS
from omniload.testing.customerio import FakeCustomerIO, FakeOptions, Workspace, WorkspaceSpec
from omniload.testing.customerio.workspace import V2_TABLES
from tests.conftest import API_KEY, ingest, query

#: Every quirk the docs leave open or that was observed live, switched to its less convenient side.
QUIRKS = FakeOptions(
    next_on_last="missing", empty_pages=True, null_records=True, duplicate_pages=True,
    paged_broadcast_actions=True, broadcast_action_ids_as_strings=True, cio_id_as_number=True,
    wrap_attribute_items=True, sender_hidden="include", test_groups_missing="empty", over_max_limit="400",
    metric_totals=True,
)


@pytest.fixture(scope="module")
def workspace() -> Workspace:
    return Workspace(WorkspaceSpec())


@pytest.fixture(scope="module", params=["documented", "quirks"])
def server(request: pytest.FixtureRequest, workspace: Workspace) -> Iterator[FakeCustomerIO]:
    options = QUIRKS if request.param == "quirks" else None
    with FakeCustomerIO(workspace, api_key=API_KEY, rate_limit=None, options=options) as fake:
        yield fake


@pytest.fixture(scope="module")
def loaded_all(server: FakeCustomerIO, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float, float]:
    db = tmp_path_factory.mktemp("all") / "workspace.duckdb"
    server.reset_log()
    ran = ingest(server, "all+", db, "cio")
    assert ran.code == 0, ran.output
    return db, ran.started, ran.ended


def _keys(db: Path, table: str, key: tuple[str, ...]) -> set[tuple]:
    return set(query(db, f"select {', '.join(key)} from cio.{table}"))


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_table_of_all_plus_is_complete(table, loaded_all, workspace: Workspace) -> None:
    db, started, ended = loaded_all
    for period in PERIODS if table.periods else (None,):
        name = f"{table.name}_{period}" if period else table.name
        loaded = _keys(db, name, table.primary_key)
        if table.name in V2_TABLES:
            assert loaded in [workspace.expected_keys(table.name, period, end=int(t)) for t in (started, ended)]
        else:
            assert loaded == workspace.expected_keys(table.name, period), name


def test_shared_reads_happen_once(loaded_all, server: FakeCustomerIO, workspace: Workspace) -> None:
    def calls(method: str, path: str) -> int:
        return sum(1 for r in server.log if r.method == method and r.path == path)

    listings = ("/v1/campaigns", "/v1/broadcasts", "/v1/newsletters", "/v1/object_types", "/v1/transactional",
                "/v1/segments", "/v1/collections")
    for listing in listings:  # each read once, though the 31 and the tables beyond them both fan out over it
        assert calls("GET", listing) == 1, listing
    for broadcast in workspace.rows("broadcasts"):  # a list read per parent, shared by the errors (issue 20)
        assert calls("GET", f"/v1/broadcasts/{broadcast['id']}/triggers") == 1
    searches = [r for r in server.log if r.method == "POST" and r.path == "/v1/objects"]
    first_object_pages = [r for r in searches if not r.query.get("start") and r.status == 200]  # 400: a limit
    assert len(first_object_pages) == len(workspace.rows("object_types")), "each type's objects listed once"
    people_pages = -(-len(workspace.rows("customers")) // 1000)
    empty_extra = 1 if server.options.null_records else 0
    assert calls("POST", "/v1/customers") <= people_pages + empty_extra
    first_membership_pages = [r for r in server.log if r.path.endswith("/membership") and "start" not in r.query]
    assert len(first_membership_pages) == len(workspace.rows("segments")), "each segment asked once"
    assert all("id_type=cio_id" in _query(r) for r in server.log if r.path.startswith("/v1/customers/")), \
        "every person endpoint is addressed by cio_id"


def test_delivery_rows_equal_the_per_parent_reads(loaded_all, workspace: Workspace) -> None:
    """The one-pass shortcut writes exactly the rows the per-campaign/per-person endpoints would give."""
    db = loaded_all[0]
    for table in ("campaign_messages", "broadcast_messages", "customer_messages", "customer_activities"):
        expected = {(r["id"], r["customer_id"]) for r in workspace.rows(table)}
        assert set(query(db, f"select id, customer_id from cio.{table}")) == expected, table


def _query(request) -> str:
    return "&".join(f"{k}={v}" for k, values in request.query.items() for v in values)
