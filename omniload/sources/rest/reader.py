"""The REST reader: one `Reader` per run (`omniload.source.Reader`) that turns table requests into pages of rows
from their declarations alone (`reads.py`).

It dispatches each table to its read (a listing, one read per parent, batched parents, a parent's whole answer
as its contents), drops rows outside the run's interval and keys already loaded where pages may repeat records,
and reads a table over an on-disk parent list in chunks a killed run resumes after (README "Checkpoints and
resume"). A source with reads of its own subclasses it: `own_pages` reads one table, `shared_read` and
`read_shared` read several tables from one pass. Paging is `pager.py`'s, the parent lists `parents.py`'s, the
threads `fanout.py`'s.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from omniload import clock
from omniload.disk_sets import KeySet
from omniload.errors import NotFound, UsageError
from omniload.http import HttpClient
from omniload.source import Interval, Item, Page, Position, Present, Row, TableRequest
from omniload.sources.rest.fanout import chunks, fan_out, per_parent
from omniload.sources.rest.pager import Pager, fill
from omniload.sources.rest.parents import Parent, ParentLists, shaped_rows
from omniload.sources.rest.reads import (
    Batched,
    Contents,
    Endpoint,
    Listing,
    PerParent,
    RestCatalog,
    RestTable,
    paged_endpoints,
)

log = logging.getLogger("omniload")

#: A read per parent over more parents of an on-disk list than this goes in chunks of this many (a batched
#: read, in chunks of this many batches), each a point a killed run resumes from: a chunk is about 1,000
#: requests, so a kill costs at most 100 s of reading again at 10 req/s (README "Checkpoints and resume").
#: `OMNILOAD_CHUNK_PARENTS` changes it.
CHUNK_PARENTS = 1_000
CHUNK_VARIABLE = "OMNILOAD_CHUNK_PARENTS"

Request = TableRequest[RestTable]


@dataclass
class RestReader:
    """Every page of every requested table of one run, read through `http` on `workers` threads."""

    http: HttpClient
    catalog: RestCatalog
    workers: int = 8
    chunk_parents: int = field(default_factory=lambda: int(os.environ.get(CHUNK_VARIABLE) or CHUNK_PARENTS))
    now: int = field(default_factory=clock.now)
    details: bool = False  # read each record's detail where a listing names one (`Listing.detail`)
    pager: Pager = field(init=False)
    parents: ParentLists = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _kept: set[str] = field(default_factory=set)  # tables read per parent that this run's tables fan out over

    def __post_init__(self) -> None:
        self.pager = Pager(self.http)
        self.parents = ParentLists(self.pager, self.catalog)

    def read_all(self, requests: list[Request]) -> Iterator[tuple[Request, Item]]:
        """Every page of every requested table, each table ended by `(request, None)` (the `Reader` protocol).
        Tables that are on-disk parent lists go first: they double as the fan-out list of the rest. Tables fed
        by one shared read (`shared_read`) are read together, once, and are complete together."""
        done: set[str] = set()
        self._kept |= self._kept_lists(requests)
        first = {declared.table for declared in self.catalog.on_disk}
        for request in sorted(requests, key=lambda r: r.table.name not in first):
            shared = self.shared_read(request)
            if shared is None:
                for page in self.read(request):
                    yield request, page
                yield request, None
            elif shared not in done:
                done.add(shared)
                fed = [r for r in requests if self.shared_read(r) == shared]
                yield from self.read_shared(shared, fed)
                for member in fed:
                    yield member, None

    def read(self, request: Request) -> Iterator[Page | Position]:
        """Every page of one table, filtered on the interval and de-duplicated per its declaration."""
        return filtered(request, self.pages(request))

    def pages(self, request: Request) -> Iterable[Page | Position]:
        """Every page of one table as its read declares, before filtering."""
        table, read = request.table, request.table.read
        if isinstance(read, PerParent | Batched) and self.catalog.parent_list[read.parent].on_disk:
            return self._over_disk_list(request, read)
        if isinstance(read, PerParent) and table.name in self._kept:  # a parent list of this run: read once
            return [self.parents.fanned(table)]
        if isinstance(read, PerParent | Batched):
            return self._over_parents(table, read, self.parents.parents(read.parent))
        if isinstance(read, Contents):
            return self.per_parent(table, read.parent, lambda parent: self._contents(read, parent))
        if isinstance(read, Listing):
            return self._listing(request, read)
        return self.own_pages(request)

    def _listing(self, request: Request, read: Listing) -> Iterable[Page]:
        """A listed table: read whole (shared where it is a parent list), or only the run's interval where the
        endpoint bounds the incremental key itself; each record joined with its detail where asked."""
        table = request.table
        if request.interval and any(endpoint.window for endpoint in read.endpoints):
            pages: Iterable[Page] = self._windowed(table, read, request.interval)
        else:
            pages = self.parents.list_table(table)
            if table.tombstones and request.memory is not None:
                pages = self._present(request, pages)
        return self._with_details(table, read.detail, pages) if read.detail and self.details else pages

    def _windowed(self, table: RestTable, read: Listing, interval: Interval) -> Iterator[Page]:
        """The interval's inclusive bounds sent to an endpoint whose bounds are exclusive, one second wider
        (Customer.io's Design Studio: docs/contract/customerio/extra-tables.md, design_studio_*)."""
        for endpoint in read.endpoints:
            after, before = endpoint.window or ("", "")
            params = {after: interval.start - 1} if interval.start is not None else {}
            if interval.end is not None:
                params[before] = interval.end + 1
            for page in self.pager.pages(endpoint, extra_params=params):
                yield shaped_rows(table, page, None)

    def _with_details(self, table: RestTable, detail: Endpoint, pages: Iterable[Page]) -> Iterator[Page]:
        """Each row joined with its record's detail, a request per row on the run's threads; a record gone since
        it was listed (404) keeps its listed fields, with a warning."""

        def task(row: Row) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                try:
                    body = self.http.get(fill(detail.path, row))
                except NotFound:
                    log.warning("%s: the detail of %s answered 404 (deleted mid-run?); kept without it",
                                table.name, row.get("id"))  # fmt: skip
                    yield [row]
                    return
                found = body.get(detail.records) if isinstance(body, dict) else None
                yield [{**row, **found} if isinstance(found, dict) else row]

            return run

        for page in pages:
            yield [row for rows in fan_out((task(row) for row in page), self.workers) for row in rows]

    def _kept_lists(self, requests: list[Request]) -> set[str]:
        """The tables read per parent whose rows other requested tables fan out over: such a table is read once
        and kept for both; otherwise it streams like any per-parent table."""
        lists = {str(getattr(request.table.read, "parent", "")) for request in requests}
        tables = {self.catalog.parent_list[name].table for name in lists if name in self.catalog.parent_list}
        return {name for name in tables if name and isinstance(self.catalog.table[name].read, PerParent)}

    def own_pages(self, request: Request) -> Iterable[Page | Position]:
        """The pages of a read only this source has (a `SourceRead`): a subclass reads them."""
        raise TypeError(f"{request.table.name}: {type(request.table.read).__name__} is no read of the REST layer")

    def shared_read(self, request: Request) -> str | None:
        """The name of the read that feeds this table together with others, None for a read of its own."""
        return None

    def read_shared(self, name: str, requests: list[Request]) -> Iterator[tuple[Request, Page | Position]]:
        """Every page of the shared read `name`, each for the requested table it belongs to."""
        raise TypeError(f"no shared read {name!r} in the REST layer")

    def per_parent(
        self, table: RestTable, parents: str | Iterable[Parent], read: Callable[[Parent], Iterator[Page]]
    ) -> Iterator[Page]:
        """`read(parent)` for every parent of the declared list `parents` (or of these parents), on the run's
        threads; a parent that answers 404 is skipped with a warning (`fanout.per_parent`)."""
        listed = self.parents.parents(parents) if isinstance(parents, str) else parents
        return per_parent(table.name, listed, read, self.workers)

    def set_page_size(self, requests: list[Request], size: int) -> None:
        """`--page-size` (omniload.source.PageSized): the `limit` of every endpoint the tables page through,
        checked against the maxima the API documents (`RestCatalog.page_maxima`)."""
        paged = {endpoint.path: request for request in requests for endpoint in self.paged_endpoints(request)}
        if not paged:
            names = ", ".join(r.load_name for r in requests[:3]) + (", …" if len(requests) > 3 else "")
            raise UsageError(
                f"--page-size: {names} {'is' if len(requests) == 1 else 'are'} not read in pages of a size "
                "omniload can choose (a single answer, fixed pages or batches); drop the flag"
            )
        for path, request in paged.items():
            maximum = self.catalog.page_maxima.get(path)
            if maximum is not None and size > maximum:
                raise UsageError(
                    f"--page-size {size} is above the maximum of {path} ({maximum}), which {request.load_name} "
                    f"reads: use at most {maximum}"
                )
        self.pager.page_sizes = dict.fromkeys(paged, size)

    def paged_endpoints(self, request: Request) -> tuple[Endpoint, ...]:
        """The endpoints a table pages through with a `limit` the client chooses; a subclass adds its reads'."""
        return paged_endpoints(request.table.read)

    def _over_disk_list(self, request: Request, read: PerParent | Batched) -> Iterator[Page | Position]:
        """A read per parent (or per batch of parents) of a list kept on disk. Past `chunk_parents` requests'
        worth of parents, or when resuming, it goes in chunks of that many, in the order of their ids, each
        followed by a `Position` (README "Checkpoints and resume")."""
        declared = self.catalog.parent_list[read.parent]
        keys = self.parents.on_disk(read.parent)
        size = self.chunk_parents * (read.size if isinstance(read, Batched) else 1)
        if request.resume_from is None and len(keys) <= size:
            yield from self._over_keys(request.table, read, keys)
            return
        yield Position()
        for chunk in keys.sorted_after(request.resume_from, size):
            yield from self._over_keys(request.table, read, chunk)
            yield Position(chunk[-1], f"the {declared.name} up to {declared.id_field} {chunk[-1]}")

    def _over_keys(self, table: RestTable, read: PerParent | Batched, keys: Iterable[Any]) -> Iterator[Page]:
        key = self.catalog.parent_list[read.parent].key
        return self._over_parents(table, read, (Parent({key: value}) for value in keys))

    def _over_parents(
        self, table: RestTable, read: PerParent | Batched, parents: Iterable[Parent]
    ) -> Iterator[Page]:
        if isinstance(read, Batched):
            key = self.catalog.parent_list[read.parent].key
            return self._batched(table, read, (parent.fields[key] for parent in parents))

        def rows(parent: Parent) -> Iterator[Page]:  # page by page: a parent of many children costs a page
            for page in self.pager.pages(read.endpoint, parent.fields):
                yield shaped_rows(table, page, parent)

        return self.per_parent(table, parents, rows)

    def _batched(self, table: RestTable, read: Batched, ids: Iterable[Any]) -> Iterator[Page]:
        """`read.size` parents a request; parents the answers leave out (deleted since they were listed) are
        counted and said once."""
        key = self.catalog.parent_list[read.parent].key
        missing = 0

        def task(batch: list[Any]) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                nonlocal missing
                endpoint = read.endpoint
                body = self.http.post(endpoint.path, {read.ids_key: batch}, dict(endpoint.params))
                rows = shaped_rows(table, self.pager.records(body, endpoint), None)
                with self._lock:
                    missing += len(set(batch) - {row[key] for row in rows})
                yield rows

            return run

        yield from fan_out((task(batch) for batch in chunks(ids, read.size)), self.workers)
        if missing:
            log.warning("%s: %d %s were not returned (deleted mid-run?)", table.name, missing, read.parent)

    def _present(self, request: Request, pages: Iterable[Page]) -> Iterator[Page]:
        """A list read whole proves which keys are gone (README "Nightly runs"): the keys it found, for the rows
        of the others to be marked once the table is loaded. Taken before any interval filter."""
        (key,) = request.primary_key
        found: set[Any] = set()
        for page in pages:
            found.update(row.get(key) for row in page)
            yield page
        request.removals.append(Present(key, tuple(sorted(found, key=repr)), self.now))

    def _contents(self, read: Contents, parent: Parent) -> Iterator[Page]:
        body = self.http.get(fill(read.path, parent.fields))
        items = body if isinstance(body, list) else [] if body is None else [body]
        yield [{**parent.fields, "item_index": k, "item": item} for k, item in enumerate(items)]


def filtered(request: Request, pages: Iterable[Page | Position]) -> Iterator[Page | Position]:
    """Rows outside the interval dropped (on the incremental key), and keys already loaded where pages may
    repeat records (`RestTable.dedupe`); positions pass through."""
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
