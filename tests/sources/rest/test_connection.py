"""A source that is only its catalog and configuration (`omniload/sources/rest/connection.py`): what the core gets
from it without a line of reading code (README "Adding a source")."""

from __future__ import annotations

import pytest

from omniload.errors import UsageError
from omniload.http import HttpClient
from omniload.source import Estimate
from omniload.sources.rest.connection import RestSource, Settings
from omniload.sources.rest.reads import Batched, Endpoint, Listing, Parents, PerParent, RestCatalog, RestTable

CATALOG = RestCatalog(
    tables=(
        RestTable(name="things", description="Things.", primary_key=("id",), read=Listing((Endpoint("/t", "t"),))),
        RestTable(
            name="labels",
            description="Labels, one answer.",
            primary_key=("id",),
            read=Listing((Endpoint("/l", "l", paging="none"),)),
        ),
        RestTable(
            name="parts",
            description="Parts of each thing.",
            primary_key=("id",),
            read=PerParent("things", Endpoint("/t/{thing_id}/p", "p")),
        ),
        RestTable(
            name="details",
            description="Details, two things a request.",
            primary_key=("id",),
            read=Batched("things", Endpoint("/d", "d", "POST"), size=2),
        ),
    ),
    parents=(Parents(name="things", table="things", key="thing_id"),),
)


def configure(uri: str) -> Settings:
    if "host=" not in uri:
        raise UsageError("things:// needs a host")
    return Settings(client=lambda: HttpClient("http://127.0.0.1:9", headers={}, rate_limit=None), lookback_days=3)


SOURCE = RestSource(
    name="things", title="Things", uri_example="things://?host=H", catalog=CATALOG, configure=configure
)


def test_tables_docs_and_selection_come_from_the_catalog() -> None:
    connection = SOURCE.connect("things://?host=h")
    assert [t.name for t in SOURCE.tables] == ["things", "labels", "parts", "details"]
    assert SOURCE.docs_page().startswith("# Things\n\n| Table |") and "| `parts` | id |" in SOURCE.docs_page()
    assert [r.load_name for r in connection.select("parts,things")] == ["parts", "things"]
    assert connection.lookback_days == 3
    with pytest.raises(UsageError, match="unknown Things table 'part'; did you mean 'parts'"):
        connection.select("part")


def test_a_bad_uri_is_the_configurations_error() -> None:
    with pytest.raises(UsageError, match="things:// needs a host"):
        SOURCE.connect("things://")


def test_the_plan_reads_nothing_ahead_and_says_what_each_read_costs() -> None:
    connection = SOURCE.connect("things://?host=h")
    reader = connection.reader()
    assert connection.plan(connection.select("all"), reader) == [
        Estimate("things", 1, at_least=True, note="one request per page, not read ahead"),
        Estimate("labels", 1, note="one request, not read ahead"),
        Estimate("parts", None, note="at least one request for each of the things, not read ahead"),
        Estimate("details", None, note="one request per 2 of the things, not read ahead"),
    ]
    assert reader.http.stats.requests == 0
