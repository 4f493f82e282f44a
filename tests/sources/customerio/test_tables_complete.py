"""Every Customer.io table-period, loaded by the real CLI from the fake API into a real DuckDB file, holds exactly
the fake's ground truth: the completeness contract (`omniload.testing.contract`) run for this source."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniload.sources.customerio.catalog import TABLES
from omniload.testing.contract import Contract, check_table, table_specs
from omniload.testing.customerio import FakeCustomerIO, Workspace
from tests.conftest import source_uri

VERSION_2 = ("campaign_metrics", "campaign_action_metrics")
#: The contract keys newsletter_test_groups on `id`, but numbers groups from 0 inside each newsletter and forbids
#: de-duplicating them: (newsletter_id, id) is what tells its rows apart (docs/contract/customerio/tables.md 4.23).
ROW_IDENTITY = {"newsletter_test_groups": ("newsletter_id", "id")}


@pytest.fixture(scope="module")
def contract(fake: FakeCustomerIO, workspace: Workspace) -> Contract:
    def truth(name: str, period: str | None, end: int) -> set[tuple]:
        # Version 2 metrics end at the client's clock; a period boundary may pass between the two readings of it.
        return workspace.expected_keys(name, period, end=end if name in VERSION_2 else None)

    return Contract(tables=TABLES, source_uri=source_uri(fake), truth=truth, row_identity=ROW_IDENTITY)


def test_there_are_46_table_periods() -> None:
    assert len(table_specs(TABLES)) == 46


@pytest.mark.parametrize("spec", table_specs(TABLES))
def test_table_is_complete(spec: str, contract: Contract, workspace: Workspace, tmp_path: Path) -> None:
    loaded = check_table(contract, spec, tmp_path)
    name = spec.partition(":")[0]
    if name in ROW_IDENTITY:
        identity = ROW_IDENTITY[name]
        assert set(loaded.rows) == {tuple(r[c] for c in identity) for r in workspace.rows(name)}
