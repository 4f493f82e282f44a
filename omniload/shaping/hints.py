"""The shaping flags in a table's dlt hints: renamed, masked or retyped columns (by their new names, no longer
JSON), BigQuery's partition and cluster hints (dlt's bigquery_adapter), and `--schema-contract` (README
"Shaping what lands").
"""

from __future__ import annotations

from typing import Any

from omniload.shaping.flags import Shaping


def shaped_hints(shaping: Shaping, columns: list[dict[str, Any]], **table: Any) -> dict[str, Any]:
    """`dlt.extract.hints.make_hints` arguments for a table: the run's own column hints (`columns`, by source
    name) renamed, masked or retyped columns no longer JSON (dlt declares a retyped column from its Arrow type),
    BigQuery's partition and cluster hints, and the schema contract."""
    extra: dict[str, Any] = {}
    if shaping.cluster_by:
        from dlt.destinations.impl.bigquery.bigquery_adapter import CLUSTER_COLUMNS_HINT

        extra["additional_table_hints"] = {CLUSTER_COLUMNS_HINT: list(shaping.cluster_by)}
    if shaping.schema_contract != "evolve":  # new tables are always created; their columns and types then hold
        mode = shaping.schema_contract
        extra["schema_contract"] = {"tables": "evolve", "columns": mode, "data_type": mode}
    return {"columns": _columns(shaping, columns) + _bigquery_columns(shaping), **table, **extra}


def _columns(shaping: Shaping, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    renamed = {c.source: c.name for c in shaping.columns}
    masked = {m.column for m in shaping.masks if m.algorithm != "null"}
    retyped = {c.name for c in shaping.columns if c.kind is not None}
    out: list[dict[str, Any]] = []
    for hint in columns:
        source = hint["name"]
        hint = {**hint, "name": renamed.get(source, source)}
        if hint.get("data_type") == "json" and (hint["name"] in retyped or source in masked):
            del hint["data_type"]
        if len(hint) > 1:
            out.append(hint)
    return out


def _bigquery_columns(shaping: Shaping) -> list[dict[str, Any]]:
    from dlt.destinations.impl.bigquery.bigquery_adapter import CLUSTER_HINT, PARTITION_HINT

    hints = [{"name": shaping.partition_by, PARTITION_HINT: True}] if shaping.partition_by else []
    return hints + [{"name": column, CLUSTER_HINT: True} for column in shaping.cluster_by]
