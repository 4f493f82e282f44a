"""What the library tests compare: a table's rows as loaded, whichever way it was loaded."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import query


def rows(db: Path, table: str, schema: str = "cio") -> list[tuple]:
    """The column names (sorted), then every row in order; dlt's own columns (load id, row id) and the CLI's load
    timestamp (`_omniload_loaded_at`, which a dlt pipeline of the user's own does not add) left out."""
    names = query(
        db,
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}' "
        "and column_name not like '\\_dlt%' escape '\\' and column_name not like '\\_omniload%' escape '\\' "
        "order by column_name",
    )
    columns = [name for (name,) in names]
    listed = ", ".join(f'"{c}"' for c in columns)
    return [tuple(columns), *query(db, f"select {listed} from {schema}.{table} order by all")]
