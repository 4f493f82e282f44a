"""A source's dlt source as Dagster assets, one per table, through dagster-dlt (omniload's `dagster` extra;
README "Use it from Python / Dagster / Airflow", example in examples/dagster/definitions.py).

dagster-dlt reads the asset of each table from the dlt source given when the definitions load. Each
materialization runs a copy of it (a source object runs again and again, `omniload/dlt_source.py`; the copy keeps
what one run changes, such as a partition's interval, from the next). State lives in the destination with the
data (dagster-dlt restores it before each run), so each table's cursor carries over from one materialization to
the next, as with `omniload ingest`. With time-window partitions, a partition's run loads its window only: the
window is handed to dlt as an external scheduler's interval, which every incremental table takes as its
`initial_value` and `end_value` (a backfill: the cursor stays where it is); the other tables are read whole.
"""

# No `from __future__ import annotations`: Dagster reads the asset function's annotations as types.
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import dlt
from dagster import AssetExecutionContext, AssetsDefinition, TimeWindowPartitionsDefinition
from dagster_dlt import DagsterDltResource, dlt_assets
from dlt.common.configuration.container import Container
from dlt.extract.incremental.context import TimeIntervalContext


def source_assets(
    source: Any,
    *,
    pipeline: dlt.Pipeline,
    name: str,
    group_name: str | None = None,
    partitions_def: TimeWindowPartitionsDefinition | None = None,
) -> AssetsDefinition:
    """One asset per resource (table) of the dlt source `source`, loaded by `pipeline`, in the group `group_name`
    (`name` by default), partitioned by `partitions_def` if given. The Definitions need
    `resources={"dlt": DagsterDltResource()}`."""

    @dlt_assets(
        dlt_source=source,
        dlt_pipeline=pipeline,
        name=name,
        group_name=group_name or name,
        partitions_def=partitions_def,
    )
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        with _partition_interval(context):
            yield from dlt.run(context=context, dlt_source=source.clone())

    return assets


def _partition_interval(context: AssetExecutionContext) -> AbstractContextManager[Any]:
    """The run's partition window as dlt's external scheduler interval, the way dlt's own job launcher sets it."""
    if not context.has_partition_key:
        return nullcontext()
    window = context.partition_time_window
    interval = TimeIntervalContext(interval=(window.start, window.end), allow_external_schedulers=True)
    return Container().injectable_context(interval)
