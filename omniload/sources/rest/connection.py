"""A source that is nothing but its catalog and its configuration, as the core sees a source
(`omniload.source.Source` and `Connection`; README "Adding a source").

A REST source whose tables need no read of their own declares them (`reads.py`), says how a URI reaches the API
(`Settings`: the run's HTTP client, made when a run starts, and the look-back of its RUN_TIME tables), and is a
`RestSource`: table selection, the docs page, the reader and a plan come from here. Its plan reads nothing ahead:
a listing costs a request per page, a read per parent a request per parent, neither counted before the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from omniload.http import HttpClient
from omniload.source import Estimate, Reader, TableRequest, select_tables, tables_markdown
from omniload.sources.rest.paginators import SinglePage
from omniload.sources.rest.reader import RestReader
from omniload.sources.rest.reads import Batched, Contents, Listing, PerParent, RestCatalog, RestTable


@dataclass(frozen=True)
class Settings:
    """What one URI says: how to make a run's HTTP client, and how far before its cursor a RUN_TIME table is
    read again."""

    client: Callable[[], HttpClient]
    lookback_days: int = 0


@dataclass(frozen=True)
class RestSource:
    """A source of REST tables (`omniload.source.Source`). `configure` checks a URI (raising UsageError) and
    returns its `Settings`; `title` names the source in errors and heads its docs page."""

    name: str
    title: str
    uri_example: str
    catalog: RestCatalog
    configure: Callable[[str], Settings]
    examples: str = ""

    @property
    def tables(self) -> Sequence[RestTable]:
        return self.catalog.tables

    def docs_page(self) -> str:
        return f"# {self.title}\n\n" + tables_markdown(self.tables)

    def help_examples(self) -> str:
        return self.examples

    def connect(self, uri: str) -> RestConnection:
        return RestConnection(self, self.configure(uri))


@dataclass(frozen=True)
class RestConnection:
    """One URI of a `RestSource` (`omniload.source.Connection`)."""

    source: RestSource
    settings: Settings

    @property
    def lookback_days(self) -> int:
        return self.settings.lookback_days

    def select(self, spec: str) -> list[TableRequest[RestTable]]:
        return select_tables(self.source.tables, spec, self.source.title)

    def reader(self) -> RestReader:
        return RestReader(self.settings.client(), self.source.catalog)

    def plan(self, requests: list[TableRequest[RestTable]], reader: Reader) -> list[Estimate]:
        """`--plan`: nothing is read ahead; each estimate is the floor its read declares."""
        return [not_read_ahead(request) for request in requests]


def not_read_ahead(request: TableRequest[RestTable]) -> Estimate:
    """A table's cost from its declaration alone: a request per endpoint of a listing (more where it pages), or
    the rule a read over parents follows (README "A plan before the run")."""
    read = request.table.read
    if isinstance(read, Listing):
        paged = any(not isinstance(endpoint.paginator, SinglePage) for endpoint in read.endpoints)
        note = "one request per page, not read ahead" if paged else "one request, not read ahead"
        return Estimate(request.load_name, len(read.endpoints), at_least=paged, note=note)
    if isinstance(read, Batched):
        return Estimate(
            request.load_name, None, note=f"one request per {read.size} of the {read.parent}, not read ahead"
        )
    if isinstance(read, PerParent | Contents):
        return Estimate(
            request.load_name, None, note=f"at least one request for each of the {read.parent}, not read ahead"
        )
    return Estimate(request.load_name, None, note="not read ahead")
