"""Two adjustments to dlt's DuckDB destination: catalog-qualified names, and a leaner de-duplication in merges.

Names. The product's own examples load a file into its namesake schema (`crm.duckdb`, schema `crm`). DuckDB names
a file's catalog after the file, so `crm.broadcasts` is then ambiguous (catalog or schema?) and DuckDB refuses it.
dlt's DuckDB client writes `schema.table`; prefixing the catalog (`crm.crm.broadcasts`) removes the
ambiguity without changing where anything lands.

De-duplication. A merge keeps one staging row per primary key. dlt numbers every staging row with a window
function (`ROW_NUMBER() OVER (PARTITION BY key)`) and keeps the first, which makes DuckDB gather all the rows
with all their columns: under omniload's memory limit that is the slowest step of a large load, and the one
that runs out of memory first. Keeping the rows whose `rowid` is the smallest of their key asks the same
question with a hash aggregate over the key alone. The row kept is as arbitrary as dlt's; where dlt is told
how to choose (`dedup_sort`) or told not to de-duplicate, its own SQL is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

_applied = False


def adjust_dlt_duckdb() -> None:
    """Install both adjustments into dlt's DuckDB client; idempotent, and only called for DuckDB runs."""
    global _applied
    if _applied:
        return
    from dlt.destinations.impl.duckdb.duck import DuckDbClient
    from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
    from dlt.destinations.sql_jobs import SqlMergeFollowupJob

    class DuckDbMergeJob(SqlMergeFollowupJob):
        @classmethod
        def gen_select_from_dedup_sql(
            cls,
            table_name: str,
            primary_keys: Sequence[str],
            columns: Sequence[str],
            dedup_sort: Any = None,
            condition: Any = None,
            condition_columns: Any = None,
            skip_dedup: bool = False,
        ) -> str:
            if dedup_sort is not None or skip_dedup or not primary_keys:
                return super().gen_select_from_dedup_sql(
                    table_name, primary_keys, columns, dedup_sort, condition, condition_columns, skip_dedup
                )
            return (
                f"SELECT {', '.join(columns)} FROM {table_name} WHERE rowid IN "
                f"(SELECT min(rowid) FROM {table_name} GROUP BY {', '.join(primary_keys)}) "
                f"AND ({condition or '1 = 1'})"
            )

    def merge_jobs(self: Any, table_chain: Any) -> list[Any]:
        return [DuckDbMergeJob.from_table_chain(table_chain, self.sql_client)]

    def catalog_name(self: Any, quote: bool = True, casefold: bool = True) -> str | None:
        database = str(getattr(self.credentials, "database", "") or "")
        if not database.endswith(".duckdb"):
            return None  # in-memory or external connections keep dlt's own naming
        name = Path(database).stem
        if casefold:
            name = self.capabilities.casefold_identifier(name)
        return str(self.capabilities.escape_identifier(name)) if quote else name

    DuckDbClient._create_merge_followup_jobs = merge_jobs  # type: ignore[method-assign]
    DuckDbSqlClient.catalog_name = catalog_name  # type: ignore[method-assign]
    _applied = True
