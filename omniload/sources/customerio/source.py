"""The Customer.io source as the core sees it (`omniload.source.Source`): its tables, docs page and examples,
and per URI the table requests and one reader per run."""

from __future__ import annotations

from dataclasses import dataclass

from omniload import __version__
from omniload.http import BearerToken, HttpClient, RetryPolicy
from omniload.source import Estimate, Reader, TableRequest, select_tables
from omniload.sources.customerio import docs, engine, plan
from omniload.sources.customerio.catalog import TABLES, Table
from omniload.sources.customerio.config import CustomerIOConfig, parse_uri
from omniload.sources.customerio.errors import CustomerIOErrors


@dataclass(frozen=True)
class CustomerIO:
    """The registry's entry for `customerio://` (README "Loading Customer.io")."""

    name: str = "customerio"
    uri_example: str = "customerio://?api_key=KEY&region=us"
    tables: tuple[Table, ...] = TABLES

    def docs_page(self) -> str:
        return docs.customerio_page()

    def help_examples(self) -> str:
        return docs.help_examples()

    def connect(self, uri: str) -> CustomerIOConnection:
        return CustomerIOConnection(parse_uri(uri))


@dataclass
class CustomerIOConnection:
    """One `customerio://` URI: its tables as requests, and the reader of one run."""

    config: CustomerIOConfig

    @property
    def lookback_days(self) -> int:
        return self.config.lookback_days

    def select(self, spec: str) -> list[TableRequest[Table]]:
        """`--source-table`: one table, a comma-separated list, or `all`; metrics tables need `:period`."""
        return select_tables(TABLES, spec, "Customer.io")

    def plan(self, requests: list[TableRequest[Table]], reader: Reader) -> list[Estimate]:
        """`--plan`: estimates from the cheap parent lists, read through `reader` (`plan.py`)."""
        assert isinstance(reader, engine.Reader)
        return plan.plan(requests, reader)

    def reader(self) -> engine.Reader:
        config = self.config
        http = HttpClient(
            config.base_url,
            headers={"Accept": "application/json", "User-Agent": f"omniload/{__version__}"},
            auth=BearerToken(config.api_key),
            errors=CustomerIOErrors(config),
            rate_limit=config.rate_limit,
            retry=RetryPolicy(total_seconds=config.retry_budget),
            timeout=config.timeout,
        )
        return engine.Reader(
            http,
            full_refresh_days=config.full_refresh_days,
            details=config.design_studio_content,
            contents_per_day=config.message_contents_per_day,
            unnamed_budget=config.unnamed_budget,
        )


SOURCE = CustomerIO()
