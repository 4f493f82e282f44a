"""Issue 6, point 7: docs/sources/customerio.md is generated from the source's catalog and must not drift."""

from __future__ import annotations

import re
from pathlib import Path

from omniload.sources.customerio import docs
from omniload.sources.customerio.catalog import EXTRA_TABLES, TABLES
from omniload.sources.customerio.config import PARAMETERS

PAGE = Path(__file__).parents[3] / "docs" / "sources" / "customerio.md"


def test_committed_page_is_the_generated_page() -> None:
    assert PAGE.read_text() == docs.customerio_page(), (
        "docs/sources/customerio.md is stale: run `omniload docs customerio > docs/sources/customerio.md`"
    )


def test_page_holds_exactly_the_catalogs_tables() -> None:
    text = PAGE.read_text()
    section = text.split("## Tables", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) == len(TABLES) == 31 + len(EXTRA_TABLES)
    for row, table in zip(rows, TABLES, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        name = f"{table.name}:period" if table.periods else table.name
        assert cells[0] == f"`{name}`"
        assert cells[1] == ", ".join(table.primary_key)
        assert cells[2] == (table.incremental_key or "–")
        assert cells[3] == table.strategy
        assert cells[4].startswith(table.description)
        assert ("Beyond `all`" in cells[4]) == (not table.in_all)


def test_page_covers_the_uri_key_examples_and_intervals() -> None:
    text = PAGE.read_text()
    for parameter in PARAMETERS:
        assert f"`{parameter}`" in text
    assert "Account Settings > API Credentials" in text and "read" in text
    for example in docs.EXAMPLES:  # the seed's examples: metrics with a period, people, incremental loading
        assert example.command() in text
    assert "--source-table 'broadcast_metrics:days'" in text
    assert "--interval-start '2024-01-01'" in text
    interval = text.split("## What `--interval-start` / `--interval-end` do", 1)[1]
    for table in TABLES:
        assert re.search(rf"^\| `{re.escape(table.name)}(:period)?` \| {table.strategy} \| ", interval, re.M)
