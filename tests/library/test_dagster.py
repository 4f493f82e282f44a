"""The README's Dagster example (examples/dagster/definitions.py) materializes one asset per table, in process,
over the fake, and loads the rows `omniload ingest` loads."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from dagster import materialize

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, ingest
from tests.library.support import rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dagster" / "definitions.py"


def test_the_example_materializes_one_asset_per_table(
    fake: FakeCustomerIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CUSTOMERIO_API_KEY", API_KEY)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    text = EXAMPLE.read_text()
    assert text.count('region="us",') == 1
    local = tmp_path / "definitions.py"  # the example, pointed at the fake
    local.write_text(text.replace('region="us",', f'region="us", base_url="{fake.base_url}", rate_limit=1000,'))
    defs = runpy.run_path(str(local))["defs"]

    result = materialize(defs.assets, resources=defs.resources)

    materialized = [event.asset_key for event in result.get_asset_materialization_events()]
    assert sorted(key.to_user_string() for key in materialized) == [
        "dlt_customerio_campaign_messages",
        "dlt_customerio_campaign_metrics_days",
        "dlt_customerio_campaigns",
        "dlt_customerio_customers",
    ]
    assert result.success
    tables = ["customers", "campaigns", "campaign_messages", "campaign_metrics:days"]
    assert ingest(fake, ",".join(tables), tmp_path / "cli.duckdb", "customerio").code == 0
    for table in ["customers", "campaigns", "campaign_messages", "campaign_metrics_days"]:
        loaded = rows(tmp_path / "warehouse.duckdb", table, "customerio")
        assert len(loaded) > 1 and loaded == rows(tmp_path / "cli.duckdb", table, "customerio"), table
