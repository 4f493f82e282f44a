"""Each table's position between runs: where the next run starts, and what it must not load twice.

The positions live in dlt resource state, so they are stored in the destination next to the data and committed by
the same load: a run that fails anywhere before its load completes moves nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from omniload.source import CursorRule, Interval, Strategy, TableRequest

#: Strategies under which a cursor may narrow the next read: rows not read again stay as they were.
CURSOR_STRATEGIES = (Strategy.APPEND, Strategy.MERGE, Strategy.DELETE_INSERT)

Row = dict[str, Any]


@dataclass
class Cursors:
    """The saved cursors of one run's tables and the rules that turn them into intervals.

    `saved` and `boundaries` are the dicts inside dlt's resource state; writing to them is what saves. Under
    `append`, `boundaries` holds content hashes of the rows loaded at the cursor value: the cursor bound is
    inclusive, so the next run reads those rows again and must drop them, while a record changed within the
    same second still loads.
    """

    saved: MutableMapping[str, Any]
    boundaries: MutableMapping[str, list[str]]
    interval: Interval
    lookback_days: int
    now: int
    _loaded: dict[str, tuple[Any, set[str]]] = field(default_factory=dict)
    _highest: dict[str, Any] = field(default_factory=dict)
    _at_highest: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_state(
        cls, state: MutableMapping[str, Any], interval: Interval, lookback_days: int, now: int
    ) -> Cursors:
        saved, boundaries = state.setdefault("cursors", {}), state.setdefault("boundaries", {})
        return cls(saved, boundaries, interval, lookback_days, now)

    def bind(self, state: MutableMapping[str, Any]) -> None:
        """Write to `state` from now on: each checkpoint's load has its own resource state dict, which holds
        what the earlier checkpoints saved."""
        self.saved, self.boundaries = state.setdefault("cursors", {}), state.setdefault("boundaries", {})

    def interval_for(self, request: TableRequest[Any]) -> Interval:
        """The user's interval, else the saved cursor (a RUN_TIME table re-reads a look-back window, because
        its records keep changing after they are created), else everything."""
        cursor = self.saved.get(request.load_name)
        if self.interval or cursor is None or request.strategy not in CURSOR_STRATEGIES:
            return self.interval
        if request.strategy == Strategy.APPEND:
            self._loaded[request.load_name] = (cursor, set(self.boundaries.get(request.load_name, ())))
        if request.table.cursor == CursorRule.RUN_TIME:
            if request.strategy == Strategy.APPEND:  # appending a record again would duplicate it: no look-back
                return Interval(start=int(cursor) + 1)
            return Interval(start=int(cursor) - self.lookback_days * 86400)
        return Interval(start=cursor) if request.incremental_key else Interval()

    def new_rows(self, request: TableRequest[Any], rows: list[Row]) -> list[Row]:
        """Under append, the rows the previous run already loaded at its cursor are dropped."""
        key = request.incremental_key
        if request.strategy != Strategy.APPEND or not key:
            return rows
        rows = _not_loaded(rows, key, self._loaded.get(request.load_name))
        self._track_boundary(request.load_name, key, rows)
        return rows

    def observe(self, request: TableRequest[Any], arrow: pa.Table) -> None:
        """The highest incremental key value read so far is where the next run starts."""
        key = request.incremental_key
        if not key or key not in arrow.column_names:
            return
        column = arrow.column(key)
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            return
        page_max = pc.max(column).as_py()
        highest = self._highest.get(request.load_name)
        if page_max is not None and (highest is None or page_max > highest):
            self._highest[request.load_name] = page_max

    def advance(self, request: TableRequest[Any]) -> None:
        """A run that reaches "now" moves the cursor; a backfill (an end bound given) leaves it alone."""
        load_name = request.load_name
        if self.interval.end is not None or request.strategy not in CURSOR_STRATEGIES:
            return
        if request.table.cursor == CursorRule.RUN_TIME:
            self.saved[load_name] = self.now
            return
        highest = self._highest.get(load_name)
        if highest is None:
            return
        previous = self.saved.get(load_name)
        self.saved[load_name] = highest if previous is None else max(previous, highest)
        if request.strategy == Strategy.APPEND and self.saved[load_name] == highest:
            loaded_at, loaded_rows = self._loaded.get(load_name, (None, set()))
            kept = loaded_rows if loaded_at == highest else set()
            self.boundaries[load_name] = sorted(kept | self._at_highest.get(load_name, set()))

    def _track_boundary(self, load_name: str, key: str, rows: list[Row]) -> None:
        """Hashes of the rows holding the highest incremental key value seen so far."""
        values: list[float] = [row[key] for row in rows if _is_number(row.get(key))]
        if not values:
            return
        top = max(values)
        highest = self._highest.get(load_name)
        if highest is not None and top < highest:
            return
        if highest is None or top > highest:
            self._at_highest[load_name] = set()
        self._at_highest.setdefault(load_name, set()).update(row_hashes([r for r in rows if r.get(key) == top]))


def row_hashes(rows: list[Row]) -> list[str]:
    """A content hash per row: scd2's row version (dlt computes it only for rows it normalises itself) and the
    identity of the rows an append run already loaded at its cursor."""
    return [
        hashlib.sha256(orjson.dumps(row, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()[:32]
        for row in rows
    ]


def _not_loaded(rows: list[Row], key: str, loaded: tuple[Any, set[str]] | None) -> list[Row]:
    if loaded is None or not loaded[1]:
        return rows
    cursor, hashes = loaded
    at_cursor = [i for i, row in enumerate(rows) if row.get(key) == cursor]
    if not at_cursor:
        return rows
    digests = row_hashes([rows[i] for i in at_cursor])
    drop = {i for i, digest in zip(at_cursor, digests, strict=True) if digest in hashes}
    return [row for i, row in enumerate(rows) if i not in drop]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
