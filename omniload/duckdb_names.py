"""Fully qualified DuckDB names, so a schema may share its name with the database file.

The product's own example loads `customerio.duckdb` into schema `customerio`. DuckDB names a file's catalog after
the file, so `customerio.broadcasts` is then ambiguous (catalog or schema?) and DuckDB refuses it. dlt's DuckDB
client writes `schema.table`; prefixing the catalog (`customerio.customerio.broadcasts`) removes the ambiguity
without changing where anything lands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_applied = False


def qualify_duckdb_names() -> None:
    global _applied
    if _applied:
        return
    from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

    def catalog_name(self: Any, quote: bool = True, casefold: bool = True) -> str | None:
        database = str(getattr(self.credentials, "database", "") or "")
        if not database.endswith(".duckdb"):
            return None  # in-memory or external connections keep dlt's own naming
        name = Path(database).stem
        if casefold:
            name = self.capabilities.casefold_identifier(name)
        return str(self.capabilities.escape_identifier(name)) if quote else name

    DuckDbSqlClient.catalog_name = catalog_name  # type: ignore[method-assign]
    _applied = True
