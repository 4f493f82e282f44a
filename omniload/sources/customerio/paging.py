"""Every page of one Customer.io endpoint: cursors, page sizes and the records key (README "How the tables are
read": every `next` cursor is followed, empty pages included; a paging cycle, or a long run of pages with no new
records, ends the read with a warning)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson

from omniload.errors import ApiError
from omniload.http import HttpClient
from omniload.sources.customerio.catalog import Endpoint

log = logging.getLogger("omniload")

#: A read that gets this many pages in a row with nothing new (empty, or a page it already had) is stopped.
STALE_PAGES = 50


@dataclass
class Pager:
    """Pages endpoints for one run; remembers the endpoints that refused the page size omniload asked for."""

    http: HttpClient
    page_sizes: dict[str, int] = field(default_factory=dict)  # --page-size, by endpoint path
    _limit_refused: set[str] = field(default_factory=set)  # endpoints whose undocumented maximum is lower
    _keyless: set[str] = field(default_factory=set)  # endpoints already reported for answering without records
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def records(self, body: Any, endpoint: Endpoint) -> list[Any]:
        """The page's records. A null records key is an empty page (observed on empty searches); a 200 without
        the key at all is read as empty too, but said once per endpoint: it is not an answer Customer.io gives,
        and a gateway or proxy that answers for the API would otherwise load nothing in silence."""
        key = endpoint.records
        if not isinstance(body, dict):
            raise ApiError(f"unexpected response: expected a JSON object holding {key!r}")
        if key not in body:
            with self._lock:
                first = endpoint.path not in self._keyless
                self._keyless.add(endpoint.path)
            if first:
                shown = ", ".join(sorted(map(str, body))[:5]) or "none"
                log.warning(
                    "%s answered without %r (keys: %s); read as no records: check base_url and any gateway",
                    endpoint.path,
                    key,
                    shown,
                )
        found = body.get(key)
        return found if isinstance(found, list) else []

    def pages(
        self,
        endpoint: Endpoint,
        fields: Mapping[str, Any] | None = None,
        extra_params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[Any]]:
        """Follow `next` until it is empty. An empty page can carry a `next`, but a cursor this read already
        followed (a cycle), or `STALE_PAGES` pages in a row with no new records (empty, or the same first and
        last record and length as an earlier page), end the read with a warning instead of looping."""
        if endpoint.paging == "offset":
            yield from self._offset_pages(endpoint, fill(endpoint.path, fields or {}))
            return
        if endpoint.paging == "page":
            yield from self._numbered_pages(endpoint, fill(endpoint.path, fields or {}), extra_params or {})
            return
        fields = fields or {}
        path = fill(endpoint.path, fields)
        params: dict[str, Any] = dict(endpoint.params)
        if endpoint.limit and endpoint.path not in self._limit_refused:
            params["limit"] = self.page_sizes.get(endpoint.path, endpoint.limit)
        params.update(extra_params or {})
        body = endpoint.body(fields) if callable(endpoint.body) else endpoint.body
        cursor: str | None = None
        followed: set[str] = set()
        pages_seen: set[int] = set()
        stale = 0
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
            records = self.records(response, endpoint)
            yield records
            next_cursor = response.get("next") if isinstance(response, dict) else None
            if not next_cursor:
                return
            if str(next_cursor) in followed:
                log.warning(
                    "%s: the API returned a cursor this read already followed (a paging cycle); "
                    "stopping this read",
                    path,
                )
                return
            mark = hash(orjson.dumps([len(records), records[:1], records[-1:]]))
            stale = stale + 1 if not records or mark in pages_seen else 0
            pages_seen.add(mark)
            if stale >= STALE_PAGES:
                log.warning("%s: %d pages in a row brought no new records; stopping this read", path, stale)
                return
            cursor = str(next_cursor)
            followed.add(cursor)

    def _offset_pages(self, endpoint: Endpoint, path: str) -> Iterator[list[Any]]:
        """`offset` 0, then onwards by the records received, until an empty page or one shorter than the first:
        the endpoint has no `next` (the ESP suppressions, docs/contract/customerio/extra-tables.md), and a server
        that pages smaller than the `limit` asked (a lower maximum, clamped without a word) still gives every
        record. A page that repeats the previous one (a server ignoring `offset`) ends the read with a warning."""
        limit = endpoint.limit or 100
        offset, previous, full = 0, None, None  # full: the size of a full page, the first page's
        while True:
            body = self.http.get(path, {**endpoint.params, "limit": limit, "offset": offset})
            records = self.records(body, endpoint)
            if records and records == previous:
                log.warning("%s: offset %d repeated the previous page; stopping this read", path, offset)
                return
            yield records
            full = len(records) if full is None else full
            if not records or len(records) < full:
                return
            offset, previous = offset + len(records), records

    def _numbered_pages(self, endpoint: Endpoint, path: str, extra: Mapping[str, Any]) -> Iterator[list[Any]]:
        """`page` 1, 2, … until an empty page, or until `page × limit` reaches `meta.pagination.total` (the count
        of every matching record), which spares the empty page: the Design Studio listings have no `next`, and
        answer a page past the end with an empty one (docs/contract/customerio/extra-tables.md, design_studio)."""
        limit = self.page_sizes.get(endpoint.path, endpoint.limit or 1000)
        page = 1
        while True:
            body = self.http.get(path, {**endpoint.params, **extra, "limit": limit, "page": page})
            records = self.records(body, endpoint)
            yield records
            pagination = (body.get("meta") or {}).get("pagination") if isinstance(body, dict) else None
            total = pagination.get("total") if isinstance(pagination, dict) else None
            if not records or (isinstance(total, int) and page * limit >= total):
                return
            page += 1


def fill(template: str, fields: Mapping[str, Any]) -> str:
    """Path values are always percent-encoded: an unencoded `+` or `@` silently matches nobody."""
    if "{" not in template:
        return template
    return template.format(**{key: quote(str(value), safe="") for key, value in fields.items()})
