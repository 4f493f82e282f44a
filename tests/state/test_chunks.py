"""Issue 10, point 2, inside a table: a read per person goes in chunks of people, each kept on local disk
(omniload/run/chunks.py), so a run killed in the middle of such a table, started again with the same command, reads
only the people after the last complete chunk, and still replaces the table at once with every row. Real CLI
over the fake's real HTTP, real DuckDB file and PostgreSQL schema (README "Checkpoints and resume").

`OMNILOAD_CHUNK_PARENTS=10` makes the small workspace's 40 people four chunks of `customer_relationships`
(`customer_attributes`, read 100 people a request, goes in chunks of 10 batches: one read here). The delivery
pass goes in chunks of windows the same way (`OMNILOAD_CHUNK_WINDOWS=1`: any pass over more than one window).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from omniload.run.chunks import CHUNKS_VARIABLE, MANIFEST
from omniload.sources.customerio.passes import CHUNK_WINDOWS_VARIABLE
from omniload.sources.rest.reader import CHUNK_VARIABLE
from omniload.testing.customerio import FakeCustomerIO
from tests.state.support import SPEC, Dest, contents, ingest_args, kill_when, loaded, make_dest, run, settled

TABLES = "customer_relationships,customer_attributes"
NAMES = tuple(TABLES.split(","))
CHUNK = 10


@pytest.fixture(autouse=True)
def chunks_of_ten(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    spills = tmp_path / "spills"
    monkeypatch.setenv(CHUNK_VARIABLE, str(CHUNK))
    monkeypatch.setenv(CHUNKS_VARIABLE, str(spills))
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

    mark = settled(fake)  # the killed run's slow requests are answered and logged before this mark
    resumed = loaded(run(fake, dest, "customer_relationships", "--progress", "log"))
    assert "customer_relationships: resuming inside the table after the people up to cio_id " in resumed.stderr
    assert relationships(fake, mark) == SPEC.people - 2 * CHUNK  # only the people after the second chunk
    assert contents(dest, ("customer_relationships",)) == expected


#: The delivery tables the pass feeds, all merged (chunks of a pass need merge tables).
PASS_TABLES = "messages,campaign_messages,customer_messages"
PASS_NAMES = tuple(PASS_TABLES.split(","))


def positions(spills: Path) -> list[int]:
    """The positions the manifests of the delivery tables' chunks on disk have reached."""
    found = []
    for manifest in spills.glob(f"*/{MANIFEST}"):
        position = orjson.loads(manifest.read_bytes()).get("position")
        if position is not None:
            found.append(position)
    return found


def test_a_run_killed_inside_the_delivery_pass_resumes_after_its_last_window(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks_of_ten: Path
) -> None:
    monkeypatch.setenv(CHUNK_WINDOWS_VARIABLE, "1")
    args = ("--page-size", "20")  # several pages a window
    (tmp_path / "clean").mkdir()
    clean = make_dest(dest.kind, tmp_path / "clean")
    try:
        mark = len(fake.log)
        loaded(run(fake, clean, PASS_TABLES, *args))
        whole_pass = sum(1 for r in fake.log[mark:] if r.path == "/v1/messages")
        expected = contents(clean, PASS_NAMES)
    finally:
        clean.drop()

    fake.inject("/v1/messages", status=None, delay=0.3, times=10_000)  # slow pages: the kill comes mid-pass
    every_table_has_one = lambda: len(positions(chunks_of_ten)) == len(PASS_NAMES)  # noqa: E731
    kill_when(ingest_args(fake, dest, PASS_TABLES, *args), every_table_has_one)
    reached = min(positions(chunks_of_ten))
    assert not set(PASS_NAMES) & set(dest.tables())  # nothing is loaded before the pass is complete
    mark = settled(fake)
    resumed = loaded(run(fake, dest, PASS_TABLES, *args, "--progress", "log"))
    saved = datetime.fromtimestamp(reached, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"messages: resuming inside the table after the records created up to {saved}:" in resumed.stderr
    again = [r for r in fake.log[mark:] if r.path == "/v1/messages"]
    assert again and all(int(r.query["start_ts"][0]) > reached for r in again)  # only windows after the position
    assert len(again) < whole_pass
    assert contents(dest, PASS_NAMES) == expected  # no row lost, none twice
