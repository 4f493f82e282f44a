"""A minimal second source, for the tests only: what README "Adding a source" says a new source provides.

Two tables of a tiny JSON API (`fake.py` serves it): `notes`, paged with a `next` cursor and merged on `id`, and
`authors`, one page, replaced. It is registered through `OMNILOAD_SOURCES=tests.sources.tiny.source:SOURCE`
and edits nothing in omniload.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omniload.errors import UsageError
from omniload.http import HttpClient
from omniload.source import (
    Estimate,
    Page,
    Reader,
    Strategy,
    TableRequest,
    TableSpec,
    select_tables,
    tables_markdown,
)


@dataclass(frozen=True, kw_only=True)
class TinyTable(TableSpec):
    """A tiny table: the path it is read from and the key holding its records."""

    path: str
    records: str


TABLES: tuple[TinyTable, ...] = (
    TinyTable(name="notes", description="Notes, three pages of them.", primary_key=("id",),
              incremental_key="updated", strategy=Strategy.MERGE, path="/notes", records="notes",
              types={"id": int}),
    TinyTable(name="authors", description="Who writes the notes.", primary_key=("name",),
              strategy=Strategy.REPLACE, path="/authors", records="authors"),
)


@dataclass
class TinyReader:
    """Every page of each requested table, following `next`; rows outside the interval are dropped."""

    http: HttpClient
    now: int = field(default_factory=lambda: int(time.time()))

    def read_all(self, requests: list[TableRequest[Any]]) -> Iterator[tuple[TableRequest[Any], Page]]:
        for request in requests:
            key = request.incremental_key if request.interval else None
            for page in self._pages(request.table):
                rows = [row for row in page if not key or request.interval.holds(row.get(key))]
                if rows:
                    yield request, rows

    def _pages(self, table: TinyTable) -> Iterator[Page]:
        cursor: str | None = None
        while True:
            body = self.http.get(table.path, {"cursor": cursor} if cursor else None)
            yield body[table.records]
            cursor = body.get("next")
            if not cursor:
                return


@dataclass(frozen=True)
class TinyConnection:
    base_url: str
    lookback_days: int = 0  # no table reads again before its cursor

    def select(self, spec: str) -> list[TableRequest[Any]]:
        return list(select_tables(TABLES, spec, "tiny"))

    def reader(self) -> TinyReader:
        return TinyReader(HttpClient(self.base_url, headers={}, rate_limit=None))

    def plan(self, requests: list[TableRequest[Any]], reader: Reader) -> list[Estimate]:
        """`--plan`: nothing is cheap to read ahead here; each table costs a request per page, at least one."""
        note = "one request per page, not read ahead"
        return [Estimate(r.load_name, 1, at_least=True, note=note) for r in requests]


@dataclass(frozen=True)
class Tiny:
    name: str = "tiny"
    uri_example: str = "tiny://?base_url=http://127.0.0.1:8000"
    tables: tuple[TinyTable, ...] = TABLES

    def docs_page(self) -> str:
        return "# Tiny\n\n" + tables_markdown(TABLES)

    def help_examples(self) -> str:
        return ""

    def connect(self, uri: str) -> TinyConnection:
        base_url = parse_qs(urlsplit(uri).query).get("base_url", [""])[-1]
        if not base_url:
            raise UsageError(f"tiny:// needs a base_url: {self.uri_example}")
        return TinyConnection(base_url)


SOURCE = Tiny()
