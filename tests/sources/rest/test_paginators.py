"""The REST layer's paginators (`omniload/sources/rest/paginators.py`) read through its pager against a JSON API on
loopback: what each request asks for, and what ends a read (README "How the tables are read")."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from omniload.sources.rest.pager import Pager
from omniload.sources.rest.paginators import STALE_PAGES, BodyCursor, OffsetLimit, SinglePage, Step
from omniload.sources.rest.reads import Endpoint
from tests.sources.rest.api import serving

RECORDS = [{"id": n} for n in range(8)]


def cursor_pages(query: dict[str, str], body: Any) -> tuple[int, Any]:
    """`RECORDS` two at a time, the next position under `next`, read back from `cursor`."""
    start = int(query.get("cursor", 0))
    answer: dict[str, Any] = {"things": RECORDS[start : start + 2]}
    if start + 2 < len(RECORDS):
        answer["next"] = str(start + 2)
    return 200, answer


def clamped_offsets(query: dict[str, str], body: Any) -> tuple[int, Any]:
    """At most 3 records a page, whatever `limit` asks: a lower maximum, clamped without a word."""
    offset, limit = int(query["offset"]), min(int(query["limit"]), 3)
    return 200, {"things": RECORDS[offset : offset + limit]}


def test_a_body_cursor_is_followed_until_the_body_names_none() -> None:
    endpoint = Endpoint("/things", "things", limit=2, paging=BodyCursor(param="cursor"))
    with serving({"/things": cursor_pages}) as api:
        pages = list(Pager(api.client()).pages(endpoint))
    assert [row for page in pages for row in page] == RECORDS
    assert api.paths("/things") == [{"limit": "2"}, *({"limit": "2", "cursor": str(n)} for n in (2, 4, 6))]


def test_a_cursor_already_followed_ends_the_read_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """A -> B -> A: each cursor differs from the one just sent, so only a memory of every cursor catches it."""
    cycle = {None: "A", "A": "B", "B": "A"}
    route = {"/things": lambda query, body: (200, {"things": [{"id": 1}], "next": cycle[query.get("start")]})}
    with serving(route) as api, caplog.at_level(logging.WARNING, "omniload"):
        pages = list(Pager(api.client()).pages(Endpoint("/things", "things")))
    assert len(pages) == 3 and [q.get("start") for q in api.paths("/things")] == [None, "A", "B"]
    assert "/things: the API returned a cursor this read already followed (a paging cycle)" in caplog.text


def test_pages_with_nothing_new_end_the_read() -> None:
    """Ever new cursors on empty pages: the walk stops after `STALE_PAGES` of them in a row."""
    walk = BodyCursor().walk("/things", None)
    steps = [walk.step({"next": str(n)}, []) for n in range(1, STALE_PAGES + 1)]
    assert steps == [Step.MORE] * (STALE_PAGES - 1) + [Step.LAST]


def test_offset_grows_by_the_records_received_until_a_short_page() -> None:
    """Asked for 5, the server gives 3: every record still arrives, and the page of 2 ends the read."""
    endpoint = Endpoint("/things", "things", limit=5, paging="offset")
    with serving({"/things": clamped_offsets}) as api:
        pages = list(Pager(api.client()).pages(endpoint))
    assert [len(page) for page in pages] == [3, 3, 2]
    assert api.paths("/things") == [{"limit": "5", "offset": str(n)} for n in (0, 3, 6)]


def test_an_offset_the_server_ignores_ends_the_read_without_the_repeated_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = {"/things": lambda query, body: (200, {"things": RECORDS[:3]})}
    with serving(route) as api, caplog.at_level(logging.WARNING, "omniload"):
        pages = list(Pager(api.client()).pages(Endpoint("/things", "things", paging=OffsetLimit(default_limit=3))))
    assert pages == [RECORDS[:3]]
    assert api.paths("/things") == [{"limit": "3", "offset": "0"}, {"limit": "3", "offset": "3"}]
    assert "/things: offset 3 repeated the previous page; stopping this read" in caplog.text


def test_a_single_page_is_one_request_whatever_the_body_says() -> None:
    route = {"/things": lambda query, body: (200, {"things": RECORDS, "next": "more"})}
    with serving(route) as api:
        pages = list(Pager(api.client()).pages(Endpoint("/things", "things", paging=SinglePage())))
    assert pages == [RECORDS] and api.paths("/things") == [{}]


def test_the_page_size_flag_sets_the_limit_of_offset_and_cursor_reads() -> None:
    routes = {"/offsets": clamped_offsets, "/cursors": cursor_pages}
    offsets = Endpoint("/offsets", "things", limit=1000, paging="offset")
    cursors = Endpoint("/cursors", "things", limit=1000, paging=BodyCursor(param="cursor"))
    with serving(routes) as api:
        pager = Pager(api.client(), page_sizes={"/offsets": 3, "/cursors": 2})
        list(pager.pages(offsets)), list(pager.pages(cursors))
    assert {query["limit"] for query in api.paths("/offsets") + api.paths("/cursors")} == {"2", "3"}
    assert api.paths("/offsets")[0]["limit"] == "3" and api.paths("/cursors")[0]["limit"] == "2"


def test_a_refused_page_size_is_asked_for_once_per_endpoint(caplog: pytest.LogCaptureFixture) -> None:
    """A 400 to the first page asking for a size: read again at the server's own, and never asked again."""

    def route(query: dict[str, str], body: Any) -> tuple[int, Any]:
        return (400, {"errors": ["limit"]}) if "limit" in query else (200, {"things": RECORDS})

    endpoint = Endpoint("/things", "things", limit=500)
    with serving({"/things": route}) as api, caplog.at_level(logging.WARNING, "omniload"):
        pager = Pager(api.client())
        first, second = list(pager.pages(endpoint)), list(pager.pages(endpoint))
    assert first == second == [RECORDS]
    assert api.paths("/things") == [{"limit": "500"}, {}, {}]
    assert caplog.text.count("the API refused limit=500") == 1
