"""What `omniload ingest` does, from Python; the key comes from CUSTOMERIO_API_KEY."""

import omniload

result = omniload.ingest(
    source_uri="customerio://?region=us",
    source_table="customers,campaigns,campaign_messages",
    dest_uri="duckdb:///warehouse.duckdb",
    dest_table="customerio",
)
for table in result.tables:
    print(f"{table.name}: {table.rows} rows into {result.dataset}.{table.destination_table}")
