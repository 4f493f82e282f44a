"""Workspace-wide passes (`PASSES` in the catalog): one read that feeds several tables, the shortcut the
contract allows (docs/contract/customerio/tables.md section 5).

The four delivery tables come from one `GET /v1/messages` pass read in time windows, the two activity tables
from one `GET /v1/activities` pass; each table keeps the rows that belong to its parent list. A person's row
names the person by `customer_identifiers.cio_id` or, where that is null, by its own `customer_id`, the
person's `id`, found in the people list's alias map (tables.md section 5, items 1 and 2). A row that names nobody,
both null, belongs to a person without an `id` (docs/contract/customerio/changes.md section 5): it is linked by
the email it was sent to, else by the per-person reads of the people without an `id` once the pass is read,
within `unnamed_budget` requests a table (`unnamed_rows`).

A windowed pass over more windows than `chunk_windows` goes in chunks: each time every window up to some point
has been read, the tables it feeds get a `Position` there (the end of the last of those windows), and a run
killed later resumes after it (README "Checkpoints and resume"). Windows are read on parallel threads, so pages
of later windows may already have gone by at such a point, and a resumed run reads them again: chunks are used
only when every table the pass feeds is a merge, which keeps one row per key.
"""

from __future__ import annotations

import logging
import os
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from omniload.arrow import coerce
from omniload.concurrency import parallel_pages
from omniload.disk_sets import KeySet
from omniload.errors import NotFound
from omniload.source import Interval, Page, Position, Row, Strategy, TableRequest
from omniload.sources.customerio.catalog import PARENT_LISTS, PASS_READS, FromPass, Pass, Table, Unnamed
from omniload.sources.rest.pager import Pager
from omniload.sources.rest.parents import ParentLists, shaped_rows
from omniload.text import utc_stamp as _utc

log = logging.getLogger("omniload")

#: Delivery windows stay well inside every endpoint's 6-month span under any reading of "month".
WINDOW_SECONDS = 90 * 86400
#: A windowed pass over more windows than this (by default one per reading thread) goes in chunks;
#: `OMNILOAD_CHUNK_WINDOWS` changes it.
CHUNK_WINDOWS = 8
CHUNK_WINDOWS_VARIABLE = "OMNILOAD_CHUNK_WINDOWS"


