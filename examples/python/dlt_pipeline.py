"""Customer.io in your own dlt pipeline: one resource per table; the key comes from CUSTOMERIO_API_KEY."""

import dlt

from omniload.sources.customerio.dlt_source import customerio_source

pipeline = dlt.pipeline(
    pipeline_name="customerio",
    destination=dlt.destinations.duckdb("warehouse.duckdb"),
    dataset_name="customerio",
)
source = customerio_source(
    region="us",
    tables=["customers", "campaigns", "campaign_messages", "campaign_metrics:days"],
)
print(pipeline.run(source))
