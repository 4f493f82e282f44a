"""The REST layer's one fan-out and its reads over parents (`omniload/sources/rest/fanout.py`, `reader.py`) against
a JSON API on loopback: parents resolved once from their declarations, the 404 rule, batches, contents, chunks
over a list kept on disk, and the interval and de-duplication filters (README "How the tables are read")."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from omniload.errors import ApiError, NotFound
from omniload.source import Interval, Page, Position, TableRequest
from omniload.sources.rest.fanout import PAGE_ROWS, per_parent
from omniload.sources.rest.parents import Parent
from omniload.sources.rest.reader import RestReader, filtered
from omniload.sources.rest.reads import (
    Batched,
    Contents,
    Endpoint,
    Listing,
    Parents,
    PerParent,
    RestCatalog,
    RestTable,
)
from tests.sources.rest.api import Api, Route, serving

THINGS = [{"id": n, "created": 1_700_000_000 + n} for n in (1, 2, 3)]
MEMBERS = [{"id": f"m{n}"} for n in range(1, 6)]


def table(name: str, key: tuple[str, ...], read: Any, **options: Any) -> RestTable:
    return RestTable(name=name, description="", primary_key=key, read=read, **options)


CATALOG = RestCatalog(
    tables=(
        table("things", ("id",), Listing((Endpoint("/things", "things"),))),
        table("parts", ("thing_id", "id"), PerParent("things", Endpoint("/things/{thing_id}/parts", "parts"))),
        table("manuals", ("thing_id", "item_index"), Contents("things", "/things/{thing_id}/manual")),
        table("members", ("id",), Listing((Endpoint("/members", "members"),))),
        table("tags", ("member_id", "tag"), PerParent("members", Endpoint("/members/{member_id}/tags", "tags"))),
        table("profiles", ("member_id",), Batched("members", Endpoint("/profiles", "profiles", "POST"), size=2)),
    ),
    parents=(
        Parents(name="things", table="things", key="thing_id", created="created"),
        Parents(name="members", table="members", key="member_id", id_type=str, on_disk=True),
    ),
)


def fixed(status: int, body: Any) -> Route:
    """A route that answers the same whatever it is sent."""
    return lambda query, sent: (status, body)


def routes(missing_part: int = 2, status: int = 404) -> dict[str, Route]:
    """Thing `missing_part` answers `status` for its parts; member m4 has no profile."""
    answers = {
        "/things": fixed(200, {"things": THINGS}),
        "/members": fixed(200, {"members": MEMBERS}),
        "/profiles": lambda query, sent: (200, {"profiles": [{"member_id": i} for i in sent["ids"] if i != "m4"]}),
    }
    for n in (thing["id"] for thing in THINGS):
        parts = {"parts": [{"id": 10 * n}, {"id": 10 * n + 1}]}
        answers[f"/things/{n}/parts"] = fixed(status, {}) if n == missing_part else fixed(200, parts)
        answers[f"/things/{n}/manual"] = fixed(200, [{"page": n}, {"page": n + 1}])
    for member in MEMBERS:
        answers[f"/members/{member['id']}/tags"] = fixed(200, {"tags": [{"tag": member["id"]}]})
    return answers


def read(api: Api, *names: str, **reader: Any) -> dict[str, list[Any]]:
    """Every row (and position) a run reads of these tables, by table."""
    requests = [TableRequest(CATALOG.table[name]) for name in names]
    got: dict[str, list[Any]] = {name: [] for name in names}
    for request, item in RestReader(api.client(), CATALOG, **reader).read_all(requests):
        if isinstance(item, list):
            got[request.table.name] += item
        elif item is not None:
            got[request.table.name].append(item)
    return got


def test_a_parent_that_answers_404_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with serving(routes()) as api, caplog.at_level(logging.WARNING, "omniload"):
        parts = read(api, "parts")["parts"]
    assert sorted((row["thing_id"], row["id"]) for row in parts) == [(1, 10), (1, 11), (3, 30), (3, 31)]
    assert "parts: thing_id 2 answered 404 (deleted mid-run?); skipped" in caplog.text


def test_any_other_error_stops_the_read() -> None:
    with serving(routes(status=400)) as api, pytest.raises(ApiError, match="/things/2/parts answered 400"):
        read(api, "parts")


def test_a_list_is_read_once_for_its_table_and_every_fan_out_over_it() -> None:
    with serving(routes()) as api:
        got = read(api, "things", "parts", "manuals")
    assert [row["id"] for row in got["things"]] == [1, 2, 3]
    assert sorted((row["thing_id"], row["item_index"], row["item"]["page"]) for row in got["manuals"]) == [
        (1, 0, 1),
        (1, 1, 2),
        (2, 0, 2),
        (2, 1, 3),
        (3, 0, 3),
        (3, 1, 4),
    ]
    assert api.asked.count("/things") == 1


def test_batched_parents_go_size_at_a_time_and_the_missing_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    with serving(routes()) as api, caplog.at_level(logging.WARNING, "omniload"):
        profiles = read(api, "profiles")["profiles"]
    assert sorted(row["member_id"] for row in profiles) == ["m1", "m2", "m3", "m5"]
    assert api.asked.count("/profiles") == 3  # 5 members, 2 a request
    assert "profiles: 1 members were not returned (deleted mid-run?)" in caplog.text


def test_a_read_over_a_list_on_disk_goes_in_chunks_each_ended_by_a_position() -> None:
    with serving(routes()) as api:
        tags = read(api, "tags", chunk_parents=2)["tags"]
    chunks: list[tuple[set[str], str]] = []
    tagged: set[str] = set()
    for item in tags[1:]:  # the first says the read goes in chunks
        if isinstance(item, Position):
            chunks.append((tagged, item.label))
            tagged = set()
        else:
            tagged.add(item["tag"])
    assert tags[0] == Position() and chunks == [
        ({"m1", "m2"}, "the members up to id m2"),
        ({"m3", "m4"}, "the members up to id m4"),
        ({"m5"}, "the members up to id m5"),
    ]


def test_a_resumed_read_starts_after_its_position() -> None:
    request = TableRequest(CATALOG.table["tags"], resume_from="m2")
    with serving(routes()) as api:
        items = list(RestReader(api.client(), CATALOG).read_all([request]))
    assert sorted(row["tag"] for _, item in items if isinstance(item, list) for row in item) == ["m3", "m4", "m5"]
    assert not any(path.startswith(("/members/m1/", "/members/m2/")) for path in api.asked)


def test_pages_of_many_parents_are_gathered_and_a_missing_parent_keeps_the_read_going() -> None:
    """The fan-out itself: one row a parent comes back in pages of `PAGE_ROWS` rows; a 404 skips a parent."""

    def one_row(parent: Parent) -> Iterator[Page]:
        if parent.fields["n"] == 7:
            raise NotFound("GET /n/7: not found (404)", 404)
        yield [dict(parent.fields)]

    parents = [Parent({"n": n}) for n in range(2 * PAGE_ROWS + 1)]
    pages = list(per_parent("numbers", parents, one_row, workers=4))
    assert [len(page) for page in pages] == [PAGE_ROWS, PAGE_ROWS]
    assert sorted(row["n"] for page in pages for row in page) == [n for n in range(2 * PAGE_ROWS + 1) if n != 7]


def test_rows_outside_the_interval_and_keys_already_read_are_dropped() -> None:
    things = RestTable(
        name="things",
        description="",
        primary_key=("id",),
        incremental_key="updated",
        read=Listing((Endpoint("/things", "things"),)),
        dedupe=True,
    )
    request = TableRequest(things, interval=Interval(start=10, end=20))
    pages: list[Page | Position] = [
        [{"id": 1, "updated": 5}, {"id": 2, "updated": 10}, {"id": 3}],
        Position("after the first page"),
        [{"id": 2, "updated": 15}, {"id": 4, "updated": 20}, {"id": 5, "updated": 21}],
    ]
    kept = [[row["id"] for row in item] if isinstance(item, list) else item for item in filtered(request, pages)]
    assert kept == [[2, 3], Position("after the first page"), [4]]
