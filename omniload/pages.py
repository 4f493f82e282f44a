"""What a table's pages carry to dlt besides their rows: the table's hints in dlt's terms (its write
disposition, keys, NOT NULL and JSON columns) and the empty page that still creates a table that read nothing.

One home for both ways a table is loaded: `omniload ingest` (`run/marking.py`) and the dlt sources users run in
their own pipelines (`dlt_source.py`, README "Use it from Python / Dagster / Airflow").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, assert_never

import pyarrow as pa

from omniload.destinations import MERGE_STRATEGIES
from omniload.source import Strategy, TableRequest, TableSpec


def table_hints(request: TableRequest[Any], table_name: str) -> dict[str, Any]:
    """The run's strategy in dlt's terms (README "Nightly runs"). delete+insert replaces every row whose
    incremental key value was read again; scd2 keeps history rows with validity ranges."""
    hints: dict[str, Any] = {"table_name": table_name, "primary_key": list(request.primary_key)}
    if request.partial is not None:  # only some keys were read: their rows are replaced, the others kept
        hints["write_disposition"] = write_disposition(Strategy.DELETE_INSERT)
        hints["merge_key"] = [request.partial.key]
        return hints
    if request.replace:  # the source read the whole table again: it replaces what is there
        hints["write_disposition"] = write_disposition(Strategy.REPLACE)
        return hints
    hints["write_disposition"] = write_disposition(request.strategy)
    match request.strategy:
        case Strategy.REPLACE | Strategy.APPEND | Strategy.MERGE:
            pass
        case Strategy.DELETE_INSERT:
            hints["primary_key"] = []
            hints["merge_key"] = request.incremental_key
        case Strategy.SCD2:
            hints["primary_key"] = []
            # scd2 retires every active row the run did not read; a run that read only an interval retires
            # only the versions of the records it read again (dlt scopes retirement to the merge key).
            hints["merge_key"] = list(request.primary_key) if request.interval else []
        case unreachable:
            assert_never(unreachable)
    return hints


def write_disposition(strategy: Strategy) -> str | dict[str, str]:
    """A strategy as dlt's write disposition: append and replace as they are, the others a merge with the dlt
    merge strategy each needs (`destinations.MERGE_STRATEGIES`, the one mapping)."""
    if strategy in MERGE_STRATEGIES:
        return {"disposition": "merge", "strategy": MERGE_STRATEGIES[strategy]}
    return strategy.value


def empty_table(table: TableSpec) -> pa.Table:
    """A page of no rows that still creates the table: its primary key columns, typed."""
    kinds = {int: pa.int64(), str: pa.string()}
    return pa.table({c: pa.array([], kinds.get(table.types.get(c, str), pa.string())) for c in table.primary_key})


def column_hints(not_null: Iterable[str], json_columns: Iterable[str]) -> list[Any]:
    """Primary key columns are NOT NULL; nested values arrive as text and are stored as JSON."""
    return [{"name": c, "nullable": False} for c in not_null] + [
        {"name": c, "data_type": "json"} for c in json_columns
    ]
