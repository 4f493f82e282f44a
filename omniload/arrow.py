"""Pages of API records → Arrow tables, so dlt loads them through Parquet without per-row normalisation.

Nested objects and arrays become JSON text in a column hinted `json`. Each table keeps the type a column first
had, so a page where a column is all null still carries it with the right type, and one drifting value does not
change the column between pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa


class PageConverter:
    """Converts the pages of one table; new JSON columns are reported so the caller can hint them.

    `not_null` names the primary key columns, which the destination declares NOT NULL.
    """

    def __init__(self, not_null: tuple[str, ...] = ()) -> None:
        self.not_null = frozenset(not_null)
        self.types: dict[str, pa.DataType] = {}
        self.json_columns: set[str] = set()

    def convert(self, rows: Sequence[dict[str, Any]]) -> tuple[pa.Table, list[str]]:
        """Returns the table and the names of columns that became JSON with this page."""
        names: dict[str, None] = dict.fromkeys(self.types)
        for row in rows:
            names.update(dict.fromkeys(row))
        arrays: list[pa.Array] = []
        fields: list[pa.Field] = []
        new_json: list[str] = []
        for name in names:
            values = [row.get(name) for row in rows]
            array = self._column(name, values, new_json)
            if array is None:
                continue
            arrays.append(array)
            # Declared NOT NULL where the destination table is (the primary key), so dlt sees no conflict.
            nullable = name not in self.not_null or array.null_count > 0
            fields.append(pa.field(name, array.type, nullable=nullable))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields)), new_json

    def _column(self, name: str, values: list[Any], new_json: list[str]) -> pa.Array | None:
        if name not in self.json_columns and any(isinstance(v, dict | list) for v in values):
            self.json_columns.add(name)
            self.types[name] = pa.string()
            new_json.append(name)
        if name in self.json_columns:
            return pa.array([None if v is None else orjson.dumps(v).decode() for v in values], pa.string())
        known = self.types.get(name)
        if known is not None:
            try:
                return pa.array(values, type=known)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                return pa.array([_text(v) for v in values], pa.string())
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return self._as_text(name, values)
        if pa.types.is_null(array.type):
            return None  # no type to give it yet; dlt adds the column once a value arrives
        self.types[name] = array.type
        return array

    def _as_text(self, name: str, values: list[Any]) -> pa.Array:
        """Values of mixed types in one column are kept as text rather than dropped."""
        self.types.setdefault(name, pa.string())
        return pa.array([_text(v) for v in values], pa.string())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
