"""`--columns`: rename and retype columns, in ingestr's syntax (`name:type`, `name:type:source`, `name::source`;
its `StandardTypeNames`), parsed before anything is read and applied to each Arrow page before dlt sees it
(README "Shaping what lands").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from omniload.errors import UsageError

#: ingestr's `--columns` type names (its `StandardTypeNames`) and the Arrow type each casts to; dlt declares the
#: column from the Arrow type. `decimal(p,s)` and `varchar(n)` are parsed apart.
TYPES: Mapping[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "bool": pa.bool_(),
    "tinyint": pa.int8(),
    "int8": pa.int8(),
    "smallint": pa.int16(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int": pa.int64(),
    "integer": pa.int64(),
    "int64": pa.int64(),
    "bigint": pa.int64(),
    "long": pa.int64(),
    "float": pa.float32(),
    "real": pa.float32(),
    "float32": pa.float32(),
    "double": pa.float64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "text": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "datetime": pa.timestamp("us", tz="UTC"),
    "timestamp_ntz": pa.timestamp("us"),
}

_SIZED = re.compile(r"(?P<name>decimal|numeric|varchar)\((?P<args>[0-9 ,]+)\)")


def parse_type(text: str, entry: str) -> pa.DataType:
    """A `--columns` type name, `decimal(p,s)` or `varchar(n)` included."""
    name = text.strip().lower()
    if name in TYPES:
        return TYPES[name]
    sized = _SIZED.fullmatch(name)
    if sized:
        args = [int(a) for a in sized["args"].replace(" ", "").split(",") if a]
        if sized["name"] == "varchar" and len(args) == 1:
            return pa.string()  # the length is not declared: dlt's text, as ingestr's string
        if sized["name"] != "varchar" and len(args) in (1, 2) and 0 < args[0] <= 38:
            scale = args[1] if len(args) == 2 else 0
            if scale <= args[0]:
                return pa.decimal128(args[0], scale)
    known = ", ".join([*TYPES, "decimal(p,s)", "varchar(n)"])
    raise UsageError(f"--columns {entry!r}: unknown type {text!r}; use one of {known}")


@dataclass(frozen=True)
class ColumnChange:
    """One `--columns` entry: `name:type`, `name:type:source` (rename and retype) or `name::source` (rename)."""

    name: str
    source: str
    kind: pa.DataType | None

    @classmethod
    def parse(cls, entry: str) -> ColumnChange:
        parts = [part.strip() for part in entry.split(":")]
        if len(parts) not in (2, 3) or not parts[0] or (len(parts) == 2 and not parts[1]):
            raise UsageError(f"--columns {entry!r} must look like name:type, name:type:source or name::source")
        if len(parts) == 3 and not parts[2]:
            raise UsageError(f"--columns {entry!r}: the source column after the second ':' is empty")
        source = parts[2] if len(parts) == 3 else parts[0]
        return cls(name=parts[0], source=source, kind=parse_type(parts[1], entry) if parts[1] else None)


def split_columns(text: str) -> list[str]:
    """`--columns` entries, separated by commas outside parentheses (`a:decimal(10,2),b:int`)."""
    entries, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            entries.append(current)
            current = ""
        else:
            current += char
    return [entry.strip() for entry in [*entries, current] if entry.strip()]


def changed(page: pa.Table, change: ColumnChange, table: str) -> pa.Table:
    index = page.column_names.index(change.source)
    if change.name != change.source and change.name in page.column_names:
        raise UsageError(
            f"{table}: --columns renames {change.source} to {change.name}, which the table already has"
        )
    array = page.column(index)
    if change.kind is not None:
        array = _cast(array, change.kind, f"{table}.{change.source}")
    return page.set_column(index, pa.field(change.name, array.type), array)


def _cast(array: pa.ChunkedArray, target: pa.DataType, where: str) -> pa.ChunkedArray:
    """Arrow's cast, plus what API values need: Unix seconds (numbers or digit strings) and ISO date-times
    without an offset (read as UTC) become timestamps."""
    attempts = [lambda: pc.cast(array, target)]
    if pa.types.is_timestamp(target):
        naive = pa.timestamp("us")
        seconds = pa.timestamp("s")
        if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
            attempts = [lambda: pc.cast(pc.cast(array, pa.int64()), seconds).cast(target)]
        elif pa.types.is_string(array.type):
            attempts += [
                lambda: _zoned(pc.cast(array, naive), target),
                lambda: pc.cast(pc.cast(array, pa.int64()), seconds).cast(target),
            ]
    for attempt in attempts:
        try:
            return attempt()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
    # the value itself is not shown: it may be what a --mask was meant to hide
    raise UsageError(f"--columns: {where} has values that cannot be read as {target}; nothing was written")


def _zoned(array: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if target.tz is None:
        return array
    return pc.assume_timezone(array, "UTC").cast(target)
