"""Customer.io into DuckDB every night with Dagster: one asset per table (`dagster dev -f definitions.py`).

Needs `pip install 'omniload[dagster]'`, and the App API key where dlt finds secrets: `.dlt/secrets.toml`
(`[sources.customerio]`, `api_key = "..."`) or SOURCES__CUSTOMERIO__API_KEY.
"""

import dlt
from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job
from dagster_dlt import DagsterDltResource

from omniload.dagster import source_assets
from omniload.sources.customerio import customerio_source

customerio = source_assets(
    customerio_source(tables=["customers", "campaigns", "campaign_messages", "campaign_metrics:days"]),
    name="customerio",
    pipeline=dlt.pipeline(
        pipeline_name="customerio",
        destination=dlt.destinations.duckdb("warehouse.duckdb"),
        dataset_name="customerio",
    ),
)

nightly = ScheduleDefinition(
    job=define_asset_job("customerio_nightly", selection=AssetSelection.assets(customerio)),
    cron_schedule="0 3 * * *",
)

defs = Definitions(assets=[customerio], schedules=[nightly], resources={"dlt": DagsterDltResource()})