@dataclass
class PassReader:
    pager: Pager
    parents: ParentLists
    workers: int
    now: int
    chunk_windows: int = field(
        default_factory=lambda: int(os.environ.get(CHUNK_WINDOWS_VARIABLE) or CHUNK_WINDOWS)
    )
    budget: int = 1000  # requests each table may spend a run on the per-person reads of rows that name nobody
    _unlinked: dict[str, int] = field(default_factory=dict)  # pass rows of no person, per table
    _unnamed: dict[str, dict[str, int]] = field(default_factory=dict)  # per table: id → created, naming nobody
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(
        self, name: str, requests: list[TableRequest[Table]]
    ) -> Iterator[tuple[TableRequest[Table], Page | Position]]:
        """Every page of the pass `name`, each split among the requested tables it feeds, and the positions of
        a pass read in chunks, given to every table it feeds."""
        read = PASS_READS[name]
        members = [self.members(request.table) for request in requests]
        interval = _widest(r.interval for r in requests)
        chunked = self._chunked(read, requests, interval)
        if chunked:
            interval = _resumed(interval, requests)
            for request in requests:
                yield request, Position()
        extra = {
            k: v for r in requests if isinstance(r.table.read, FromPass) for k, v in r.table.read.params.items()
        }
        held: dict[str, Position] = {}  # a table waiting for rows that name nobody moves only once they are read
        for page in self.pages(read, interval, extra):
            if isinstance(page, Position):
                for request in requests if chunked else ():
                    if request.table.name in self._unnamed:
                        held[request.table.name] = page
                    else:
                        yield request, page
                continue
            for request, allowed in zip(requests, members, strict=True):
                rows = self.rows(request.table, page, allowed)
                if rows:
                    yield request, rows
        yield from self.unnamed_rows(requests)
        yield from ((request, held[request.table.name]) for request in requests if request.table.name in held)
        self.warn_unlinked(requests)

    def pages(
        self, read: Pass, interval: Interval, extra: Mapping[str, str] | None = None
    ) -> Iterator[Page | Position]:
        """A windowed pass: every record created in the interval (by default the whole history), read in
        consecutive windows on parallel threads, with a `Position` each time the windows read without a gap
        from the first reach further. Otherwise the endpoint paged once. `extra`: query parameters the tables
        it feeds add (`FromPass.params`)."""
        if not read.windows_from:
            yield from self.pager.pages(read.endpoint, extra_params=extra)
            return
        spans = list(windows(*self._span(read, interval)))

        def task(index: int) -> Callable[[], Iterator[tuple[int, Page | None]]]:
            params = {**(extra or {}), "start_ts": spans[index][0], "end_ts": spans[index][1]}

            def run() -> Iterator[tuple[int, Page | None]]:
                for page in self.pager.pages(read.endpoint, extra_params=params):
                    yield index, page
                yield index, None  # the window is read

            return run

        read_windows: set[int] = set()
        reached = 0  # windows 0 .. reached - 1 are read
        for index, page in parallel_pages((task(i) for i in range(len(spans))), self.workers):
            if page is not None:
                yield page
                continue
            read_windows.add(index)
            if index == reached:
                while reached in read_windows:
                    reached += 1
                end = spans[reached - 1][1]
                yield Position(end, f"the records created up to {_utc(end)}")

    def _span(self, read: Pass, interval: Interval) -> tuple[int, int]:
        """The first and last second a windowed pass reads."""
        start = interval.start if interval.start is not None else self.earliest_parent(read)
        return start, interval.end if interval.end is not None else self.now

    def _chunked(self, read: Pass, requests: list[TableRequest[Table]], interval: Interval) -> bool:
        """Chunks for a windowed pass whose tables all merge (none replaced whole this run: pages read twice
        across a resume would stay twice): over more than `chunk_windows` windows, or resumed from a killed run
        that was reading it in chunks."""
        if not read.windows_from or any(r.strategy is not Strategy.MERGE or r.replace for r in requests):
            return False
        if any(r.resume_from is not None for r in requests):
            return True
        return sum(1 for _ in windows(*self._span(read, interval))) > self.chunk_windows

    def earliest_parent(self, read: Pass) -> int:
        """A delivery cannot be older than its parent, so the oldest parent bounds the full history."""
        created = [p.created for name in read.windows_from for p in self.parents.parents(name)]
        known = [value for value in created if isinstance(value, int) and value > 0]
        return min(known, default=self.now)

    def members(self, table: Table) -> set[Any] | KeySet | None:
        """The parent ids a pass row must name to belong to `table`; None when every row belongs."""
        read = table.read
        assert isinstance(read, FromPass)
        if read.member_of is None:
            return None
        if PARENT_LISTS[read.member_of].on_disk:
            return self.parents.on_disk(read.member_of)
        key = PARENT_LISTS[read.member_of].key  # the parent's own name for the id the rows carry in `via`
        return {parent.fields[key] for parent in self.parents.parents(read.member_of)}

    def rows(self, table: Table, page: Page, members: set[Any] | KeySet | None) -> Page:
        read = table.read
        assert isinstance(read, FromPass)
        if table.shape:  # a table made of a part of each record (a delivery's survey answers)
            page = shaped_rows(table, page, None)
        if members is None:
            return page
        if read.person_rows:
            return self._person_rows(table, page, members)
        parent_ids = [coerce(record.get(read.via or ""), int) for record in page]
        known = members.intersection(parent_ids)
        return [record for record, parent_id in zip(page, parent_ids, strict=True) if parent_id in known]

    def _person_rows(self, table: Table, page: Page, people: set[Any] | KeySet) -> Page:
        """The rows of this run's people, with `customer_id` set to the person's cio_id. The person is found by
        `customer_identifiers.cio_id`; where that is null, by the row's own `customer_id`, the person's `id`
        (tables.md section 5, items 1 and 2); where both are null, by the email the row was sent to, or later by
        `unnamed_rows` (changes.md section 5). Rows of nobody are counted for the run's warnings."""
        read = table.read
        assert isinstance(read, FromPass) and read.member_of is not None
        cio_ids = [cio_id_of(record) for record in page]
        ids = [None if cio_id else person_id_of(record) for record, cio_id in zip(page, cio_ids, strict=True)]
        known = people.intersection(i for i in cio_ids if i is not None)  # one lookup a page
        by_id = self.parents.aliases(read.member_of, "id").lookup(i for i in ids if i is not None)  # one for ids
        unnamed = [record for record, cio_id, person_id in zip(page, cio_ids, ids, strict=True)
                   if not cio_id and not person_id]
        by_email = self._by_recipient(read, unnamed)  # and one for the emails of rows that name nobody
        rows, waiting = [], []
        for record, cio_id, person_id in zip(page, cio_ids, ids, strict=True):
            if cio_id or person_id:
                person = cio_id if cio_id in known else by_id.get(person_id) if person_id else None
            else:
                person = by_email.get(_recipient(read, record))
                if person is None and read.unnamed is not None:
                    waiting.append(record)
            if person is not None:
                rows.append({**record, "customer_id": person})
        self._count(table, len(page) - len(rows) - len(waiting), waiting)
        return rows

    def _by_recipient(self, read: FromPass, records: Page) -> dict[str, str]:
        """The people without an `id` that rows naming nobody were sent to, by email (changes.md section 5)."""
        emails = [_recipient(read, record) for record in records]
        if not any(emails) or read.member_of is None:
            return {}
        return self.parents.aliases(read.member_of, "email").lookup(email for email in emails if email)

    def _count(self, table: Table, unlinked: int, waiting: Page) -> None:
        """Rows of no person, for the warnings, and rows naming nobody, for `unnamed_rows`."""
        with self._lock:
            if unlinked:
                self._unlinked[table.name] = self._unlinked.get(table.name, 0) + unlinked
            if waiting:
                self._unnamed.setdefault(table.name, {}).update(
                    (str(record.get("id")), coerce(record.get("created"), int) or 0) for record in waiting
                )

    def unnamed_rows(self, requests: list[TableRequest[Table]]) -> Iterator[tuple[TableRequest[Table], Page]]:
        """The rows that named nobody, found by the per-person reads of the people without an `id` while each
        table's budget lasts (changes.md section 5); those still unfound are counted for the warnings."""
        for request in requests:
            table = request.table
            with self._lock:
                waiting = self._unnamed.pop(table.name, {})
            if not waiting:
                continue
            assert isinstance(table.read, FromPass) and table.read.unnamed and table.read.member_of
            count = len(waiting)
            for rows in self._per_person(table, table.read.member_of, table.read.unnamed, waiting):
                yield request, rows
            log.info("%s: %d of %d rows naming no person found by reading people without an id",
                     table.name, count - len(waiting), count)
            with self._lock:
                self._unlinked[table.name] = self._unlinked.get(table.name, 0) + len(waiting)

    def unnamed_cost(self, table: Table) -> int:
        """The most requests `unnamed_rows` may spend on `table`'s rows that name nobody, read so far: a read of
        each person without an `id` in each span of those rows, a page each, within the budget."""
        read = table.read
        waiting = self._unnamed.get(table.name)
        if not waiting or not isinstance(read, FromPass) or not read.unnamed or not read.member_of:
            return 0
        spans = len(_spans(sorted(set(waiting.values())))) if read.unnamed.windowed else 1
        return min(self.budget, spans * len(self.parents.lacking(read.member_of)))

    def _per_person(self, table: Table, people: str, unnamed: Unnamed, waiting: dict[str, int]) -> Iterator[Page]:
        """Each person without an `id` read in turn, in the spans of the rows still waiting (all of the person's
        records when not `windowed`), until none waits or the budget is spent: their waiting rows, as theirs."""
        spans = _spans(sorted(set(waiting.values()))) if unnamed.windowed else [(0, 0)]  # (0, 0): unwindowed
        starts = [start for start, _ in spans]
        left = Counter(max(0, bisect_right(starts, created) - 1) for created in waiting.values())  # per span
        key, read, allowance = PARENT_LISTS[people].key, 0, _Allowance(self.budget)
        for person in self.parents.lacking(people):
            if not waiting or allowance.left <= 0:
                break
            for index, (start, end) in enumerate(spans):
                if not left[index] or allowance.left <= 0:
                    continue
                params = {"start_ts": start, "end_ts": end} if unnamed.windowed else {}
                pages = allowance.pages(self.pager.pages(unnamed.per_person, {key: person}, params))
                found = [r for page in pages for r in shaped_rows(table, page, None)
                         if waiting.pop(str(r.get("id")), None) is not None]
                left[index] -= len(found)
                if found:
                    yield [{**record, "customer_id": person} for record in found]
            read += 1
        if waiting and allowance.left <= 0:
            self._warn_spent(table, read, len(waiting))

    def _warn_spent(self, table: Table, read: int, left: int) -> None:
        log.warning(
            "%s: the per-person reads stopped at unnamed_budget after %d people without an id; %d rows that name "
            "no person are left out",
            table.name,
            read,
            left,
        )

    def warn_unlinked(self, requests: list[TableRequest[Table]]) -> None:
        for request in requests:
            count = self._unlinked.pop(request.table.name, 0)
            if count:
                log.warning(
                    "%s: %d rows match no person in the people listing (deleted people?); left out",
                    request.table.name,
                    count,
                )


