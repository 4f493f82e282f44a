"""A minimal second source, for the tests only: what README "Adding a source" says a new source provides.

Two tables of a tiny JSON API (`fake.py` serves it): `notes`, paged with a `next` cursor sent back as `cursor`
and merged on `id`, and `authors`, one page, replaced. Built on the REST layer (`omniload/sources/rest/`), it is
its catalog and its configuration; it is registered through `OMNILOAD_SOURCES=tests.sources.tiny.source:SOURCE`
and edits nothing in omniload.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from omniload.errors import UsageError
from omniload.http import HttpClient
from omniload.source import Strategy
from omniload.sources.rest.connection import RestSource, Settings
from omniload.sources.rest.paginators import BodyCursor
from omniload.sources.rest.reads import Endpoint, Listing, RestCatalog, RestTable

TABLES: tuple[RestTable, ...] = (
    RestTable(
        name="notes",
        description="Notes, three pages of them.",
        primary_key=("id",),
        incremental_key="updated",
        strategy=Strategy.MERGE,
        types={"id": int},
        read=Listing((Endpoint("/notes", "notes", paging=BodyCursor(param="cursor")),)),
    ),
    RestTable(
        name="authors",
        description="Who writes the notes.",
        primary_key=("name",),
        strategy=Strategy.REPLACE,
        read=Listing((Endpoint("/authors", "authors"),)),
    ),
)
URI_EXAMPLE = "tiny://?base_url=http://127.0.0.1:8000"


def configure(uri: str) -> Settings:
    base_url = parse_qs(urlsplit(uri).query).get("base_url", [""])[-1]
    if not base_url:
        raise UsageError(f"tiny:// needs a base_url: {URI_EXAMPLE}")
    return Settings(client=lambda: HttpClient(base_url, headers={}, rate_limit=None))


SOURCE = RestSource(
    name="tiny", title="Tiny", uri_example=URI_EXAMPLE, catalog=RestCatalog(TABLES), configure=configure
)
