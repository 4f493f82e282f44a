"""`omniload.ingest()`: the CLI's load as a function call; figures back, one clear error for bad input, and the
same progress events as `--progress json` (README "Use it from Python / Dagster / Airflow")."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

import omniload
from omniload import api
from omniload.errors import OmniloadError, UsageError
from omniload.progress import JsonProgress
from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import query, source_uri
from tests.library.support import rows
from tests.state.support import make_dest


def test_ingest_returns_the_figures_of_what_it_loaded(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "load.duckdb"

    result = omniload.ingest(source_uri(fake), "segments,campaigns", f"duckdb:///{db}", "cio")

    assert (result.dataset, [t.destination_table for t in result.tables]) == ("cio", ["segments", "campaigns"])
    assert [t.rows for t in result.tables] == [len(rows(db, "segments")) - 1, len(rows(db, "campaigns")) - 1]
    assert result.requests == sum(t.requests for t in result.tables) > 0


def test_bad_input_raises_the_clis_one_line_before_anything_is_read(fake: FakeCustomerIO, tmp_path: Path) -> None:
    before = fake.count()

    with pytest.raises(UsageError, match=r"^unknown Customer.io table 'segmentz'; did you mean 'segments'\?"):
        omniload.ingest(source_uri(fake), "segmentz", f"duckdb:///{tmp_path / 'x.duckdb'}")
    with pytest.raises(UsageError, match="^segments: --primary-key and --incremental-key need a column name$"):
        omniload.ingest(
            source_uri(fake), "segments", "duckdb:///x.duckdb", incremental_strategy="merge", primary_key=[" "]
        )

    assert fake.count() == before and not (tmp_path / "x.duckdb").exists()


def test_progress_gets_the_json_events_of_the_run(fake: FakeCustomerIO, tmp_path: Path) -> None:
    stream = io.StringIO()

    omniload.ingest(
        source_uri(fake),
        "segments",
        f"duckdb:///{tmp_path / 'load.duckdb'}",
        "cio.segments",
        progress=JsonProgress(stream=stream),
    )

    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    ends = [e for e in events if e["event"] == "end"]
    assert [(e["table"], e["status"]) for e in ends] == [("segments", "ok"), (None, "ok")]
    assert ends[0]["rows"] == query(tmp_path / "load.duckdb", "select count(*) from cio.segments")[0][0]


def test_a_failed_run_ends_its_progress_and_raises(fake: FakeCustomerIO, tmp_path: Path) -> None:
    stream = io.StringIO()

    with pytest.raises(OmniloadError, match="rejected the API key"):
        omniload.ingest(
            source_uri(fake, "wrong-key"),
            "segments",
            f"duckdb:///{tmp_path / 'x.duckdb'}",
            progress=JsonProgress(stream=stream),
        )

    last = json.loads(stream.getvalue().splitlines()[-1])
    assert (last["event"], last["status"]) == ("end", "failed") and "rejected the API key" in last["error"]


def test_plan_returns_the_estimates_and_writes_nothing(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """`omniload.api.plan()`: what `--plan` prints, as figures (README "A plan before the run")."""
    before = fake.count()

    arguments = api.RunArguments(source_uri(fake), "segments,customers", f"duckdb:///{tmp_path / 'x.duckdb'}")
    found = api.plan(arguments)

    assert [(e.load_name, e.requests, e.at_least) for e in found.estimates] == [
        ("segments", 1, False),
        ("customers", None, False),
    ]
    assert found.rate == 1000
    assert found.spent == fake.count() - before == 1  # the segments list, nothing of the people
    assert not (tmp_path / "x.duckdb").exists()


def test_every_flag_is_a_keyword_of_ingest(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """The flags of "Shaping what lands" and "Loader settings" too, under their RunArguments names."""
    db = tmp_path / "load.duckdb"

    omniload.ingest(
        source_uri(fake), "segments", f"duckdb:///{db}", "cio.segments",
        mask=["name:redact"], no_load_timestamp=True, loader_file_format="insert_values",
    )  # fmt: skip

    assert set(query(db, "select name from cio.segments")) == {("REDACTED",)}
    columns = query(db, "select column_name from information_schema.columns where table_name = 'segments'")
    assert ("_omniload_loaded_at",) not in columns
    with pytest.raises(TypeError, match="unexpected keyword argument 'yield_limt'"):
        omniload.ingest(source_uri(fake), "segments", f"duckdb:///{db}", yield_limt=1)


def test_a_staging_swap_is_the_runs_own_not_the_next_ones(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """PostgreSQL replaces a table by a swap from dlt's staging dataset; a program that loads into files next,
    in the same process, loads them as files load, not asking them for a swap they do not have."""
    postgres = make_dest("postgres", tmp_path)
    try:
        swapped = omniload.ingest(source_uri(fake), "segments", postgres.uri, f"{postgres.dataset}.segments")
        loaded = len(postgres.rows("segments"))
        files = omniload.ingest(source_uri(fake), "segments", f"file://{tmp_path / 'out'}?format=jsonl", "cio")
    finally:
        postgres.drop()

    segments = len(fake.ws.rows("segments"))
    assert (swapped.tables[0].rows, loaded, files.tables[0].rows) == (segments, segments, segments)
    assert "DESTINATION__REPLACE_STRATEGY" not in os.environ
