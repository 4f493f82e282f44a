"""Dagster over the dlt source, in process, over the fake: the README's example (examples/dagster/definitions.py)
materializes one asset per table and loads the rows `omniload ingest` loads; a daily partition loads its day
(README "Use it from Python / Dagster / Airflow")."""

from __future__ import annotations

import runpy
from datetime import UTC, datetime
from pathlib import Path

import dlt
import pytest
from dagster import DailyPartitionsDefinition, materialize
from dagster_dlt import DagsterDltResource

from omniload.dagster import source_assets
from omniload.sources.customerio import customerio_source
from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, ingest
from tests.library.support import rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dagster" / "definitions.py"


@pytest.fixture
def configured(fake: FakeCustomerIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's folder, the source's settings pointing at the fake in dlt's variables."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCES__CUSTOMERIO__API_KEY", API_KEY)
    monkeypatch.setenv("SOURCES__CUSTOMERIO__BASE_URL", fake.base_url)
    monkeypatch.setenv("SOURCES__CUSTOMERIO__RATE_LIMIT", "1000")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    return tmp_path


def test_the_example_materializes_one_asset_per_table(fake: FakeCustomerIO, configured: Path) -> None:
    defs = runpy.run_path(str(EXAMPLE))["defs"]

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
    assert ingest(fake, ",".join(tables), configured / "cli.duckdb", "customerio").code == 0
    for table in ["customers", "campaigns", "campaign_messages", "campaign_metrics_days"]:
        loaded = rows(configured / "warehouse.duckdb", table, "customerio")
        assert len(loaded) > 1 and loaded == rows(configured / "cli.duckdb", table, "customerio"), table


def test_a_daily_partition_loads_the_deliveries_of_its_day(fake: FakeCustomerIO, configured: Path) -> None:
    """The partition's window reaches the incremental tables as an external scheduler's interval: the delivery
    windows asked for span that day, and the rows loaded are those of a full read created that day."""
    assert ingest(fake, "campaign_messages", configured / "cli.duckdb", "cio.campaign_messages").code == 0
    everything = rows(configured / "cli.duckdb", "campaign_messages", "cio")
    at = everything[0].index("created")
    created = sorted(row[at] for row in everything[1:])
    day = datetime.fromtimestamp(created[len(created) // 2], UTC).date()
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    first_day = datetime.fromtimestamp(created[0], UTC).strftime("%Y-%m-%d")
    assets = source_assets(
        customerio_source(tables=["campaign_messages"]),
        name="customerio",
        pipeline=dlt.pipeline(
            pipeline_name="daily", destination=dlt.destinations.duckdb("daily.duckdb"), dataset_name="cio"
        ),
        partitions_def=DailyPartitionsDefinition(start_date=first_day),
    )
    windows_before = len(fake.requests("/v1/messages"))

    result = materialize([assets], resources={"dlt": DagsterDltResource()}, partition_key=day.isoformat())

    assert result.success
    windows = fake.requests("/v1/messages")[windows_before:]
    assert min(int(r.query["start_ts"][0]) for r in windows) == start
    assert max(int(r.query["end_ts"][0]) for r in windows) <= start + 86400
    that_day = [
        dict(zip(everything[0], row, strict=True)) for row in everything[1:] if start <= row[at] < start + 86400
    ]
    loaded = rows(configured / "daily.duckdb", "campaign_messages", "cio")
    assert len(that_day) > 0 and sorted(loaded[1:], key=repr) == sorted(
        (tuple(row[name] for name in loaded[0]) for row in that_day), key=repr
    )
    assert all(row[name] is None for row in that_day for name in set(everything[0]) - set(loaded[0]))  # all null
