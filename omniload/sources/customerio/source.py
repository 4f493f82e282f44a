"""The Customer.io source as the pipeline sees it: table selection, credentials, and one reader per run."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from omniload import __version__
from omniload.errors import UsageError
from omniload.http import HttpClient
from omniload.sources.customerio.catalog import CATALOG, TABLES, Table
from omniload.sources.customerio.config import CustomerIOConfig, parse_uri
from omniload.sources.customerio.engine import Reader, TableRequest
from omniload.sources.customerio.periods import PERIODS, Period


@dataclass
class CustomerIOSource:
    config: CustomerIOConfig
    name: str = "customerio"

    @classmethod
    def from_uri(cls, uri: str) -> CustomerIOSource:
        return cls(parse_uri(uri))

    def select(self, spec: str) -> list[TableRequest]:
        """`--source-table`: one table, a comma-separated list, or `all`; metrics tables need `:period`."""
        names = [part.strip() for part in spec.split(",") if part.strip()]
        if not names:
            raise UsageError(f"--source-table is empty; tables: {', '.join(table_names())}")
        if names == ["all"]:
            return [
                TableRequest(t, p, f"{t.name}_{p}" if p else t.name)
                for t in TABLES
                for p in (PERIODS if t.is_metrics else (None,))
            ]
        requests = [_request(name) for name in names]
        if len(requests) > 1:
            for request in requests:
                if request.period:
                    request.output = f"{request.table.name}_{request.period}"
        outputs = [r.output for r in requests]
        duplicates = sorted({o for o in outputs if outputs.count(o) > 1})
        if duplicates:
            raise UsageError(f"--source-table names {', '.join(duplicates)} more than once")
        return requests

    def reader(self) -> Reader:
        config = self.config
        http = HttpClient(
            config.base_url,
            headers={
                "Authorization": f"Bearer {config.api_key}",
                "Accept": "application/json",
                "User-Agent": f"omniload/{__version__}",
            },
            rate_limit=config.rate_limit,
            describe_401=lambda: (
                f"Customer.io rejected the API key (401) in region {config.region!r}"
                f"{' at ' + config.base_url if config.custom_host else ''}: check that it is an App API key "
                "and that the account lives in this region (region=us or region=eu)"
            ),
        )
        return Reader(http)


def table_names() -> list[str]:
    return [f"{t.name}:<period>" if t.is_metrics else t.name for t in TABLES]


def _request(name: str) -> TableRequest:
    table_name, _, period = name.partition(":")
    table = CATALOG.get(table_name)
    if table is None:
        close = difflib.get_close_matches(table_name, list(CATALOG), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UsageError(f"unknown Customer.io table {table_name!r}; {hint}tables: {', '.join(table_names())}")
    return TableRequest(table, _period(table, period))


def _period(table: Table, period: str) -> Period | None:
    if not table.is_metrics:
        if period:
            raise UsageError(f"{table.name} takes no period; use --source-table {table.name}")
        return None
    if period not in PERIODS:
        given = f"period {period!r}" if period else "no period"
        raise UsageError(
            f"{table.name} needs a period, got {given}: use {table.name}:hours, :days, :weeks or :months"
        )
    return period
