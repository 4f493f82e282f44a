"""Pages of API records → Arrow tables, so dlt loads them through Parquet without per-row normalisation.

Nested objects and arrays become JSON text in a column hinted `json`. Each table keeps the type a column first
had, so a page where a column is all null still carries it with the right type, and one drifting value does not
change the column between pages. Columns the catalog declares (`declared`) always get that type: ids that
arrive as digit strings where the contract says integers, or the reverse, are converted.

The work per page is done by Arrow's C++ conversion; Python touches single values only when a page does not
convert as it is (type drift), which keeps a page of 1000 deliveries to a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pyarrow as pa

_ARROW_TYPES: Mapping[type, pa.DataType] = {int: pa.int64(), str: pa.string()}


class PageConverter:
    """Converts the pages of one table; new JSON columns are reported so the caller can hint them.

    `not_null` names the primary key columns, which the destination declares NOT NULL.
    """

    def __init__(self, not_null: Sequence[str] = (), declared: Mapping[str, type] | None = None) -> None:
        self.not_null = frozenset(not_null)
        self.declared = dict(declared or {})
        self.types: dict[str, pa.DataType] = {
            name: _ARROW_TYPES[kind] for name, kind in self.declared.items() if kind in _ARROW_TYPES
        }
        self.json_columns: set[str] = set()
        self._seen: dict[str, None] = {}

    def convert(self, rows: Sequence[dict[str, Any]]) -> tuple[pa.Table, list[str]]:
        """Returns the table and the names of columns that became JSON with this page."""
        names = self._column_names(rows)
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

    def _column_names(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        """Columns in first-seen order; most pages repeat the keys of the first row, so sets do the checking."""
        if rows:
            first = rows[0]
            self._seen.update(dict.fromkeys(first))
            extra = set().union(*rows).difference(self._seen)
            if extra:
                for row in rows:
                    self._seen.update(dict.fromkeys(key for key in row if key in extra))
        return [name for name in self._seen if name in self.types or any(name in row for row in rows)]

    def _column(self, name: str, values: list[Any], new_json: list[str]) -> pa.Array | None:
        if name in self.json_columns:
            return _json_array(values)
        known = self.types.get(name)
        try:
            array = pa.array(values, type=known)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return self._drifted(name, values, known, new_json)
        if pa.types.is_struct(array.type) or pa.types.is_list(array.type) or pa.types.is_map(array.type):
            return self._to_json(name, values, new_json)
        if pa.types.is_null(array.type):
            return None  # no type to give it yet; dlt adds the column once a value arrives
        self.types.setdefault(name, array.type)
        return array

    def _drifted(self, name: str, values: list[Any], known: pa.DataType | None, new_json: list[str]) -> pa.Array:
        """A page that does not convert as it is: nested values, ids in the other type, or mixed scalars."""
        if any(isinstance(v, dict | list) for v in values):
            return self._to_json(name, values, new_json)
        kind = self.declared.get(name)
        if kind is not None:
            coerced = [coerce(v, kind) for v in values]
            try:
                return pa.array(coerced, type=known)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                pass
        self.types.setdefault(name, pa.string())
        return pa.array([_text(v) for v in values], pa.string())

    def _to_json(self, name: str, values: list[Any], new_json: list[str]) -> pa.Array:
        self.json_columns.add(name)
        self.types[name] = pa.string()
        new_json.append(name)
        return _json_array(values)


def _json_array(values: list[Any]) -> pa.Array:
    return pa.array([None if v is None else orjson.dumps(v).decode() for v in values], pa.string())


def coerce(value: Any, kind: type) -> Any:
    """Ids drift between numbers and digit strings across endpoints; the contract fixes one type per column."""
    if kind is int and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
