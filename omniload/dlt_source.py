"""Any omniload source as a `dlt` source, for users who run their own dlt pipelines (README "Use it from Python /
Dagster / Airflow").

One resource per table (a metrics table per period, named `<table>_<period>`), each with the catalog's primary
key and the write disposition of its strategy, its cursor in its own resource state (`omniload.state.Cursors`,
the same rules as `omniload ingest`), yielding Arrow tables (`omniload.arrow.PageConverter`).

The reads are shared as in `omniload ingest`: every resource takes its pages from ONE `Reader.read_all` over all
the selected tables, so there is one HTTP client and rate limiter, each parent list is read once, lists are read
before the tables that fan out over them, and the tables of one workspace-wide pass share one pass. dlt takes an
item from each resource in turn; a resource whose turn comes when the shared read's next page belongs to another
table keeps that page for its owner and hands the turn on (it yields None, which dlt skips), and no resource
reads on while such a page waits, so at most one page is held beyond what dlt holds itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from omniload.arrow import PageConverter
from omniload.errors import UsageError
from omniload.pipeline import _column_hints, _empty, _table_hints
from omniload.source import Interval, Item, Page, Position, Reader, Strategy, TableRequest
from omniload.sources import source_for_uri
from omniload.state import Cursors

#: Strategies a resource can take as dlt write dispositions without omniload's own pipeline around it.
RESOURCE_STRATEGIES = (Strategy.REPLACE, Strategy.APPEND, Strategy.MERGE)


def dlt_source(source_uri: str, tables: str | Sequence[str] = "all") -> Any:
    """The dlt source of `source_uri` (any `omniload ingest --source-uri`), with one resource per table of
    `tables` (`omniload ingest --source-table`'s syntax, or a list of such names; `all` by default).

    The source is named after the URI's scheme; select resources with dlt's `with_resources` as usual.
    """
    import dlt

    source = source_for_uri(source_uri)
    connection = source.connect(source_uri)
    spec = tables if isinstance(tables, str) else ",".join(tables)
    requests = connection.select(spec)
    for request in requests:
        if request.period:  # always `<table>_<period>`, so a resource keeps its name whatever else is selected
            request.load_name = f"{request.table.name}_{request.period}"
        if request.strategy not in RESOURCE_STRATEGIES:
            raise UsageError(f"{request.load_name}: strategy {request.strategy} needs `omniload ingest`")

    @dlt.source(name=source.name, max_table_nesting=0)
    def omniload_source() -> list[Any]:
        shared = SharedRead(connection.reader, connection.lookback_days)
        return [_resource(shared, request) for request in requests]

    return omniload_source()


def _resource(shared: SharedRead, request: TableRequest[Any]) -> Any:
    import dlt

    hints = _table_hints(request, request.load_name)
    return dlt.resource(
        shared.pages(request),
        name=request.load_name,
        primary_key=hints["primary_key"],
        write_disposition=hints["write_disposition"],
    )


@dataclass
class SharedRead:
    """One `read_all` over every selected resource's table, its pages handed to the resource they belong to.

    The reader (and its HTTP client) is made when the first resource starts, so a source built ahead of its run
    (Dagster builds one when it loads the definitions) holds no connection.
    """

    connect: Callable[[], Reader]
    lookback_days: int
    _requests: dict[str, TableRequest[Any]] = field(default_factory=dict)  # registered, by resource name
    _waiting: dict[str, deque[Page]] = field(default_factory=dict)
    _read: Iterator[tuple[TableRequest[Any], Item]] | None = None
    _done: bool = False

    @cached_property
    def reader(self) -> Reader:
        return self.connect()

    def pages(self, request: TableRequest[Any]) -> Iterator[Any]:
        """One resource's items: its pages as Arrow, an empty table when it read nothing, then its cursor moves."""
        import dlt
        from dlt.extract.hints import make_hints

        cursors = Cursors.from_state(dlt.current.resource_state(), Interval(), self.lookback_days, self.reader.now)
        request.interval = cursors.interval_for(request)
        self._requests[request.load_name] = request
        self._waiting[request.load_name] = deque()
        converter = PageConverter(request.primary_key, request.table.types)
        first = True
        for rows in self._own_pages(request.load_name):
            if rows is None:
                yield None  # another table's turn
                continue
            rows = cursors.new_rows(request, rows)
            if not rows:
                continue
            arrow, new_json = converter.convert(rows)
            cursors.observe(request, arrow)
            columns = _column_hints(request.primary_key if first else (), new_json)
            first = False
            yield dlt.mark.with_hints(arrow, make_hints(columns=columns)) if columns else arrow
        if first:  # the table must still exist
            columns = _column_hints(request.primary_key, ())
            yield dlt.mark.with_hints(_empty(request.table), make_hints(columns=columns))
        cursors.advance(request)

    def _own_pages(self, name: str) -> Iterator[Page | None]:
        """This resource's pages from the shared read, None where the turn passes to another resource."""
        mine = self._waiting[name]
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
                    self.reader.http.close()
                    continue
                owner, page = item
                if page is None or isinstance(page, Position):  # the reader's marks: a table's end, a chunk's
                    continue
                if owner.load_name == name:
                    yield page
                else:
                    self._waiting[owner.load_name].append(page)
                    yield None

    def _may_read(self) -> bool:
        """Read on only when every selected resource has its interval and no page waits for its owner."""
        return set(self._requests) >= _selected() and not any(self._waiting.values())

    def _started(self) -> Iterator[tuple[TableRequest[Any], Item]]:
        if self._read is None:
            self._read = self.reader.read_all(list(self._requests.values()))
        return self._read


def _selected() -> set[str]:
    """The names of the resources this extraction runs (the user may have narrowed them with `with_resources`)."""
    import dlt

    return set(dlt.current.source().selected_resources)
