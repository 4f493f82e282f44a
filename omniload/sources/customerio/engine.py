"""The Customer.io reader: the REST layer's reader (`omniload/sources/rest/`) over the catalog, plus the reads only
Customer.io has.

Listings, reads per parent, batched people and collection contents are the REST layer's, read from their catalog
entries alone. What is added here: the users of a segment or a sender (`Usage`, one row per kind and id);
metrics, one columnar body per parent and period flattened into one row per period step (`periods.py`), read
through the REST layer's one fan-out; the workspace-wide passes, each read once for every table it feeds
(`passes.py`); and the change feed (`changes.py`), read right after the people
listing, which decides how each table it feeds is refreshed on a nightly run (README "Nightly runs").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from omniload.errors import NotFound
from omniload.source import Interval, Item, Page, Position, Row, TableRequest
from omniload.sources.customerio import periods
from omniload.sources.customerio.catalog import PASSES, REST_CATALOG, Budgeted, FromPass, Metrics, Usage
from omniload.sources.customerio.changes import ChangeFeed
from omniload.sources.customerio.passes import PassReader
from omniload.sources.rest.fanout import chunks
from omniload.sources.rest.pager import fill
from omniload.sources.rest.parents import Parent
from omniload.sources.rest.reader import RestReader, filtered
from omniload.sources.rest.reads import Batched, Endpoint, PerParent, RestCatalog

log = logging.getLogger("omniload")

#: A metrics body flattens into pages of this many rows: each reading thread holds one such page at a time.
FLATTEN_ROWS = 1000



@dataclass
class Reader(RestReader):
    """One run's reads of the Customer.io catalog (`omniload.source.Reader`)."""

    catalog: RestCatalog = field(default=REST_CATALOG)
    full_refresh_days: int = 7  # a table refreshed from the change feed is read whole at least this often
    contents_per_day: int = 100  # of a `Budgeted` read's daily allowance, what omniload may spend
    unnamed_budget: int = 1000  # requests a table's per-person reads may spend on rows that name nobody
    passes: PassReader = field(init=False)
    feed: ChangeFeed = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.passes = PassReader(self.pager, self.parents, self.workers, self.now, budget=self.unnamed_budget)
        self.feed = ChangeFeed(self.pager, self.parents, self.now, self.full_refresh_days)

    def read_all(self, requests: list[TableRequest[Any]]) -> Iterator[tuple[TableRequest[Any], Item]]:
        """The REST layer's order (the people listing first), with the change pass right after the listing,
        before the tables it refreshes."""
        self.feed.decide(requests)
        lists = {declared.table for declared in self.catalog.on_disk}
        first = [r for r in requests if r.table.name in lists]
        yield from super().read_all(first)
        logs: list[TableRequest[Any]] = []
        if self.feed.needed(requests):
            logs = [r for r in requests if self.feed.logs(r)]
            yield from self._change_pass(requests, logs)
        yield from super().read_all([r for r in requests if r not in first and r not in logs])

    def read(self, request: TableRequest[Any]) -> Iterator[Page | Position]:
        """A table the change feed refreshes reads part of itself on a nightly run (`changes.py`)."""
        if request.table.feed is None:
            return super().read(request)
        return self._fed(request)

    def _fed(self, request: TableRequest[Any]) -> Iterator[Page | Position]:
        self.feed.start(request)
        if request.partial is None:
            yield from super().read(request)
            self.feed.finish(request, set())
            return
        read, table = request.table.read, request.table
        assert isinstance(read, PerParent | Batched) and table.feed is not None
        seen: set[str] = set()
        people = sorted(self.feed.changes.people(table.feed))
        for page in filtered(request, self._over_keys(table, read, people)):
            if isinstance(page, list):
                seen.update(str(row["customer_id"]) for row in page)
            yield page
        self.feed.finish(request, seen)  # the people re-read with no rows left lose their old ones

    def _change_pass(
        self, requests: list[TableRequest[Any]], logs: list[TableRequest[Any]]
    ) -> Iterator[tuple[TableRequest[Any], Item]]:
        """The activity log read from the watermark: its changes noted, its records handed to the log tables."""
        members = [self.passes.members(r.table) for r in logs]
        for request in logs:
            self.feed.start(request)
        for page in self.feed.pass_pages(requests):
            for request, allowed in zip(logs, members, strict=True):
                rows = self.passes.rows(request.table, page, allowed)
                if rows:
                    yield request, rows
        yield from self.passes.unnamed_rows(logs)
        self.passes.warn_unlinked(logs)
        for request in logs:
            self.feed.finish(request, set())
            yield request, None

    def own_pages(self, request: TableRequest[Any]) -> Iterable[Page | Position]:
        read = request.table.read
        if isinstance(read, Usage):
            return self.per_parent(request.table, read.parent, lambda parent: self._usage(read, parent))
        if isinstance(read, Budgeted):
            return self._budgeted(request, read)
        assert isinstance(read, Metrics), "pass-fed tables are read by read_all"
        assert request.period is not None
        period = cast(periods.Period, request.period)
        return self.per_parent(
            request.table, read.parent, lambda parent: self._metrics(read, parent, period, request.interval)
        )

    def shared_read(self, request: TableRequest[Any]) -> str | None:
        """Tables fed by the same workspace-wide pass are read together in one streaming pass, so loading all
        four delivery tables costs one delivery read, not four; they are complete together, when it ends."""
        read = request.table.read
        return read.name if isinstance(read, FromPass) else None

    def read_shared(
        self, name: str, requests: list[TableRequest[Any]]
    ) -> Iterator[tuple[TableRequest[Any], Page | Position]]:
        fed = [r for r in requests if r.table.feed is not None]
        for request in fed:
            self.feed.start(request)
        yield from self.passes.read(name, requests)
        for request in fed:
            self.feed.finish(request, set())

    def paged_endpoints(self, request: TableRequest[Any]) -> tuple[Endpoint, ...]:
        read = request.table.read
        if isinstance(read, FromPass):
            return tuple(p.endpoint for p in PASSES if p.name == read.name and p.endpoint.limit)
        return super().paged_endpoints(request)

    def _budgeted(self, request: TableRequest[Any], read: Budgeted) -> Iterator[Page]:
        """The newest records of the listing not fetched yet, one request each, until today's allowance is spent
        (docs/contract/customerio/extra-tables.md, message_contents); what it spent and fetched goes into the
        table's memory, saved in the destination with the table."""
        spent, fetched = budget_memory(request.memory, self.now)
        daily = min(read.per_day, self.contents_per_day)
        left, waiting = max(0, daily - spent), 0
        for page in self.pager.pages(read.listing):
            ids = [record["id"] for record in page if isinstance(record, dict) and record.get("id") not in fetched]
            taken, waiting = ids[:left], waiting + len(ids) - min(left, len(ids))
            rows = [self._detail(read, message_id) for message_id in taken]
            left, spent = left - len(taken), spent + len(taken)
            fetched.update(taken)
            if rows:
                yield rows
            if not left:
                break
        request.memory = {"day": _day(self.now), "spent": spent, "fetched": sorted(fetched)}
        days = f", about {-(-waiting // daily)} day(s) at {daily} a day" if daily else ""
        more = f"; at least {waiting:,} deliveries listed wait{days}" if waiting else ""
        log.info("%s: %d of today's %d requests left%s", request.load_name, max(0, daily - spent), daily, more)

    def _detail(self, read: Budgeted, message_id: str) -> Row:
        """One record's detail; a record gone since it was listed (404) is a row of its id alone."""
        path = fill(read.detail.path, {"id": message_id})
        try:
            body = self.http.get(path)
        except NotFound:
            log.warning("%s answered 404 (deleted since it was listed?)", path)
            return {"id": message_id}
        found = body.get(read.detail.records) if isinstance(body, dict) else None
        return {**(found if isinstance(found, dict) else {}), "id": message_id}

    def _usage(self, read: Usage, parent: Parent) -> Iterator[Page]:
        """A parent's users by kind (`{"campaigns": [1, 2], …}`, under `under` where wrapped): one row per kind
        and id (docs/contract/customerio/extra-tables.md, segment_dependencies)."""
        body = self.http.get(fill(read.path, parent.fields))
        kinds = _dig(body, (read.under,)) if read.under else body
        yield [
            {**parent.fields, "used_by": kind, "used_by_id": used}
            for kind, ids in (kinds.items() if isinstance(kinds, dict) else ())
            if isinstance(ids, list)
            for used in ids
        ]

    def _metrics(
        self, read: Metrics, parent: Parent, period: periods.Period, interval: Interval
    ) -> Iterator[Page]:
        """One parent's metrics body, flattened. Years of hourly steps are tens of thousands of rows a parent:
        handed on a page at a time, the reading threads each hold one body and one small page."""
        path = fill(read.path, parent.fields)
        if read.version == 1:
            body, first, at_end = self._metrics_v1(path, period)
        else:
            body, first, at_end = self._metrics_v2(read, path, period, parent, interval)
        yield from chunks(_metric_rows(read, body, parent.fields, period, first, at_end), FLATTEN_ROWS)

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


def _day(now: int) -> str:
    return datetime.fromtimestamp(now, UTC).date().isoformat()


def budget_memory(memory: Mapping[str, Any] | None, now: int) -> tuple[int, set[str]]:
    """From a budgeted table's memory: the requests spent today (none on a new UTC day) and the ids fetched."""
    kept = memory or {}
    spent = int(kept.get("spent", 0)) if kept.get("day") == _day(now) else 0
    return spent, set(kept.get("fetched", ()))


def _dig(body: Any, keys: tuple[str, ...]) -> Any:
    """The value under `keys` in nested objects, or None where one is missing."""
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    return body
