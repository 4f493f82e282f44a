"""Each page of a run as dlt receives it: converted to Arrow (omniload/arrow.py), counted and reported, shaped
by the run's flags (README "Shaping what lands"), and marked with its table and, when new, its hints (its
strategy's write disposition, its keys, its JSON columns). A table that read nothing still gets created.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from omniload.arrow import PageConverter
from omniload.pages import column_hints, empty_table, table_hints
from omniload.results import TableResult
from omniload.run.removals import DELETED_AT
from omniload.shaping.flags import Shaping
from omniload.shaping.hints import shaped_hints
from omniload.shaping.transform import PageShaper
from omniload.source import Page, Strategy, TableRequest
from omniload.state import Cursors, row_hashes

if TYPE_CHECKING:
    from omniload.progress import ProgressSink

#: dlt's default scd2 row-version column.
SCD2_ROW_HASH = "_dlt_id"
_ROW_HASH_FIELD = pa.field(SCD2_ROW_HASH, pa.string(), nullable=False)
_DELETED_AT_FIELD = pa.field(DELETED_AT, pa.timestamp("us", tz="UTC"))


@dataclass
class Reading:
    """What the run keeps while pages arrive: each table's converter and start, and the request count."""

    requests_seen: int
    last_page: float = field(default_factory=time.monotonic)  # a table's time starts when the reader moves on
    converters: dict[str, PageConverter] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)

    def requests_since_last_page(self, requests_now: int) -> int:
        """The requests made since the previous page were made for this page's table."""
        since, self.requests_seen = requests_now - self.requests_seen, requests_now
        return since

    def start_table(self, request: TableRequest[Any]) -> None:
        self.converters[request.load_name] = PageConverter(request.primary_key, request.table.types)
        self.started[request.load_name] = self.last_page


@dataclass
class PageMarker:
    """A run's pages made ready for dlt: `shaping` applied to each, `_omniload_deleted_at` added where the
    destination can mark vanished keys (`removes_rows`), `progress` told of each."""

    shaping: Shaping
    removes_rows: bool
    progress: ProgressSink | None = None
    shaper: PageShaper = field(init=False)

    def __post_init__(self) -> None:
        self.shaper = PageShaper(self.shaping)

    def page(
        self, request: TableRequest[Any], rows: Page, result: TableResult, reading: Reading, cursors: Cursors
    ) -> Any:
        """One page as Arrow, counted, reported, and marked for dlt with its table (and hints when new)."""
        arrow, new_json, first = self.arrow(request, rows, result, reading, cursors)
        return self.marked(request, arrow, result, first, new_json)

    def arrow(
        self, request: TableRequest[Any], rows: Page, result: TableResult, reading: Reading, cursors: Cursors
    ) -> tuple[pa.Table, list[str], bool]:
        """One page as Arrow, counted and reported; the columns that became JSON with it, and whether it is
        the table's first."""
        first = request.load_name not in reading.converters
        if first:
            reading.start_table(request)
        arrow, new_json = reading.converters[request.load_name].convert(rows)
        if request.strategy == Strategy.SCD2:
            arrow = arrow.append_column(_ROW_HASH_FIELD, pa.array(row_hashes(rows), pa.string()))
        arrow = self._with_tombstone(request, arrow)
        result.rows += arrow.num_rows
        result.pages += 1
        result.seconds = time.monotonic() - reading.started[request.load_name]
        cursors.observe(request, arrow)
        arrow = self.shaper.apply(request, arrow)
        if self.progress is not None:
            if first:
                self.progress.table_started(result)
            self.progress.page_read(result)
        reading.last_page = time.monotonic()
        return arrow, new_json, first

    def marked(
        self, request: TableRequest[Any], arrow: pa.Table, result: TableResult, first: bool, new_json: list[str]
    ) -> Any:
        """A page marked for dlt with its table, and with its hints when it is the first or brings JSON columns."""
        import dlt

        if first or new_json:
            hints = self._hints(request, result, request.primary_key if first else (), new_json)
            return dlt.mark.with_hints(arrow, hints, create_table_variant=True)
        return dlt.mark.with_table_name(arrow, result.destination_table)

    def empty_table(self, request: TableRequest[Any], result: TableResult) -> Any:
        """A table that read no rows still gets created (its primary key columns, typed)."""
        import dlt

        if self.progress is not None:
            self.progress.table_started(result)
        hints = self._hints(request, result, request.primary_key, [])
        empty = self._with_tombstone(request, empty_table(request.table))
        if request.strategy == Strategy.SCD2:
            empty = empty.append_column(_ROW_HASH_FIELD, pa.array([], pa.string()))
        empty = self.shaper.apply(request, empty)
        return dlt.mark.with_hints(empty, hints, create_table_variant=True)

    def _hints(self, request: TableRequest[Any], result: TableResult, not_null: Any, new_json: list[str]) -> Any:
        from dlt.extract.hints import make_hints

        columns = column_hints(not_null, new_json)
        return make_hints(**shaped_hints(self.shaping, columns, **table_hints(request, result.destination_table)))

    def _with_tombstone(self, request: TableRequest[Any], arrow: pa.Table) -> pa.Table:
        """Rows loaded now are live: `_omniload_deleted_at` is null (README "Nightly runs"), on tables whose
        vanished keys are marked, where the destination can mark them."""
        if not request.table.tombstones or not self.removes_rows:
            return arrow
        return arrow.append_column(_DELETED_AT_FIELD, pa.nulls(arrow.num_rows, _DELETED_AT_FIELD.type))
