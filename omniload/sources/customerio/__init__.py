"""The Customer.io App API source: a catalog of 31 tables (`catalog.py`) and the engine that reads them; and, for
users' own dlt pipelines, `customerio_source` (`dlt_source.py`, README "Use it from Python / Dagster / Airflow").

`customerio_source` is imported on first use, so the CLI, which finds this source through the registry, does not
import dlt for commands that never load.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "customerio_source":
        from omniload.sources.customerio.dlt_source import customerio_source

        return customerio_source
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
