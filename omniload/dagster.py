"""Customer.io as Dagster assets, one per table, through dagster-dlt (`pip install 'omniload[dagster]'`; README
"Use it from Python / Dagster / Airflow", example in examples/dagster/definitions.py).

dagster-dlt reads the asset of each table from a dlt source built when the definitions load; each
materialization gets a source of its own, built when it starts, because a dlt source's reads run only once.
State lives in the destination with the data (dagster-dlt restores it before each run), so each table's
cursor carries over from one materialization to the next, as with `omniload ingest`.
"""

# No `from __future__ import annotations`: Dagster reads the asset function's annotations as types.
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dlt import DagsterDltResource, dlt_assets

from omniload.sources.customerio.dlt_source import customerio_source


def customerio_assets(
    *,
    tables: str | Sequence[str],
    pipeline: dlt.Pipeline,
    name: str = "customerio",
    group_name: str = "customerio",
    **source_settings: Any,
) -> AssetsDefinition:
    """One asset per table of `tables` (`customerio_source`'s names), loaded by `pipeline`; `source_settings`
    are `customerio_source`'s other keyword arguments (api_key, region, ...). The Definitions need
    `resources={"dlt": DagsterDltResource()}`."""

    def source() -> Any:
        return customerio_source(tables=tables, **source_settings)

    @dlt_assets(dlt_source=source(), dlt_pipeline=pipeline, name=name, group_name=group_name)
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        yield from dlt.run(context=context, dlt_source=source())

    return assets
