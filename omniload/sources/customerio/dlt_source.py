"""Customer.io as a dlt source like dlt's own: `from omniload.sources.customerio import customerio_source` (README
"Use it from Python / Dagster / Airflow").

A `@dlt.source` whose arguments dlt fills from its configuration and secrets (`.dlt/config.toml` and
`.dlt/secrets.toml` under `[sources.customerio]`, or `SOURCES__CUSTOMERIO__<ARGUMENT>` variables) where the call
does not give them; each is checked as the `customerio://` URI's parameter of the same name (README "Loading
Customer.io"), None meaning that parameter's default. The resources, their incrementals and their one shared read
are `omniload.dlt_source`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dlt

from omniload.dlt_source import table_resources
from omniload.sources.customerio.catalog import TABLES, FromPass
from omniload.sources.customerio.source import SOURCE

#: The column the delivery windows select on (docs/contract/customerio/tables.md section 3.1): the dlt cursor of
#: the tables the delivery pass feeds, which move with the run's time.
DELIVERY_CREATED = "created"
INTERVAL_KEYS = {
    table.name: DELIVERY_CREATED
    for table in TABLES
    if isinstance(table.read, FromPass) and table.read.name == "messages"
}


@dlt.source(name="customerio", section="customerio", max_table_nesting=0)
def customerio_source(
    api_key: str = dlt.secrets.value,
    region: str = "us",
    tables: Sequence[str] = ("all",),
    base_url: str | None = None,
    rate_limit: float | None = None,
    lookback_days: int | None = None,
    retry_budget: float | None = None,
    timeout: float | None = None,
) -> Any:
    """One resource per Customer.io table of `tables` (names as `omniload tables customerio` lists them, metrics
    as `table:period`, or `all`; a list, or one name or `--source-table`'s comma-separated names in a string),
    loading as `omniload ingest` does; select among them with `with_resources`."""
    settings = {
        "api_key": api_key,
        "region": region,
        "base_url": base_url,
        "rate_limit": rate_limit,
        "lookback_days": lookback_days,
        "retry_budget": retry_budget,
        "timeout": timeout,
    }
    query = urlencode({name: value for name, value in settings.items() if value is not None})
    spec = tables if isinstance(tables, str) else ",".join(tables)
    return table_resources(SOURCE.connect(f"customerio://?{query}"), spec, INTERVAL_KEYS)
