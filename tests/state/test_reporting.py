"""Issue 14, point 8: what a run says. `--debug` keeps a usage error's exit code; the summary names the schema
and table as created; a DuckDB file in use says by which process, before anything is read; a bad DuckDB path
gives DuckDB's reason without dlt's advice about credentials. Real CLI, real DuckDB files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import omniload, source_uri
from tests.state.support import Dest, loaded, make_dest, one_line_error


def ingest_into(fake: FakeCustomerIO, dest_uri: str, dest_table: str, *extra: str) -> list[str]:
    return [
        "ingest", "--source-uri", source_uri(fake), "--source-table", "campaigns",
        "--dest-uri", dest_uri, "--dest-table", dest_table, *extra,
    ]


def test_debug_keeps_the_usage_error_exit_code(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = omniload(*ingest_into(fake, f"duckdb:///{tmp_path / 'x.duckdb'}", "cio.c", "--interval-start", "soon",
                                "--debug"))
    assert ran.code == 2, ran.output
    assert "Traceback" in ran.stderr  # what --debug adds
    assert ran.stderr.strip().splitlines()[-1].startswith("error: --interval-start 'soon' is not a date")


def test_the_summary_names_the_table_as_created(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest = make_dest("duckdb", tmp_path)
    ran = loaded(omniload(*ingest_into(fake, dest.uri, "MySchema.My-Table")))
    assert "my_schema.my_table" in ran.stdout and "My-Table" not in ran.output
    assert "(schema my_schema)" in ran.stdout
    created = Dest("duckdb", dest.uri, "my_schema", dest.path)
    assert "my_table" in created.tables() and created.count("my_table") == len(fake.ws.rows("campaigns"))


def test_a_duckdb_file_in_use_names_the_process(fake: FakeCustomerIO, tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print(1, flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "1"  # it holds the lock now
        line = one_line_error(omniload(*ingest_into(fake, f"duckdb:///{path}", "cio.c")), 1)
    finally:
        holder.communicate("")
    assert line.startswith(f"error: the file {path} is in use by process {holder.pid} (")
    assert "credentials" not in line
    assert not [r for r in fake.log if r.path == "/v1/campaigns"]  # found before reading


def test_a_duckdb_path_that_is_a_folder(fake: FakeCustomerIO, tmp_path: Path) -> None:
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    line = one_line_error(omniload(*ingest_into(fake, f"duckdb:///{folder}", "cio.c")), 1)
    assert line.startswith("error: cannot open the duckdb destination: IO Error: Could not read from file")
    assert "Is a directory" in line and "credentials" not in line
