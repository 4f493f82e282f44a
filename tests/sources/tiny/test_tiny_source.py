"""README "Adding a source": a source outside omniload, registered through OMNILOAD_SOURCES, is listed, documented
and loaded by the real CLI, and passes the same completeness contract as Customer.io."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniload.sources.customerio.catalog import TABLES as CUSTOMERIO_TABLES
from omniload.testing.contract import Contract, check_table, table_specs
from tests.conftest import omniload, query
from tests.sources.tiny.fake import NOTES, tiny_api, truth
from tests.sources.tiny.source import TABLES

ENV = {"OMNILOAD_SOURCES": "tests.sources.tiny.source:SOURCE"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with tiny_api() as url:
        yield url


def test_the_cli_lists_and_documents_the_tiny_source() -> None:
    tables = omniload("tables", "tiny", env=ENV)
    assert tables.code == 0, tables.output
    assert [line.split()[0] for line in tables.stdout.splitlines()[1:]] == ["notes", "authors"]
    docs = omniload("docs", "tiny", env=ENV)
    assert docs.code == 0 and docs.stdout.startswith("# Tiny")
    assert "| `notes` | id | updated | merge |" in docs.stdout


@pytest.mark.parametrize("spec", table_specs(TABLES))
def test_each_table_is_complete(spec: str, base_url: str, tmp_path: Path) -> None:
    contract = Contract(tables=TABLES, source_uri=f"tiny://?base_url={base_url}", truth=truth, env=ENV)
    check_table(contract, spec, tmp_path)


def test_a_second_run_continues_from_the_cursor(base_url: str, tmp_path: Path) -> None:
    """The core's state rules serve the new source unchanged: the merge table's cursor is its highest `updated`."""
    db = tmp_path / "tiny.duckdb"
    args = (
        "ingest",
        "--source-uri",
        f"tiny://?base_url={base_url}",
        "--source-table",
        "notes",
        "--dest-uri",
        f"duckdb:///{db}",
        "--dest-table",
        "tiny.notes",
        "--progress",
        "json",
    )
    first, second = omniload(*args, env=ENV), omniload(*args, env=ENV)
    assert first.code == 0 and second.code == 0, first.output + second.output
    assert '"rows": 5' in first.stdout.splitlines()[-1]
    assert '"rows": 1' in second.stdout.splitlines()[-1]  # only the note at the cursor is read again
    assert query(db, "select count(*) from tiny.tiny.notes") == [(len(NOTES),)]


def test_without_a_name_tables_and_docs_list_the_registered_sources() -> None:
    for command in ("tables", "docs"):
        ran = omniload(command, env=ENV)
        assert ran.code == 0, ran.output
        lines = ran.stdout.splitlines()
        shown = [line.split()[:3] for line in lines[:2]]
        assert shown == [["customerio", str(len(CUSTOMERIO_TABLES)), "tables"], ["tiny", "2", "tables"]]
        assert lines[1].endswith("tiny://?base_url=http://127.0.0.1:8000")
        assert lines[2] == f"`omniload {command} NAME` for one of them."


def test_an_unknown_source_names_the_registered_ones() -> None:
    ran = omniload("tables", "hubspot", env=ENV)
    assert ran.code == 2 and ran.output.strip() == "error: unknown source 'hubspot'; sources: customerio, tiny"


def test_a_plan_before_the_run(base_url: str, tmp_path: Path) -> None:
    """`--plan` is the core's: the tiny source gives its estimates, the CLI prints them and writes nothing."""
    db = tmp_path / "tiny.duckdb"
    ran = omniload(
        "ingest",
        "--source-uri",
        f"tiny://?base_url={base_url}",
        "--source-table",
        "notes,authors",
        "--dest-uri",
        f"duckdb:///{db}",
        "--plan",
        env=ENV,
    )
    assert ran.code == 0, ran.output
    assert ran.stdout.splitlines() == [
        "table    requests  time (no rate limit)  note",
        "notes        >= 1                     -  one request per page, not read ahead",
        "authors      >= 1                     -  one request per page, not read ahead",
        "",
        "total: at least 2 requests for 2 tables",
        "the plan made 0 requests; nothing was written",
    ]
    assert not db.exists()
