"""How an endpoint pages, as small classes: a cursor the body gives under a key, an offset grown by the records
received, a page number counted up to a total, or a single answer (README "How the tables are read").

A paginator is a frozen declaration an `Endpoint` holds; each read asks it for a fresh `Walk`, which says what
to send on each request and, from each answer, whether another request follows. The walks also end the reads
that would never end on their own: a cursor already followed (a cycle), `STALE_PAGES` pages in a row with nothing
new, an offset that brings back the page before it. Each of those ends the read with a warning naming the
endpoint. The names follow dlt's `rest_client.paginators` and the Singer SDK's `pagination` module: the same
three shapes every REST API pages in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import orjson

log = logging.getLogger("omniload")

#: A read that gets this many pages in a row with nothing new (empty, or a page it already had) is stopped.
STALE_PAGES = 50


class Step(Enum):
    """What a walk makes of an answer: keep its records and ask again, keep them and stop, or drop them and
    stop (an answer that only repeats the previous one)."""

    MORE = "more"
    LAST = "last"
    DROP = "drop"


class Walk(Protocol):
    """One read's paging state."""

    def params(self) -> dict[str, Any]:
        """The query parameters of the next request (its page size and position)."""
        ...

    def step(self, body: Any, records: list[Any]) -> Step: ...


class Paginator(Protocol):
    """How an endpoint pages. `limit`: the page size to ask for, None to send none (the API's own)."""

    def walk(self, where: str, limit: int | None) -> Walk: ...


@dataclass(frozen=True)
class BodyCursor:
    """The body names the next page under `next_key`; it goes back as the query parameter `param`. Every cursor
    is followed, empty pages included, until the body gives none."""

    next_key: str = "next"
    param: str = "start"
    limit_param: str = "limit"

    def walk(self, where: str, limit: int | None) -> Walk:
        return _CursorWalk(self, where, limit)


@dataclass
class _CursorWalk:
    paging: BodyCursor
    where: str
    limit: int | None
    cursor: str | None = None
    followed: set[str] = field(default_factory=set)
    marks: set[int] = field(default_factory=set)  # a digest of each page seen: length, first and last record
    stale: int = 0

    def params(self) -> dict[str, Any]:
        sized = {self.paging.limit_param: self.limit} if self.limit else {}
        return {**sized, self.paging.param: self.cursor} if self.cursor else sized

    def step(self, body: Any, records: list[Any]) -> Step:
        """Another page while the body names one, unless that cursor was followed already in this read (a cycle)
        or `STALE_PAGES` pages in a row brought nothing new (empty, or the same first and last record and
        length as an earlier page)."""
        next_cursor = body.get(self.paging.next_key) if isinstance(body, Mapping) else None
        if not next_cursor:
            return Step.LAST
        if str(next_cursor) in self.followed:
            log.warning(
                "%s: the API returned a cursor this read already followed (a paging cycle); stopping this read",
                self.where,
            )
            return Step.LAST
        mark = hash(orjson.dumps([len(records), records[:1], records[-1:]]))
        self.stale = self.stale + 1 if not records or mark in self.marks else 0
        self.marks.add(mark)
        if self.stale >= STALE_PAGES:
            log.warning("%s: %d pages in a row brought no new records; stopping this read", self.where, self.stale)
            return Step.LAST
        self.cursor = str(next_cursor)
        self.followed.add(self.cursor)
        return Step.MORE


@dataclass(frozen=True)
class OffsetLimit:
    """`offset` 0, then onwards by the records received, until an empty page or one shorter than the first: the
    endpoint gives no cursor, and a server that pages smaller than the `limit` asked (a lower maximum, clamped
    without a word) still gives every record. `default_limit` is sent where the endpoint declares no size."""

    offset_param: str = "offset"
    limit_param: str = "limit"
    default_limit: int | None = 100

    def walk(self, where: str, limit: int | None) -> Walk:
        return _OffsetWalk(self, where, limit or self.default_limit)


@dataclass
class _OffsetWalk:
    paging: OffsetLimit
    where: str
    limit: int | None
    offset: int = 0
    previous: list[Any] | None = None
    full: int | None = None  # the size of a full page: the first page's

    def params(self) -> dict[str, Any]:
        sized = {self.paging.limit_param: self.limit} if self.limit else {}
        return {**sized, self.paging.offset_param: self.offset}

    def step(self, body: Any, records: list[Any]) -> Step:
        """A page that repeats the previous one (a server ignoring `offset`) is dropped and ends the read."""
        if records and records == self.previous:
            log.warning("%s: offset %d repeated the previous page; stopping this read", self.where, self.offset)
            return Step.DROP
        self.full = len(records) if self.full is None else self.full
        if not records or len(records) < self.full:
            return Step.LAST
        self.offset, self.previous = self.offset + len(records), records
        return Step.MORE


@dataclass(frozen=True)
class PageNumber:
    """`page` 1, 2, … until an empty page, or until `page × limit` reaches the count of every matching record the
    body gives (`meta.pagination.total`), which spares the empty page: an endpoint without a cursor that answers
    a page past the end with an empty one (Customer.io's Design Studio)."""

    page_param: str = "page"
    limit_param: str = "limit"
    total: tuple[str, ...] = ("meta", "pagination", "total")
    default_limit: int | None = 1000

    def walk(self, where: str, limit: int | None) -> Walk:
        return _PageWalk(self, limit or self.default_limit)


@dataclass
class _PageWalk:
    paging: PageNumber
    limit: int | None
    page: int = 1

    def params(self) -> dict[str, Any]:
        sized = {self.paging.limit_param: self.limit} if self.limit else {}
        return {**sized, self.paging.page_param: self.page}

    def step(self, body: Any, records: list[Any]) -> Step:
        total: Any = body
        for key in self.paging.total:
            total = total.get(key) if isinstance(total, Mapping) else None
        if not records or (isinstance(total, int) and self.limit and self.page * self.limit >= total):
            return Step.LAST
        self.page += 1
        return Step.MORE


@dataclass(frozen=True)
class SinglePage:
    """One answer holds every record; the endpoint takes no page size."""

    def walk(self, where: str, limit: int | None) -> Walk:
        return _SingleWalk()


class _SingleWalk:
    def params(self) -> dict[str, Any]:
        return {}

    def step(self, body: Any, records: list[Any]) -> Step:
        return Step.LAST


#: The common paginators by the names an `Endpoint` may give instead (`paging="offset"`).
PAGINATORS: Mapping[str, Paginator] = {
    "cursor": BodyCursor(),
    "offset": OffsetLimit(),
    "page": PageNumber(),
    "none": SinglePage(),
}
