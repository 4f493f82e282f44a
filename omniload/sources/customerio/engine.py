"""The small engine behind the catalog: one `Reader` per run turns table requests into pages of rows.

It dispatches each table to the read its catalog entry declares (a listing, one read per parent, batched
parents, metrics, or a workspace-wide pass), filters rows on the interval and drops repeated keys. Paging lives
in `paging.py`, the parent lists in `parents.py`, the passes in `passes.py`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from omniload.concurrency import parallel_pages
from omniload.errors import NotFound, UsageError
from omniload.http import HttpClient
from omniload.keys import KeySet
from omniload.source import Interval, Page, Row, TableRequest
from omniload.sources.customerio import periods
from omniload.sources.customerio.catalog import (
    PAGE_MAXIMA,
    PARENT_LISTS,
    PARENTS,
    Batched,
    FromPass,
    Listing,
    Metrics,
    PerParent,
    Table,
    paged_endpoints,
)
from omniload.sources.customerio.paging import Pager, fill
from omniload.sources.customerio.parents import Parent, ParentLists, describe, shaped_rows
from omniload.sources.customerio.passes import PassReader

log = logging.getLogger("omniload")

#: Fan-out results are gathered into pages of about this many rows before they travel on.
PAGE_ROWS = 5000
#: A metrics body flattens into pages of this many rows: each reading thread holds one such page at a time.
FLATTEN_ROWS = 1000
#: Tables whose rows are an on-disk parent list: read first, they double as the fan-out list for the rest.
LIST_FIRST = frozenset(p.table for p in PARENTS if p.on_disk)

Request = TableRequest[Table]


@dataclass
class Reader:
    http: HttpClient
    workers: int = 8
    now: int = field(default_factory=lambda: int(time.time()))
    pager: Pager = field(init=False)
    parents: ParentLists = field(init=False)
    passes: PassReader = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.pager = Pager(self.http)
        self.parents = ParentLists(self.pager)
        self.passes = PassReader(self.pager, self.parents, self.workers, self.now)

    def read_all(self, requests: list[Request]) -> Iterator[tuple[Request, Page]]:
        """Every page of every requested table. Tables fed by the same workspace-wide pass are read together
        in one streaming pass, so loading all four delivery tables costs one delivery read, not four."""
        done: set[str] = set()
        for request in sorted(requests, key=lambda r: r.table.name not in LIST_FIRST):
            read = request.table.read
            if isinstance(read, FromPass):
                if read.name not in done:
                    done.add(read.name)
                    yield from self.passes.read(read.name, [r for r in requests if _pass_of(r) == read.name])
            else:
                for page in self._read(request):
                    yield request, page

    def set_page_size(self, requests: list[Request], size: int) -> None:
        """`--page-size` (omniload.source.PageSized): the `limit` of every endpoint the tables page through,
        checked against the maxima the API documents (catalog.PAGE_MAXIMA)."""
        paged = {endpoint.path: request for request in requests for endpoint in paged_endpoints(request.table)}
        if not paged:
            names = ", ".join(r.load_name for r in requests[:3]) + (", …" if len(requests) > 3 else "")
            raise UsageError(
                f"--page-size: {names} {'is' if len(requests) == 1 else 'are'} not read in pages of a size "
                "omniload can choose (a single answer, fixed pages or batches); drop the flag"
            )
        for path, request in paged.items():
            maximum = PAGE_MAXIMA.get(path)
            if maximum is not None and size > maximum:
                raise UsageError(
                    f"--page-size {size} is above the maximum of {path} ({maximum}), which {request.load_name} "
                    f"reads: use at most {maximum}"
                )
        self.pager.page_sizes = dict.fromkeys(paged, size)

    def _read(self, request: Request) -> Iterator[Page]:
        """Every page of rows for one table not fed by a pass, filtered and de-duplicated per the catalog."""
        table = request.table
        read = table.read
        if isinstance(read, Metrics):
            assert request.period is not None
            pages = self._metrics(table, read, cast(periods.Period, request.period), request.interval)
        elif isinstance(read, PerParent):
            pages = self._per_parent(table, read)
        elif isinstance(read, Batched):
            pages = self._batched(table, read)
        else:
            assert isinstance(read, Listing), "pass-fed tables are read by read_all"
            pages = self.parents.list_table(table)
        return _finish(request, pages)

    def _per_parent(self, table: Table, read: PerParent) -> Iterator[Page]:
        def task(parent: Parent) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                # Page by page, so a parent with many children (objects of one type) costs a page of memory.
                try:
                    for page in self.pager.pages(read.endpoint, parent.fields):
                        yield shaped_rows(table, page, parent)
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, describe(parent))

            return run

        tasks = (task(parent) for parent in self.parents.parents(read.parent))
        return _gather(parallel_pages(tasks, self.workers))

    def _batched(self, table: Table, read: Batched) -> Iterator[Page]:
        batches = self.parents.on_disk(read.parent).batches(read.size)
        key = PARENT_LISTS[read.parent].key
        missing = 0

        def task(ids: list[str]) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                nonlocal missing
                body = self.http.post(read.endpoint.path, {"ids": ids}, dict(read.endpoint.params))
                rows = shaped_rows(table, self.pager.records(body, read.endpoint), None)
                with self._lock:
                    missing += len(set(ids) - {row[key] for row in rows})
                yield rows

            return run

        yield from _gather(parallel_pages((task(batch) for batch in batches), self.workers))
        if missing:
            log.warning("%s: %d people were not returned (deleted mid-run?)", table.name, missing)

    def _metrics(self, table: Table, read: Metrics, period: periods.Period, interval: Interval) -> Iterator[Page]:
        def task(parent: Parent) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                path = fill(read.path, parent.fields)
                try:
                    if read.version == 1:
                        body, first, at_end = self._metrics_v1(path, period)
                    else:
                        body, first, at_end = self._metrics_v2(path, period, parent, interval)
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, describe(parent))
                    return
                # Years of hourly steps are tens of thousands of rows a parent: handed on a page at a time, the
                # reading threads each hold one body and one small page, not every parent's rows.
                rows = periods.flatten(body, parent.fields, period, first, anchored_at_end=at_end)
                yield from _chunks(rows, FLATTEN_ROWS)

            return run

        tasks = (task(parent) for parent in self.parents.parents(read.parent))
        return _gather(parallel_pages(tasks, self.workers))

    def _metrics_v1(self, path: str, period: periods.Period) -> tuple[Any, Any, bool]:
        """The last step is the current period; a boundary passing in flight makes the anchor unknowable,
        so the read is repeated."""
        params = {"period": period, "steps": periods.MAX_STEPS[period]}
        while True:
            before = periods.period_floor(time.time(), period)
            body = self.http.get(path, params)
            if periods.period_floor(time.time(), period) == before:
                return body, before, True

    def _metrics_v2(
        self, path: str, period: periods.Period, parent: Parent, interval: Interval
    ) -> tuple[Any, Any, bool]:
        first = interval.start if interval.start is not None else (parent.created or self.now)
        last = interval.end if interval.end is not None else self.now
        start, end = periods.v2_range(first, last, period)
        params = {"version": 2, "res": period, "start": int(start.timestamp()), "end": int(end.timestamp())}
        return self.http.get(path, params), start, False


def _finish(request: Request, pages: Iterable[Page]) -> Iterator[Page]:
    """Rows outside the interval dropped (on the incremental key), and keys already loaded where pages may
    repeat records (`dedupe`)."""
    table, interval = request.table, request.interval
    filter_key = request.incremental_key if interval else None
    seen = KeySet() if table.dedupe else None  # keys loaded so far, where pages may repeat records
    try:
        for page in pages:
            rows = [row for row in page if not filter_key or interval.holds(row.get(filter_key))]
            if seen is not None:
                keys = [tuple(row.get(column) for column in request.primary_key) for row in rows]
                rows = [row for row, new in zip(rows, seen.add_new(keys), strict=True) if new]
            if rows:
                yield rows
    finally:
        if seen is not None:
            seen.close()


def _pass_of(request: Request) -> str | None:
    read = request.table.read
    return read.name if isinstance(read, FromPass) else None


def _chunks(rows: Iterable[Row], size: int) -> Iterator[Page]:
    """Consecutive pages of at most `size` rows, made as they are consumed."""
    page: Page = []
    for row in rows:
        page.append(row)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def _gather(pages: Iterable[Page]) -> Iterator[Page]:
    """Fan-out yields many tiny pages (one per person); batching them keeps the per-page costs down."""
    batch: Page = []
    for page in pages:
        batch.extend(page)
        if len(batch) >= PAGE_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch
