"""The small engine behind the catalog: paging, parent fan-out, delivery windows, filtering and row typing.

One `Reader` serves one run. It reads each parent list at most once, so several tables loaded together share
the people listing, the campaign and broadcast lists, and the workspace-wide delivery and activity passes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from omniload.arrow import coerce
from omniload.concurrency import parallel_pages
from omniload.errors import ApiError, NotFound
from omniload.http import HttpClient
from omniload.keys import KeySet
from omniload.sources.customerio import periods
from omniload.sources.customerio.catalog import (
    CATALOG,
    Batched,
    Endpoint,
    FromPass,
    Listing,
    Metrics,
    PerParent,
    Table,
)

log = logging.getLogger("omniload")

Row = dict[str, Any]
Page = list[Row]

#: Delivery windows stay well inside every endpoint's 6-month span under any reading of "month".
WINDOW_SECONDS = 90 * 86400
#: Small unpaged lists that are also parent lists: read once, whichever table asks first.
SHARED_LISTS = frozenset(
    {"/v1/campaigns", "/v1/broadcasts", "/v1/newsletters", "/v1/object_types", "/v1/transactional"}
)
#: Fan-out results are gathered into pages of about this many rows before they travel on.
PAGE_ROWS = 5000


@dataclass(frozen=True)
class Interval:
    """Inclusive bounds in Unix seconds; either may be open."""

    start: int | None = None
    end: int | None = None

    def __bool__(self) -> bool:
        return self.start is not None or self.end is not None

    def holds(self, value: Any) -> bool:
        """Records without the key are kept (tables.md section 6): under merge, loading them again is harmless."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return True
        return (self.start is None or value >= self.start) and (self.end is None or value <= self.end)


@dataclass(frozen=True)
class Parent:
    """A fan-out parent: `fields` fill the path and are set on every row; `created` anchors time ranges."""

    fields: Mapping[str, Any]
    created: int | None = None


@dataclass
class TableRequest:
    """One table of a run: the catalog entry, its period for metrics, the name it is loaded under, and what the
    user or the saved cursor changed of the catalog's defaults."""

    table: Table
    period: periods.Period | None = None
    output: str = ""
    interval: Interval = field(default_factory=Interval)
    strategy: str = ""
    primary_key: tuple[str, ...] = ()
    incremental_key: str | None = None

    def __post_init__(self) -> None:
        self.output = self.output or self.table.name
        self.strategy = self.strategy or self.table.strategy
        self.primary_key = self.primary_key or self.table.primary_key
        self.incremental_key = self.incremental_key or self.table.incremental_key


@dataclass
class Reader:
    http: HttpClient
    workers: int = 8
    now: int = field(default_factory=lambda: int(time.time()))
    _lists: dict[str, list[Row]] = field(default_factory=dict)
    _people: KeySet | None = None
    _limit_refused: set[str] = field(default_factory=set)  # endpoints whose undocumented maximum is lower
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- tables ------------------------------------------------------------------------------------------
    def read_all(self, requests: list[TableRequest]) -> Iterator[tuple[TableRequest, Page]]:
        """Every page of every requested table. Tables fed by the same workspace-wide pass are read together
        in one streaming pass, so loading all four delivery tables costs one delivery read, not four."""
        done: set[str] = set()
        # `customers` is the people listing itself: read first, it doubles as the fan-out list for the rest.
        for request in sorted(requests, key=lambda r: r.table.name != "customers"):
            read = request.table.read
            if isinstance(read, FromPass):
                if read.name not in done:
                    done.add(read.name)
                    yield from self._from_pass(read.name, [r for r in requests if _pass_of(r) == read.name])
            else:
                for page in self._read(request):
                    yield request, page

    def _read(self, request: TableRequest) -> Iterator[Page]:
        """Every page of rows for one table not fed by a pass, filtered and de-duplicated per the catalog."""
        table = request.table
        read = table.read
        if isinstance(read, Metrics):
            assert request.period is not None
            pages = self._metrics(table, read, request.period, request.interval)
        elif isinstance(read, PerParent):
            pages = self._per_parent(table, read)
        elif isinstance(read, Batched):
            pages = self._batched(table, read)
        else:
            assert isinstance(read, Listing), "pass-fed tables are read by read_all"
            pages = self._listing(table, read)
        return self._finish(request, pages)

    def _finish(self, request: TableRequest, pages: Iterable[Page]) -> Iterator[Page]:
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

    # ---- reads -------------------------------------------------------------------------------------------
    def _listing(self, table: Table, read: Listing) -> Iterator[Page]:
        people = KeySet() if table.name == "customers" and self._people is None else None
        for endpoint in read.endpoints:
            shared = endpoint.path in SHARED_LISTS
            for page in [self.listing(endpoint)] if shared else self.pages(endpoint):
                rows = self._rows(table, page, None)
                if people is not None:
                    people.add_new([row["cio_id"] for row in rows])
                yield rows
        if people is not None:
            self._people = people  # only once complete: a read stopped half-way leaves no partial list

    def _per_parent(self, table: Table, read: PerParent) -> Iterator[Page]:
        def task(parent: Parent) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                # Page by page, so a parent with many children (objects of one type) costs a page of memory.
                try:
                    for page in self.pages(read.endpoint, parent.fields):
                        yield self._rows(table, page, parent)
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, _name(parent))

            return run

        tasks = (task(parent) for parent in self.parents(read.parent))
        return _gather(parallel_pages(tasks, self.workers))

    def _batched(self, table: Table, read: Batched) -> Iterator[Page]:
        assert read.parent == "people", "attributes are the only batched read"
        batches = self.people().batches(read.size)
        missing = 0

        def task(ids: list[str]) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                nonlocal missing
                body = self.http.post(read.endpoint.path, {"ids": ids}, dict(read.endpoint.params))
                rows = self._rows(table, _records(body, read.endpoint.records), None)
                with self._lock:
                    missing += len(set(ids) - {row["customer_id"] for row in rows})
                yield rows

            return run

        yield from _gather(parallel_pages((task(batch) for batch in batches), self.workers))
        if missing:
            log.warning("%s: %d people were not returned (deleted mid-run?)", table.name, missing)

    def _metrics(
        self, table: Table, read: Metrics, period: periods.Period, interval: Interval
    ) -> Iterator[Page]:
        def task(parent: Parent) -> Callable[[], Iterator[Page]]:
            def run() -> Iterator[Page]:
                path = _fill(read.path, parent.fields)
                try:
                    if read.version == 1:
                        body, first, at_end = self._metrics_v1(path, period)
                    else:
                        body, first, at_end = self._metrics_v2(path, period, parent, interval)
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, _name(parent))
                    return
                yield list(periods.flatten(body, parent.fields, period, first, anchored_at_end=at_end))

            return run

        tasks = (task(parent) for parent in self.parents(read.parent))
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

    def _from_pass(self, name: str, requests: list[TableRequest]) -> Iterator[tuple[TableRequest, Page]]:
        members = [self._members(request.table) for request in requests]
        if name == "messages":
            source = self.delivery_pages(_widest(r.interval for r in requests))
        else:
            source = self.activity_pages()
        for page in source:
            for request, allowed in zip(requests, members, strict=True):
                rows = self._pass_rows(request.table, page, allowed)
                if rows:
                    yield request, rows

    def _members(self, table: Table) -> set[Any] | KeySet | None:
        """The parent ids a pass row must name to belong to `table`; None when every row belongs."""
        read = table.read
        assert isinstance(read, FromPass)
        if read.member_of == "people":
            return self.people()
        if read.member_of:
            return {parent.fields[read.via or ""] for parent in self.parents(read.member_of)}
        return None

    def _pass_rows(self, table: Table, page: Page, members: set[Any] | KeySet | None) -> Page:
        read = table.read
        assert isinstance(read, FromPass)
        if members is None:
            return page
        if read.person_rows:
            ids = [_cio_id(record) for record in page]
            known = members.intersection(i for i in ids if i is not None)  # one lookup a page
            return [{**record, "customer_id": i} for record, i in zip(page, ids, strict=True) if i in known]
        parent_ids = [coerce(record.get(read.via or ""), int) for record in page]
        known = members.intersection(parent_ids)
        return [record for record, parent_id in zip(page, parent_ids, strict=True) if parent_id in known]

    # ---- workspace-wide passes ---------------------------------------------------------------------------
    def delivery_pages(self, interval: Interval) -> Iterator[Page]:
        """Every delivery created in the interval (by default the whole history), read in consecutive 90-day
        windows on parallel threads."""
        start = interval.start if interval.start is not None else self._earliest_parent()
        end = interval.end if interval.end is not None else self.now
        endpoint = Endpoint("/v1/messages", "messages", limit=1000)

        def task(window: tuple[int, int]) -> Callable[[], Iterator[Page]]:
            params = {"start_ts": window[0], "end_ts": window[1]}
            return lambda: self.pages(endpoint, extra_params=params)

        return parallel_pages((task(w) for w in windows(start, end)), self.workers)

    def activity_pages(self) -> Iterator[Page]:
        return self.pages(Endpoint("/v1/activities", "activities", limit=100))

    def _earliest_parent(self) -> int:
        """A delivery cannot be older than its parent, so the oldest parent bounds the full history."""
        created = [p.created for name in ("campaigns", "broadcasts", "newsletters") for p in self.parents(name)]
        created += [row.get("created_at") for row in self.listing(Endpoint("/v1/transactional", "messages"))]
        known = [value for value in created if isinstance(value, int) and value > 0]
        return min(known, default=self.now)

    # ---- parents -----------------------------------------------------------------------------------------
    def parents(self, name: str) -> Iterable[Parent]:
        if name == "people":  # made one at a time: a million people's Parent objects would cost 300 MB
            return (Parent({"customer_id": cio_id}) for cio_id in self.people())
        if name in ("campaigns", "broadcasts", "newsletters"):
            records = self.listing(_parent_listing(name))
            key = f"{name[:-1]}_id"
            return [Parent({key: coerce(r.get("id"), int)}, r.get("created")) for r in records if "id" in r]
        if name == "object_types":
            records = self.listing(Endpoint("/v1/object_types", "types"))
            return [Parent({"object_type_id": coerce(r.get("id"), str)}) for r in records]
        if name in ("campaign_actions", "broadcast_actions"):
            owner = name.split("_")[0]
            pairs: dict[tuple[Any, Any], Parent] = {}
            for parent, record in zip(
                self.parents(f"{owner}s"), self.listing(_parent_listing(f"{owner}s")), strict=True
            ):
                for action in record.get("actions") or []:
                    action_id = coerce((action or {}).get("id"), int)
                    if action_id is not None:
                        fields = {**parent.fields, "action_id": action_id}
                        pairs.setdefault(tuple(fields.values()), Parent(fields, parent.created))
            return list(pairs.values())
        raise KeyError(name)

    def people(self) -> KeySet:
        if self._people is None:
            table = CATALOG["customers"]
            assert isinstance(table.read, Listing)
            for _ in self._listing(table, table.read):
                pass
        assert self._people is not None
        return self._people

    def listing(self, endpoint: Endpoint) -> list[Row]:
        """A small parent list, read once per run and shared by every table that needs it."""
        key = endpoint.path
        with self._lock:
            cached = self._lists.get(key)
        if cached is None:
            cached = [row for page in self.pages(endpoint) for row in page]
            with self._lock:
                self._lists[key] = cached
        return cached

    # ---- paging ------------------------------------------------------------------------------------------
    def pages(
        self,
        endpoint: Endpoint,
        fields: Mapping[str, Any] | None = None,
        extra_params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[Any]]:
        """Follow `next` until it is empty. An empty page can carry a `next`; the same `next` twice ends the
        read with a warning instead of looping."""
        fields = fields or {}
        path = _fill(endpoint.path, fields)
        params: dict[str, Any] = dict(endpoint.params)
        if endpoint.limit and endpoint.path not in self._limit_refused:
            params["limit"] = endpoint.limit
        params.update(extra_params or {})
        body = endpoint.body(fields) if callable(endpoint.body) else endpoint.body
        cursor: str | None = None
        while True:
            query = {**params, "start": cursor} if cursor else params
            try:
                if endpoint.method == "POST":
                    response = self.http.post(path, body or {}, query)
                else:
                    response = self.http.get(path, query)
            except ApiError as error:
                # Page maxima are undocumented on some endpoints, and whether an over-maximum limit is clamped
                # or refused is open: a refused first page is read again at the server's own page size.
                if error.status != 400 or cursor is not None or "limit" not in params:
                    raise
                with self._lock:
                    first_refusal = endpoint.path not in self._limit_refused
                    self._limit_refused.add(endpoint.path)  # the next parents skip the refused request
                if first_refusal:
                    log.warning("%s: the API refused limit=%s; using its default page size", path, params["limit"])
                del params["limit"]
                continue
            yield _records(response, endpoint.records)
            next_cursor = response.get("next") if isinstance(response, dict) else None
            if not next_cursor:
                return
            if next_cursor == cursor:
                log.warning("%s: the API returned the cursor it was sent; stopping this read", path)
                return
            cursor = str(next_cursor)

    # ---- rows --------------------------------------------------------------------------------------------
    def _rows(self, table: Table, records: list[Any], parent: Parent | None) -> Page:
        rows = []
        for record in records:
            row = {**record, **parent.fields} if parent and isinstance(record, dict) else record
            if table.shape:
                row = table.shape(row)
                if row is None:
                    continue
            rows.append(row)
        return rows


def windows(start: int, end: int) -> Iterator[tuple[int, int]]:
    """Consecutive inclusive windows: each `end_ts` is the next `start_ts` − 1, so none overlap."""
    while start <= end:
        window_end = min(start + WINDOW_SECONDS - 1, end)
        yield start, window_end
        start = window_end + 1


def _widest(intervals: Iterable[Interval]) -> Interval:
    """Tables sharing one pass may have different cursors; the pass covers them all (merge absorbs the rest)."""
    spans = list(intervals)
    starts = [i.start for i in spans]
    ends = [i.end for i in spans]
    return Interval(
        None if None in starts else min(s for s in starts if s is not None),
        None if None in ends else max(e for e in ends if e is not None),
    )


def _pass_of(request: TableRequest) -> str | None:
    read = request.table.read
    return read.name if isinstance(read, FromPass) else None


def _parent_listing(name: str) -> Endpoint:
    if name == "newsletters":
        return CATALOG["newsletters"].read.endpoints[0]  # type: ignore[union-attr]
    return Endpoint(f"/v1/{name}", name)


def _records(body: Any, key: str) -> list[Any]:
    """A missing or null records key is an empty page, not an error (observed on empty searches)."""
    if not isinstance(body, dict):
        raise ApiError(f"unexpected response: expected a JSON object holding {key!r}")
    records = body.get(key)
    return records if isinstance(records, list) else []


def _cio_id(record: Row) -> str | None:
    identifiers = record.get("customer_identifiers")
    if not isinstance(identifiers, dict) or identifiers.get("cio_id") in (None, ""):
        return None
    return str(coerce(identifiers["cio_id"], str))


def _fill(template: str, fields: Mapping[str, Any]) -> str:
    """Path values are always percent-encoded: an unencoded `+` or `@` silently matches nobody."""
    if "{" not in template:
        return template
    return template.format(**{key: quote(str(value), safe="") for key, value in fields.items()})


def _name(parent: Parent) -> str:
    return ", ".join(f"{key} {value}" for key, value in parent.fields.items())


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
