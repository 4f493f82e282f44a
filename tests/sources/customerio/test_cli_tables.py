"""Issue 6, point 4: `omniload tables customerio` and the examples in `omniload ingest --help`."""

from __future__ import annotations

import re
from pathlib import Path

from omniload.sources.customerio.catalog import EXTRA_TABLES, TABLES
from tests.conftest import omniload

SEED_EXAMPLES = Path(__file__).parent / "seed_examples.sh"


def test_tables_lists_the_31_and_those_beyond_all_with_keys_strategy_and_contents() -> None:
    ran = omniload("tables", "customerio")
    assert ran.code == 0, ran.output
    lines = ran.stdout.splitlines()
    assert lines[0].split() == ["table", "primary", "key", "incremental", "key", "strategy", "holds"]
    assert len(lines) == 1 + 31 + len(EXTRA_TABLES) == 1 + len(TABLES)
    for line, table in zip(lines[1:], TABLES, strict=True):
        name = f"{table.name}:period" if table.periods else table.name
        expected = [name, ", ".join(table.primary_key), table.incremental_key or "-", table.strategy]
        assert re.split(r"\s{2,}", line.strip())[:5] == [*expected, table.description], line
        assert ("Beyond `all`: ask by name or with `all+`." in line) == (not table.in_all), line


def test_tables_markdown_and_unknown_source() -> None:
    markdown = omniload("tables", "customerio", "--markdown")
    assert markdown.code == 0 and markdown.stdout.count("\n| `") == len(TABLES)
    unknown = omniload("tables", "hubspot")
    assert unknown.code == 2 and unknown.output.strip() == "error: unknown source 'hubspot'; sources: customerio"


def test_ingest_help_shows_the_seed_examples() -> None:
    ran = omniload("ingest", "--help")
    assert ran.code == 0
    seed = SEED_EXAMPLES.read_text()
    tables = re.findall(r"--source-table '([^']+)'", seed)
    assert len(tables) >= 6
    for table in tables:
        assert f"--source-table '{table}'" in ran.stdout
    assert "--interval-start '2024-01-01'" in ran.stdout and "--interval-end '2024-01-31'" in ran.stdout
    assert "--progress" in ran.stdout and "--yes" in ran.stdout
