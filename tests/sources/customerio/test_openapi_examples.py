"""Issue 11 and issue 20, "Done when": each table beyond the 31 loads with exit 0 against a server that answers
with the OpenAPI document's own examples (`omniload.testing.customerio.examples`), over real HTTP; the reads
documented since the project's copy of the document answer with examples built from the public docs (`LATER`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from omniload.sources.customerio.catalog import (
    CATALOG,
    EXTRA_TABLES,
    PARENT_LISTS,
    PASS_READS,
    FromPass,
    Listing,
    Table,
)
from omniload.testing.customerio.examples import EXAMPLES, LATER, ExampleServer, extract, read_paths
from tests.conftest import omniload, query

#: Where a copy of the document may be (docs/contract/customerio/README.md, "The OpenAPI copy").
DOCUMENTS = (
    Path(__file__).parents[3] / "docs" / "contract" / "customerio" / "openapi" / "cio_journeys_app_api.json",
    Path("/work/shared/customerio/openapi/cio_journeys_app_api.json"),
)


@pytest.fixture(scope="module")
def server() -> Iterator[ExampleServer]:
    with ExampleServer({**orjson.loads(EXAMPLES.read_bytes()), **LATER}) as running:
        yield running


def test_the_examples_are_the_documents_for_every_path_omniload_reads() -> None:
    examples = orjson.loads(EXAMPLES.read_bytes())
    assert set(examples) == set(read_paths()) and not set(examples) & set(LATER)
    document = next((path for path in DOCUMENTS if path.exists()), None)
    if document is not None:  # the document is not in the repository; where a copy is, the file must match it
        assert examples == extract(orjson.loads(document.read_bytes()), read_paths())


@pytest.mark.parametrize("table", EXTRA_TABLES, ids=lambda table: table.name)
def test_each_table_beyond_all_loads_from_the_documents_examples(
    table: Table, server: ExampleServer, tmp_path: Path
) -> None:
    spec = f"{table.name}:days" if table.periods else table.name
    db = tmp_path / "examples.duckdb"

    ran = omniload(
        "ingest",
        "--source-uri", f"customerio://?api_key=example&base_url={server.base_url}",
        "--source-table", spec,
        "--dest-uri", f"duckdb:///{db}",
        "--dest-table", f"cio.{table.name}",
    )  # fmt: skip

    assert ran.code == 0, ran.output
    loaded = query(db, f"select count(*) from cio.{table.name}")[0][0]
    if isinstance(table.read, FromPass):  # the document's one delivery is a campaign's: kept where it belongs
        assert loaded == _example_members(table)
    else:
        assert loaded > 0, "every example holds a record"
    assert "answered 404" not in ran.stderr, "every path the table reads has its example"


def _example_members(table: Table) -> int:
    """How many of the document's example deliveries name a parent of the example list the table keeps, or for
    a table made of a part of each delivery (survey answers: the example has none), how many such parts."""
    read = table.read
    assert isinstance(read, FromPass)
    examples = orjson.loads(EXAMPLES.read_bytes())
    if table.shape:
        return sum(len(table.shape(m) or []) for m in examples[PASS_READS[read.name].endpoint.path]["messages"])
    assert read.member_of and read.via
    listing = CATALOG[PARENT_LISTS[read.member_of].table or ""].read
    assert isinstance(listing, Listing)
    ids = {record["id"] for record in examples[listing.endpoints[0].path][listing.endpoints[0].records]}
    deliveries = examples[PASS_READS[read.name].endpoint.path]["messages"]
    return len({m["id"] for m in deliveries if m.get(read.via) in ids})


def test_a_link_row_is_the_documents_link(server: ExampleServer, tmp_path: Path) -> None:
    """The example: campaign 5 has link 1234 to https://docs.customer.io, clicked 1, 3, 5 and 7 times."""
    db = tmp_path / "links.duckdb"
    ran = omniload(
        "ingest",
        "--source-uri", f"customerio://?api_key=example&base_url={server.base_url}",
        "--source-table", "campaign_link_metrics:weeks",
        "--dest-uri", f"duckdb:///{db}",
        "--dest-table", "cio.links",
    )  # fmt: skip
    assert ran.code == 0, ran.output
    rows = query(db, "select campaign_id, link_id, href, step_index, clicked from cio.links order by step_index")
    assert rows == [(5, 1234, "https://docs.customer.io", i, clicked) for i, clicked in enumerate([1, 3, 5, 7])]
