"""Any omniload source as Dagster assets, one per table, through dagster-dlt (`pip install 'omniload[dagster]'`;
README "Use it from Python / Dagster / Airflow", example in examples/dagster/definitions.py).

dagster-dlt reads the asset of each table from a dlt source built when the definitions load; each
materialization gets a source of its own, built when it starts, because a dlt source's reads run only once. So
the assets take a function that builds the source (`omniload.dlt_source.dlt_source`, or a source's own
convenience function), not a source. State lives in the destination with the data
(dagster-dlt restores it before each run), so each table's cursor carries over from one materialization to the
next, as with `omniload ingest`.
"""

# No `from __future__ import annotations`: Dagster reads the asset function's annotations as types.
from collections.abc import Callable, Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dlt import DagsterDltResource, dlt_assets


def source_assets(
    build_source: Callable[[], Any],
    *,
    pipeline: dlt.Pipeline,
    name: str,
    group_name: str | None = None,
) -> AssetsDefinition:
    """One asset per resource (table) of the dlt source `build_source()` returns, loaded by `pipeline`, in the
    group `group_name` (`name` by default). The Definitions need `resources={"dlt": DagsterDltResource()}`."""

    @dlt_assets(dlt_source=build_source(), dlt_pipeline=pipeline, name=name, group_name=group_name or name)
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        yield from dlt.run(context=context, dlt_source=build_source())

    return assets
