"""Every page of one endpoint: the request each page takes, the page size, and the records key of each answer
(README "How the tables are read").

One `Pager` serves one run, so what it learns about an endpoint holds for every parent read through it: an
endpoint that refused the page size asked for is read at the server's own from then on, and an answer without
its records key is said once per endpoint. How the next page is asked for is the endpoint's paginator's
(`paginators.py`); the pager only sends what the walk says and hands it each answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from omniload.errors import ApiError
from omniload.http import HttpClient
from omniload.sources.rest.paginators import Step
from omniload.sources.rest.reads import Endpoint

log = logging.getLogger("omniload")


@dataclass
class Pager:
    """Pages endpoints for one run; remembers the endpoints that refused the page size omniload asked for."""

    http: HttpClient
    page_sizes: dict[str, int] = field(default_factory=dict)  # --page-size, by endpoint path
    _limit_refused: set[str] = field(default_factory=set)  # endpoints whose undocumented maximum is lower
    _keyless: set[str] = field(default_factory=set)  # endpoints already reported for answering without records
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def records(self, body: Any, endpoint: Endpoint) -> list[Any]:
        """The page's records; a key holding one object is that one record. A null records key is an empty page
        (an empty search may answer so); a 200 without the key at all is read as empty too, but said once per
        endpoint: a gateway or proxy that answers for the API would otherwise load nothing in silence."""
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
        if isinstance(found, dict):  # the key holds one record (a person's subscription preferences)
            return [found]
        return found if isinstance(found, list) else []

    def pages(
        self,
        endpoint: Endpoint,
        fields: Mapping[str, Any] | None = None,
        extra_params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[Any]]:
        """Every page of `endpoint` for one parent's `fields` (filling its path and its body), as its paginator
        walks it; `extra_params` are sent on every request (a time window)."""
        fields = fields or {}
        path = fill(endpoint.path, fields)
        body = endpoint.body(fields) if callable(endpoint.body) else endpoint.body
        params = {**endpoint.params, **(extra_params or {})}
        limit = self._limit(endpoint)
        walk = endpoint.paginator.walk(path, limit)
        first = True
        while True:
            try:
                answer = self._send(endpoint, path, body, {**params, **walk.params()})
            except ApiError as error:
                if not (first and error.status == 400 and limit):
                    raise
                self._refused(endpoint, path, limit)
                limit = None
                walk = endpoint.paginator.walk(path, limit)  # again, at the server's own page size
                continue
            first = False
            records = self.records(answer, endpoint)
            step = walk.step(answer, records)
            if step is not Step.DROP:
                yield records
            if step is not Step.MORE:
                return

    def _limit(self, endpoint: Endpoint) -> int | None:
        """The page size to ask for: `--page-size` where given, else the endpoint's; none once refused."""
        if not endpoint.limit or endpoint.path in self._limit_refused:
            return None
        return self.page_sizes.get(endpoint.path, endpoint.limit)

    def _send(self, endpoint: Endpoint, path: str, body: Any, query: dict[str, Any]) -> Any:
        if endpoint.method == "POST":
            return self.http.post(path, body or {}, query)
        return self.http.get(path, query)

    def _refused(self, endpoint: Endpoint, path: str, limit: int) -> None:
        """Page maxima are undocumented on some endpoints, and whether an over-maximum limit is clamped or refused
        is open: a first page refused (400) while asking for a size is read again at the server's own, and the
        next reads of the endpoint ask for none. Said once per endpoint."""
        with self._lock:
            first_refusal = endpoint.path not in self._limit_refused
            self._limit_refused.add(endpoint.path)
        if first_refusal:
            log.warning("%s: the API refused limit=%s; using its default page size", path, limit)


def fill(template: str, fields: Mapping[str, Any]) -> str:
    """Path values are always percent-encoded: an unencoded `+` or `@` silently matches nobody."""
    if "{" not in template:
        return template
    return template.format(**{key: quote(str(value), safe="") for key, value in fields.items()})
