"""Customer.io as a dlt source in one call: `customerio_source(api_key=..., region=..., tables=[...])` (README
"Use it from Python / Dagster / Airflow").

A convenience over the source-neutral `omniload.dlt_source.dlt_source`: the keyword arguments are the
`customerio://` URI's parameters (README "Loading Customer.io"), checked the same way. The API key comes from
`api_key`, else the `CUSTOMERIO_API_KEY` environment variable, else dlt's secrets (`sources.customerio.api_key`
in `.dlt/secrets.toml`, or `SOURCES__CUSTOMERIO__API_KEY`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from omniload.dlt_source import dlt_source
from omniload.sources.customerio.config import API_KEY_VARIABLE

#: Where dlt's secrets keep the key when neither the argument nor the environment variable gives one.
SECRETS_KEY = "sources.customerio.api_key"


def customerio_source(
    api_key: str | None = None,
    region: str = "us",
    tables: str | Sequence[str] = "all",
    base_url: str | None = None,
    rate_limit: float | None = None,
    lookback_days: int | None = None,
    retry_budget: float | None = None,
    timeout: float | None = None,
) -> Any:
    """A dlt source with one resource per Customer.io table of `tables` (names as `omniload tables customerio`
    lists them, metrics as `table:period`; `all` by default), loading as `omniload ingest` does."""
    settings = {
        "api_key": api_key or os.environ.get(API_KEY_VARIABLE) or _secret_key(),
        "region": region,
        "base_url": base_url,
        "rate_limit": rate_limit,
        "lookback_days": lookback_days,
        "retry_budget": retry_budget,
        "timeout": timeout,
    }
    query = urlencode({name: value for name, value in settings.items() if value is not None})
    return dlt_source(f"customerio://?{query}", tables)


def _secret_key() -> str | None:
    """Asked for without a type, so dlt takes it as a secret and its trace, which lists the configuration it
    resolved, records no value (with `str` it would record the key)."""
    import dlt

    key: Any = dlt.secrets.get(SECRETS_KEY)
    return str(key) if key else None
