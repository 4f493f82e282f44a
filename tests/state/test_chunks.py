"""Issue 10, point 2, inside a table: a read per person goes in chunks of people, each kept on local disk
(omniload/spill.py), so a run killed in the middle of such a table, started again with the same command, reads
only the people after the last complete chunk, and still replaces the table at once with every row. Real CLI
over the fake's real HTTP, real DuckDB file and PostgreSQL schema (README "Checkpoints and resume").

`OMNILOAD_CHUNK_PARENTS=10` makes the small workspace's 40 people four chunks of `customer_relationships`
(`customer_attributes`, read 100 people a request, goes in chunks of 10 batches: one read here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from omniload.sources.customerio.engine import CHUNK_VARIABLE
from omniload.spill import SPILL_VARIABLE
from omniload.testing.customerio import FakeCustomerIO
from tests.state.support import SPEC, Dest, contents, ingest_args, kill_when, loaded, make_dest, run

TABLES = "customer_relationships,customer_attributes"
NAMES = tuple(TABLES.split(","))
CHUNK = 10


@pytest.fixture(autouse=True)
def chunks_of_ten(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    spills = tmp_path / "spills"
    monkeypatch.setenv(CHUNK_VARIABLE, str(CHUNK))
    monkeypatch.setenv(SPILL_VARIABLE, str(spills))
    return spills


def relationships(fake: FakeCustomerIO, since: int) -> int:
    return sum(1 for r in fake.log[since:] if r.path.endswith("/relationships"))


@pytest.mark.parametrize("dest", ["duckdb"], indirect=True)
def test_a_table_read_in_chunks_equals_one_read_whole(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks_of_ten: Path
) -> None:
    loaded(run(fake, dest, TABLES))
    assert not list(chunks_of_ten.glob("*/*"))  # the chunks went with the commit
    monkeypatch.setenv(CHUNK_VARIABLE, str(SPEC.people))
    (tmp_path / "whole").mkdir()
    whole = make_dest("duckdb", tmp_path / "whole")
    loaded(run(fake, whole, TABLES))
    assert contents(dest, NAMES) == contents(whole, NAMES)
    assert all(contents(dest, NAMES).values())


def test_a_run_killed_inside_a_table_resumes_after_its_last_chunk(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clean").mkdir()
    clean = make_dest(dest.kind, tmp_path / "clean")
    try:
        loaded(run(fake, clean, "customer_relationships"))
        expected = contents(clean, ("customer_relationships",))
    finally:
        clean.drop()

    # the third chunk's first reads are slow: the kill comes while they are being read
    fake.inject("/v1/customers/", status=None, delay=2.0, after=2 * CHUNK, times=CHUNK - 2)
    mark = len(fake.log)
    kill_when(ingest_args(fake, dest, "customer_relationships"), lambda: relationships(fake, mark) > 2 * CHUNK)
    assert "customer_relationships" not in dest.tables()  # nothing of a replace table is loaded before its end

    mark = len(fake.log)
    resumed = loaded(run(fake, dest, "customer_relationships", "--progress", "log"))
    assert "customer_relationships: resuming inside the table" in resumed.stderr
    assert relationships(fake, mark) == SPEC.people - 2 * CHUNK  # only the people after the second chunk
    assert contents(dest, ("customer_relationships",)) == expected
