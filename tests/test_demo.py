"""Issue 15, point 6: the README's first command, `omniload demo`, run as a new user runs it (in an empty folder,
with its defaults but a faster fake), end to end: what it prints, and the DuckDB file it leaves behind."""

from __future__ import annotations

import re
from pathlib import Path

from omniload.sources.customerio.catalog import PRODUCT_TABLES
from omniload.testing.customerio import Workspace
from tests.conftest import omniload, query

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
OUTPUTS = sorted(
    f"{table.name}_{period}" if period else table.name
    for table in PRODUCT_TABLES  # what `all` loads
    for period in (table.periods or (None,))
)


def test_the_readmes_first_command_is_the_demo() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith("&& omniload demo")


def test_demo_loads_every_table_into_demo_duckdb(tmp_path: Path, workspace: Workspace) -> None:
    ran = omniload("demo", "--rate-limit", "1000", cwd=tmp_path)  # the fake at 50 requests/s takes 30 s

    assert ran.code == 0, ran.output
    db = tmp_path / "demo.duckdb"
    lines = ran.stdout.splitlines()
    started = re.fullmatch(r"Fake Customer\.io API at (http://127\.0\.0\.1:\d+) \(1000 requests/s\)\. Running:",
                           lines[0])
    assert started, lines[0]
    base_url = started[1]
    assert lines[1].startswith(f"  omniload ingest --source-uri 'customerio://?api_key=***&base_url={base_url}&")
    assert f"--source-table all --dest-uri duckdb:///{db} --dest-table customerio --yes" in lines[1]
    assert "demo-key" not in ran.output, "the demo's key is masked like any other"
    # the summary: one line per table, then where it all went
    assert lines[2].split() == ["table", "rows", "requests", "seconds", "loaded", "into"]
    summary = {cells[0]: cells for cells in (line.split() for line in lines[3:-1])}
    assert sorted(summary) == OUTPUTS
    total = sum(int(cells[1].replace(",", "")) for cells in summary.values())
    assert lines[-1].startswith(f"Loaded {total:,} rows in 46 table(s) into duckdb {db} (schema customerio) with ")
    # the file: every table in schema customerio, holding the rows the summary counted
    tables = query(db, "select table_name from duckdb_tables() where schema_name = 'customerio' "
                       "and not starts_with(table_name, '_dlt') order by table_name")
    assert [name for (name,) in tables] == OUTPUTS
    for table, cells in summary.items():
        assert cells[-1] == f"customerio.{table}"
        rows = query(db, f"select count(*) from customerio.{table}")[0][0]
        assert f"{rows:,}" == cells[1], table
    assert summary["customers"][1] == f"{len(workspace.rows('customers')):,}"
