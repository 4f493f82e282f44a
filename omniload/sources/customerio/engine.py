"""The small engine behind the catalog: one `Reader` per run turns table requests into pages of rows.

It dispatches each table to the read its catalog entry declares (a listing, one read per parent, batched
parents, metrics, a parent's whole answer as its contents or its users, or a workspace-wide pass), filters rows
on the interval and drops repeated keys. Paging lives in `paging.py`, the parent lists in `parents.py`, the
passes in `passes.py`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from omniload.concurrency import parallel_pages
from omniload.errors import NotFound, UsageError
from omniload.http import HttpClient
from omniload.keys import KeySet
from omniload.source import Interval, Item, Page, Position, Row, TableRequest
from omniload.sources.customerio import periods
from omniload.sources.customerio.catalog import (
    CATALOG,
    PAGE_MAXIMA,
    PARENT_LISTS,
    PARENTS,
    Batched,
    Contents,
    Endpoint,
    FromPass,
    Listing,
    Metrics,
    PerParent,
    Table,
    Usage,
    paged_endpoints,
)
from omniload.sources.customerio.paging import Pager, fill
from omniload.sources.customerio.parents import Parent, ParentLists, describe, shaped_rows
from omniload.sources.customerio.passes import PassReader

log = logging.getLogger("omniload")

#: Fan-out results are gathered into pages of about this many rows before they travel on. A person's attributes
#: are a few KB of Python objects: 5,000 of them held 30 MB more at 100,000 people (README "Benchmarks").
PAGE_ROWS = 1000
#: A metrics body flattens into pages of this many rows: each reading thread holds one such page at a time.
FLATTEN_ROWS = 1000
#: A read per person over more people than this goes in chunks of this many (a batched read, in chunks of this
#: many batches), each a point a killed run resumes from: a chunk is about 1,000 requests, so a kill costs at most
#: 100 s of reading again at 10 req/s (README "Checkpoints and resume"). `OMNILOAD_CHUNK_PARENTS` changes it.
CHUNK_PARENTS = 1_000
CHUNK_VARIABLE = "OMNILOAD_CHUNK_PARENTS"
#: Tables whose rows are an on-disk parent list: read first, they double as the fan-out list for the rest.
LIST_FIRST = frozenset(p.table for p in PARENTS if p.on_disk)

Request = TableRequest[Table]
T = TypeVar("T")


@dataclass
class Reader:
    http: HttpClient
    workers: int = 8
    chunk_parents: int = field(default_factory=lambda: int(os.environ.get(CHUNK_VARIABLE) or CHUNK_PARENTS))
    now: int = field(default_factory=lambda: int(time.time()))
    details: bool = False  # read each record's detail where the catalog names one (`design_studio_content`)
    pager: Pager = field(init=False)
    parents: ParentLists = field(init=False)
    passes: PassReader = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _kept: set[str] = field(default_factory=set)  # tables read per parent that this run's tables fan out over

    def __post_init__(self) -> None:
        self.pager = Pager(self.http)
        self.parents = ParentLists(self.pager)
        self.passes = PassReader(self.pager, self.parents, self.workers, self.now)

    def read_all(self, requests: list[Request]) -> Iterator[tuple[Request, Item]]:
        """Every page of every requested table, each table ended by `(request, None)` (the `Reader` protocol).
        Tables fed by the same workspace-wide pass are read together in one streaming pass, so loading all four
        delivery tables costs one delivery read, not four; they are complete together, when the pass ends."""
        done: set[str] = set()
        self._kept = _kept_lists(requests)
        for request in sorted(requests, key=lambda r: r.table.name not in LIST_FIRST):
            read = request.table.read
            if isinstance(read, FromPass):
                if read.name not in done:
                    done.add(read.name)
                    fed = [r for r in requests if _pass_of(r) == read.name]
                    yield from self.passes.read(read.name, fed)
                    for member in fed:
                        yield member, None
            else:
                for page in self._read(request):
                    yield request, page
                yield request, None

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

    def _read(self, request: Request) -> Iterator[Page | Position]:
        """Every page of rows for one table not fed by a pass, filtered and de-duplicated per the catalog."""
        table = request.table
        read = table.read
        pages: Iterable[Page | Position]
        if isinstance(read, Metrics):
            assert request.period is not None
            pages = self._metrics(table, read, cast(periods.Period, request.period), request.interval)
        elif isinstance(read, PerParent | Batched) and PARENT_LISTS[read.parent].on_disk:
            pages = self._over_disk_list(request, read)
        elif isinstance(read, PerParent) and table.name in self._kept:  # a parent list of this run: read once
            pages = [self.parents.fanned(table)]
        elif isinstance(read, PerParent):
            pages = self._per_parent(table, read, self.parents.parents(read.parent))
        elif isinstance(read, Contents):
            pages = self._contents(table, read)
        elif isinstance(read, Listing) and request.interval and any(e.window for e in read.endpoints):
            pages = self._windowed(table, read, request.interval)
        else:
            assert isinstance(read, Listing), "pass-fed tables are read by read_all"
            pages = self.parents.list_table(table)
        if isinstance(read, Listing) and read.detail and self.details:
            pages = self._with_details(table, read.detail, pages)
        return _finish(request, pages)

    def _with_details(self, table: Table, detail: Endpoint, pages: Iterable[Page | Position]) -> Iterator[Page]:
        """Each row joined with its record's detail, a request per row on the reading threads; a record gone
        since it was listed (404) keeps its listed fields, with a warning (extra-tables.md, design_studio_*)."""

        def task(row: Row) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                try:
                    body = self.http.get(fill(detail.path, row))
                except NotFound:
                    log.warning(
                        "%s: the detail of %s answered 404 (deleted mid-run?); kept without it",
                        table.name,
                        row.get("id"),
                    )
                    yield [row]
                    return
                found = body.get(detail.records) if isinstance(body, dict) else None
                yield [{**row, **found} if isinstance(found, dict) else row]

            return run

        for page in pages:
            assert not isinstance(page, Position), "a listing is not read in chunks"
            yield [row for rows in parallel_pages((task(row) for row in page), self.workers) for row in rows]

    def _windowed(self, table: Table, read: Listing, interval: Interval) -> Iterator[Page]:
        """A listing whose endpoint bounds the incremental key itself, exclusively: the interval's inclusive
        bounds are sent one second wider (docs/contract/customerio/extra-tables.md, design_studio_*)."""
        for endpoint in read.endpoints:
            after, before = endpoint.window or ("", "")
            params = {after: interval.start - 1} if interval.start is not None else {}
            if interval.end is not None:
                params[before] = interval.end + 1
            for page in self.pager.pages(endpoint, extra_params=params):
                yield shaped_rows(table, page, None)

    def _over_disk_list(self, request: Request, read: PerParent | Batched) -> Iterator[Page | Position]:
        """A read per parent (or per batch of parents) of a list kept on disk (the people). Past `chunk_parents`
        requests' worth of parents, or when resuming, it goes in chunks of that many, in the order of their ids,
        each followed by a `Position` (README "Checkpoints and resume")."""
        keys = self.parents.on_disk(read.parent)
        size = self.chunk_parents * (read.size if isinstance(read, Batched) else 1)
        if request.resume_from is None and len(keys) <= size:
            yield from self._over_keys(request.table, read, keys)
            return
        yield Position()
        for chunk in keys.sorted_after(request.resume_from, size):
            yield from self._over_keys(request.table, read, chunk)
            yield Position(chunk[-1], f"the people up to cio_id {chunk[-1]}")

    def _over_keys(self, table: Table, read: PerParent | Batched, keys: Iterable[Any]) -> Iterator[Page]:
        if isinstance(read, Batched):
            return self._batched(table, read, keys)
        key = PARENT_LISTS[read.parent].key
        return self._per_parent(table, read, (Parent({key: value}) for value in keys))

    def _per_parent(self, table: Table, read: PerParent, parents: Iterable[Parent]) -> Iterator[Page]:
        def task(parent: Parent) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                # Page by page, so a parent with many children (objects of one type) costs a page of memory.
                try:
                    for page in self.pager.pages(read.endpoint, parent.fields):
                        yield shaped_rows(table, page, parent)
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, describe(parent))

            return run

        tasks = (task(parent) for parent in parents)
        return _gather(parallel_pages(tasks, self.workers))

    def _batched(self, table: Table, read: Batched, keys: Iterable[Any]) -> Iterator[Page]:
        batches = _chunks(keys, read.size)
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
                        body, first, at_end = self._metrics_v2(read, path, period, parent, interval)
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, describe(parent))
                    return
                # Years of hourly steps are tens of thousands of rows a parent: handed on a page at a time, the
                # reading threads each hold one body and one small page, not every parent's rows.
                rows = _metric_rows(read, body, parent.fields, period, first, at_end)
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
        self, read: Metrics, path: str, period: periods.Period, parent: Parent, interval: Interval
    ) -> tuple[Any, Any, bool]:
        first = interval.start if interval.start is not None else (parent.created or self.now)
        last = interval.end if interval.end is not None else self.now
        start, end = periods.v2_range(first, last, period)
        params = {"res": period, "start": int(start.timestamp()), "end": int(end.timestamp())}
        if read.versioned:
            params = {"version": 2, **params}
        return self.http.get(path, params), start, False

    def _contents(self, table: Table, read: Contents) -> Iterator[Page]:
        def task(parent: Parent) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                try:
                    body = self.http.get(fill(read.path, parent.fields))
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, describe(parent))
                    return
                yield [{**parent.fields, **row} for row in _answer_rows(read, body)]

            return run

        tasks = (task(parent) for parent in self.parents.parents(read.parent))
        return _gather(parallel_pages(tasks, self.workers))


def _finish(request: Request, pages: Iterable[Page | Position]) -> Iterator[Page | Position]:
    """Rows outside the interval dropped (on the incremental key), and keys already loaded where pages may
    repeat records (`dedupe`)."""
    table, interval = request.table, request.interval
    filter_key = request.incremental_key if interval else None
    seen = KeySet() if table.dedupe else None  # keys loaded so far, where pages may repeat records
    try:
        for page in pages:
            if isinstance(page, Position):
                yield page
                continue
            rows = [row for row in page if not filter_key or interval.holds(row.get(filter_key))]
            if seen is not None:
                keys = [tuple(row.get(column) for column in request.primary_key) for row in rows]
                rows = [row for row, new in zip(rows, seen.add_new(keys), strict=True) if new]
            if rows:
                yield rows
    finally:
        if seen is not None:
            seen.close()


def _metric_rows(
    read: Metrics, body: Any, fields: Mapping[str, Any], period: periods.Period, first: Any, at_end: bool
) -> Iterator[Row]:
    """The rows of one metrics body: its series, or with `per_link` each link's series under the link's id and
    href (docs/contract/customerio/extra-tables.md, link metrics)."""
    if not read.per_link:
        yield from periods.flatten(_dig(body, read.series), fields, period, first, anchored_at_end=at_end)
        return
    for entry in (body.get("links") if isinstance(body, dict) else None) or []:
        link = (entry or {}).get("link") or {}
        link_fields = {**fields, "link_id": link.get("id"), "href": link.get("href")}
        yield from periods.flatten(_dig(entry, read.series), link_fields, period, first, anchored_at_end=at_end)


def _answer_rows(read: Contents, body: Any) -> list[Row]:
    """A parent's whole answer as rows: its items (`{item_index, item}`: an array gives one per element, an
    object one, null none), or for `Usage` one `{used_by, used_by_id}` per id of each kind's array
    (docs/contract/customerio/extra-tables.md, collection_contents, segment_dependencies)."""
    if isinstance(read, Usage):
        kinds = _dig(body, (read.under,)) if read.under else body
        return [
            {"used_by": kind, "used_by_id": used}
            for kind, ids in (kinds.items() if isinstance(kinds, dict) else ())
            if isinstance(ids, list)
            for used in ids
        ]
    items = body if isinstance(body, list) else [] if body is None else [body]
    return [{"item_index": k, "item": item} for k, item in enumerate(items)]


def _dig(body: Any, keys: tuple[str, ...]) -> Any:
    """The value under `keys` in nested objects, or None where one is missing."""
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _kept_lists(requests: list[Request]) -> set[str]:
    """The tables read per parent whose rows other requested tables fan out over (a broadcast's triggers, the
    objects): such a table is read once and kept for both; otherwise it streams like any per-parent table."""
    lists = {str(getattr(request.table.read, "parent", "")) for request in requests}
    tables = {PARENT_LISTS[name].table for name in lists if name in PARENT_LISTS}
    return {name for name in tables if name and isinstance(CATALOG[name].read, PerParent)}


def _pass_of(request: Request) -> str | None:
    read = request.table.read
    return read.name if isinstance(read, FromPass) else None


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items (rows, parent ids), made as they are consumed."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
