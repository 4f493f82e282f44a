"""Customer.io in your own dlt pipeline: one resource per table. dlt finds the settings in this project's `.dlt`
folder: the App API key in `.dlt/secrets.toml`, anything else (region, rate_limit, ...) in `.dlt/config.toml`,
both under `[sources.customerio]` (or in SOURCES__CUSTOMERIO__<SETTING> variables)."""

import dlt

from omniload.sources.customerio import customerio_source

pipeline = dlt.pipeline(
    pipeline_name="customerio",
    destination=dlt.destinations.duckdb("warehouse.duckdb"),
    dataset_name="customerio",
)
source = customerio_source(tables=["customers", "campaigns", "campaign_messages", "campaign_metrics:days"])
print(pipeline.run(source))
