"""The resources of a source's dlt source, for users who run their own dlt pipelines (README "Use it from Python /
Dagster / Airflow"); a source's own `@dlt.source` (`customerio_source`) gathers them.

One resource per table (a metrics table per period, named `<table>_<period>`), each with the catalog's primary
key and the write disposition of its strategy, yielding Arrow tables (`omniload.arrow.PageConverter`). A table
read from a cursor has a `dlt.sources.incremental` on its incremental key (or, for a table that moves with the
run's time, on the column its interval selects on, re-read `lookback_days` back through dlt's `lag`): dlt keeps
its cursor, filters its rows, and takes an `initial_value`/`end_value` backfill or an external scheduler's
interval (`allow_external_schedulers`) as it does for its own sources; the table's read asks the API for that
interval only.

The reads are shared as in `omniload ingest`: every resource of one extraction takes its pages from ONE
`Reader.read_all` over the selected tables, so there is one HTTP client and rate limiter, each parent list is
read once, lists are read before the tables that fan out over them, and the tables of one workspace-wide pass
share one pass. dlt takes an item from each resource in turn; a resource whose turn comes when the shared read's
next page belongs to another table keeps that page for its owner and hands the turn on (it yields None, which dlt
skips), and no resource reads on while such a page waits, so at most one page is held beyond what dlt holds.
Each extraction has a shared read of its own, made when its first resource starts, so one source object runs
again and again (and a copy of it runs beside it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from omniload.arrow import PageConverter
from omniload.errors import UsageError
from omniload.pages import column_hints, empty_table, table_hints
from omniload.source import Connection, CursorRule, Interval, Page, Position, Reader, Strategy, TableRequest
from omniload.state import CURSOR_STRATEGIES

#: Strategies a resource can take as dlt write dispositions without omniload's own pipeline around it.
RESOURCE_STRATEGIES = (Strategy.REPLACE, Strategy.APPEND, Strategy.MERGE)
DAY = 86400


def table_resources(connection: Connection, tables: str, interval_keys: Mapping[str, str]) -> list[Any]:
    """One dlt resource per table of `tables` (`omniload ingest --source-table`'s syntax), read through
    `connection`. `interval_keys` names, per table that moves with the run's time (`CursorRule.RUN_TIME`), the
    column its interval selects on; such a table without one is read whole each time."""
    shared = SharedReads(connection, tables)
    return [_resource(shared, request, interval_keys.get(request.table.name)) for request in shared.requests()]


def _resource(shared: SharedReads, request: TableRequest[Any], interval_key: str | None) -> Any:
    """The table's resource: a function dlt calls at each extraction, with the table's incremental if it has
    one (dlt finds it as the argument's default, and a user's `apply_hints(incremental=...)` replaces it)."""
    import dlt

    hints = table_hints(request, request.load_name)
    name, incremental = request.load_name, _incremental(request, interval_key, shared.connection.lookback_days)

    def read_table(incremental: Any = incremental) -> Iterator[Any]:
        yield from shared.pages(name, incremental)

    def read_whole_table() -> Iterator[Any]:
        yield from shared.pages(name, None)

    return dlt.resource(
        read_whole_table if incremental is None else read_table,
        name=name,
        primary_key=hints["primary_key"],
        write_disposition=hints["write_disposition"],
    )


def _incremental(request: TableRequest[Any], interval_key: str | None, lookback_days: int) -> Any:
    """The table's `dlt.sources.incremental`, or None for a table read whole each time. Rows without the key
    are kept (as `omniload ingest` keeps them); a merge table does not drop rows at its cursor that an earlier
    run loaded (loading them again is harmless, and a record changed within the same second still loads)."""
    import dlt

    key = request.incremental_key or (interval_key if request.table.cursor == CursorRule.RUN_TIME else None)
    if key is None or request.strategy not in CURSOR_STRATEGIES:
        return None
    run_time = request.table.cursor == CursorRule.RUN_TIME and request.strategy != Strategy.APPEND
    return dlt.sources.incremental[int](
        key,
        primary_key=() if request.strategy == Strategy.MERGE else None,
        lag=lookback_days * DAY if run_time else None,
        on_cursor_value_missing="include",
    )


def _interval(incremental: Any) -> Interval:
    """The interval the table's read asks the API for: from the incremental's start (its cursor less any lag, its
    `initial_value`, or a scheduler's) to its end, inclusive; dlt drops the rows at an open end."""
    if incremental is None:
        return Interval()
    return Interval(_seconds(incremental.start_value), _seconds(incremental.end_value))


def _seconds(value: Any) -> int | None:
    """A cursor value in Unix seconds: a number, or a datetime where a user gave one."""
    if value is None:
        return None
    return int(value.timestamp() if isinstance(value, datetime) else value)


@dataclass
class SharedReads:
    """The shared read of each extraction under way of one source object (or of copies of it), found by the
    pipeline state dict dlt gives that extraction."""

    connection: Connection
    tables: str
    _reads: list[SharedRead] = field(default_factory=list)

    def requests(self) -> list[TableRequest[Any]]:
        """The tables as requests; a period's table is always `<table>_<period>`, so a resource keeps its name
        whatever else is selected."""
        requests = self.connection.select(self.tables)
        for request in requests:
            if request.period:
                request.load_name = f"{request.table.name}_{request.period}"
            if request.strategy not in RESOURCE_STRATEGIES:
                raise UsageError(f"{request.load_name}: strategy {request.strategy} needs `omniload ingest`")
        return requests

    def pages(self, name: str, incremental: Any) -> Iterator[Any]:
        """One resource's items in this extraction."""
        import dlt

        state = dlt.current.source_state()
        read = next((r for r in self._reads if r.state is state), None)
        if read is None:
            read = SharedRead(state, self.connection.reader, {r.load_name: r for r in self.requests()})
            self._reads.append(read)
        try:
            yield from read.pages(name, _interval(incremental))
        finally:
            if read.leave(name):
                self._reads = [r for r in self._reads if r is not read]


@dataclass(eq=False)
class SharedRead:
    """One `read_all` over every selected resource's table, its pages handed to the resource they belong to.

    The reader (and its HTTP client) is made when the first page is read, so a source built ahead of its run
    (Dagster builds one when it loads the definitions) holds no connection.
    """

    state: object  # the extraction's source state: what tells this extraction's resources from another's
    connect: Callable[[], Reader]
    requests: dict[str, TableRequest[Any]]  # by resource name
    _joined: dict[str, deque[Page]] = field(default_factory=dict)  # the pages waiting for each resource
    _left: set[str] = field(default_factory=set)
    _read: Iterator[tuple[TableRequest[Any], Any]] | None = None
    _done: bool = False

    @cached_property
    def reader(self) -> Reader:
        return self.connect()

    def pages(self, name: str, interval: Interval) -> Iterator[Any]:
        """One resource's pages as Arrow, with their hints; an empty table when it read nothing."""
        import dlt
        from dlt.extract.hints import make_hints

        request = self.requests[name]
        request.interval = interval
        self._joined[name] = deque()
        converter = PageConverter(request.primary_key, request.table.types)
        first = True
        for rows in self._own_pages(name):
            if rows is None:
                yield None  # another table's turn
                continue
            arrow, new_json = converter.convert(rows)
            columns = column_hints(request.primary_key if first else (), new_json)
            first = False
            yield dlt.mark.with_hints(arrow, make_hints(columns=columns)) if columns else arrow
        if first:  # the table must still exist
            columns = column_hints(request.primary_key, ())
            yield dlt.mark.with_hints(empty_table(request.table), make_hints(columns=columns))

    def leave(self, name: str) -> bool:
        """A resource is done (or closed by a failed extraction); True once every resource that joined is, when
        the HTTP client is closed."""
        self._left.add(name)
        if self._left < set(self._joined):
            return False
        if "reader" in self.__dict__:
            self.reader.http.close()
        return True

    def _own_pages(self, name: str) -> Iterator[Page | None]:
        """This resource's pages from the shared read, None where the turn passes to another resource."""
        mine = self._joined[name]
        while True:
            if mine:
                yield mine.popleft()
            elif self._done:
                return
            elif not self._may_read():
                yield None
            else:
                item = next(self._started(), None)
                if item is None:
                    self._done = True
                    continue
                owner, page = item
                if page is None or isinstance(page, Position):  # the reader's marks: a table's end, a chunk's
                    continue
                if owner.load_name == name:
                    yield page
                else:
                    self._joined[owner.load_name].append(page)
                    yield None

    def _may_read(self) -> bool:
        """Read on only when every selected resource has its interval and no page waits for its owner."""
        return set(self._joined) >= _selected() and not any(self._joined.values())

    def _started(self) -> Iterator[tuple[TableRequest[Any], Any]]:
        if self._read is None:
            self._read = self.reader.read_all([self.requests[name] for name in self._joined])
        return self._read


def _selected() -> set[str]:
    """The names of the resources this extraction runs (the user may have narrowed them with `with_resources`)."""
    import dlt

    return set(dlt.current.source().selected_resources)
