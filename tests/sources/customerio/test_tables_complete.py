"""Every table-period of the 31 Customer.io tables (`all`), loaded by the real CLI from the fake API into a real
DuckDB file, holds exactly the fake's ground truth: the completeness contract (`omniload.testing.contract`) run
for this source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniload.sources.customerio.catalog import PRODUCT_TABLES
from omniload.testing.contract import Contract, check_table, table_specs
from omniload.testing.customerio import FakeCustomerIO, Workspace
from omniload.testing.customerio.workspace import V2_TABLES
from tests.conftest import ingest, query, source_uri

#: The contract keys newsletter_test_groups on `id`, but numbers groups from 0 inside each newsletter and forbids
#: de-duplicating them: (newsletter_id, id) is what tells its rows apart (docs/contract/customerio/tables.md 4.23).
ROW_IDENTITY = {"newsletter_test_groups": ("newsletter_id", "id")}


@pytest.fixture(scope="module")
def contract(fake: FakeCustomerIO, workspace: Workspace) -> Contract:
    def truth(name: str, period: str | None, end: int) -> set[tuple]:
        # Version 2 metrics end at the client's clock; a period boundary may pass between the two readings of it.
        return workspace.expected_keys(name, period, end=end if name in V2_TABLES else None)

    return Contract(tables=PRODUCT_TABLES, source_uri=source_uri(fake), truth=truth, row_identity=ROW_IDENTITY)


def test_there_are_46_table_periods() -> None:
    assert len(table_specs(PRODUCT_TABLES)) == 46


@pytest.mark.parametrize("spec", table_specs(PRODUCT_TABLES))
def test_table_is_complete(spec: str, contract: Contract, workspace: Workspace, tmp_path: Path) -> None:
    loaded = check_table(contract, spec, tmp_path)
    name = spec.partition(":")[0]
    if name in ROW_IDENTITY:
        identity = ROW_IDENTITY[name]
        assert set(loaded.rows) == {tuple(r[c] for c in identity) for r in workspace.rows(name)}


#: The tables linked to people through the delivery and activity passes, one per run and together.
PERSON_TABLES = ("customer_messages", "customer_activities", "customer_messages,customer_activities")


@pytest.mark.parametrize("tables", PERSON_TABLES)
@pytest.mark.parametrize("interval", [False, True], ids=["full", "interval"])
def test_person_rows_are_linked_by_cio_id_or_id(
    tables: str, interval: bool, fake: FakeCustomerIO, workspace: Workspace, tmp_path: Path
) -> None:
    """Rows whose customer_identifiers is null are linked through their own customer_id, the person's `id`
    (tables.md section 5, items 1 and 2); only the rows of nobody are left out, and the warnings count them."""
    db = tmp_path / "people.duckdb"
    start, end = workspace.now - 200 * 86400, workspace.now - 10 * 86400
    extra = ["--interval-start", _iso(start), "--interval-end", _iso(end)] if interval else []

    ran = ingest(fake, tables, db, "cio" if "," in tables else f"cio.{tables}", *extra)

    assert ran.code == 0, ran.output
    for name in tables.split(","):
        everyone = workspace.rows(name.removeprefix("customer_"))
        if interval and name == "customer_messages":  # windows cover the interval (4.16); activities ignore it
            everyone = [r for r in everyone if start <= r["created"] <= end]
        within = {r["id"] for r in everyone}
        expected = {(r["id"], r["customer_id"]) for r in workspace.rows(name) if r["id"] in within}
        assert any(r["customer_identifiers"] is None and r["customer_id"] for r in everyone), name
        assert set(query(db, f"select id, customer_id from cio.{name}")) == expected, name
        nobody = len(within) - len(expected)
        assert nobody and f"{name}: {nobody} rows match no person" in ran.stderr, name


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()