@dataclass
class _Allowance:
    """The requests a table may still spend on per-person reads this run (`unnamed_budget`)."""

    left: int

    def pages(self, pages: Iterable[Page]) -> Iterator[Page]:
        """`pages` while requests are left: each page is one request, asked for only with one left. A person gone
        since the listing (404) has none."""
        found = iter(pages)
        try:
            while self.left > 0:
                page = next(found, None)
                if page is None:
                    return
                self.left -= 1
                yield page
        except NotFound:
            return


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


def _resumed(interval: Interval, requests: list[TableRequest[Table]]) -> Interval:
    """The pass after the earliest position its tables were committed to on disk (all of them, or the pass
    starts over: a table whose chunks reach further gets some rows again, which its merge absorbs)."""
    positions = [r.resume_from for r in requests]
    if None in positions:
        return interval
    return Interval(min(positions) + 1, interval.end)


def _spans(times: list[int]) -> list[tuple[int, int]]:
    """Sorted times grouped into as few inclusive spans as hold them, each no wider than a pass window."""
    spans: list[tuple[int, int]] = []
    for moment in times:
        if spans and moment - spans[-1][0] < WINDOW_SECONDS:
            spans[-1] = (spans[-1][0], moment)
        else:
            spans.append((moment, moment))
    return spans


def _recipient(read: FromPass, record: Row) -> str:
    """Where a row was sent, when its table links rows by it (an email), else ""."""
    field_name = read.unnamed.recipient if read.unnamed else None
    value = record.get(field_name) if field_name else None
    return value if isinstance(value, str) else ""


def cio_id_of(record: Row) -> str | None:
    identifiers = record.get("customer_identifiers")
    if not isinstance(identifiers, dict) or identifiers.get("cio_id") in (None, ""):
        return None
    return str(coerce(identifiers["cio_id"], str))


def person_id_of(record: Row) -> str | None:
    """A pass row's own `customer_id`: the person's `id` (README fact 15)."""
    value = coerce(record.get("customer_id"), str)
    return value if isinstance(value, str) and value else None
