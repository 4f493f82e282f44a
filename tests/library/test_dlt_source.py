"""A user's own dlt pipeline over `customerio_source` loads what `omniload ingest` loads, with the same reads;
selects tables with `with_resources`, backfills a range with `end_value`, and runs the same source object again
from each table's cursor (README "Use it from Python / Dagster / Airflow"). The project configured only through
its `.dlt` folder is the README's example, run in tests/library/test_examples.py."""

from __future__ import annotations

from pathlib import Path

import dlt
import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from omniload.errors import UsageError
from omniload.sources.customerio import customerio_source
from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, ingest, query
from tests.library.support import rows

#: A list the others fan out over, a table over the people on disk, a merge table with a cursor, the two tables
#: of one workspace-wide pass, and a metrics period.
TABLES = [
    "customers",
    "customer_attributes",
    "campaigns",
    "campaign_messages",
    "customer_messages",
    "campaign_metrics:days",
]
LOADED = [
    "customers",
    "customer_attributes",
    "campaigns",
    "campaign_messages",
    "customer_messages",
    "campaign_metrics_days",
]
DAY = 86400


def user_pipeline(db: Path, name: str = "customerio_nightly") -> dlt.Pipeline:
    """What a user writes: their own pipeline."""
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="cio",
        pipelines_dir=str(db.parent / "pipelines"),
    )


def source(fake: FakeCustomerIO, tables: list[str] = TABLES) -> dlt.sources.DltSource:
    return customerio_source(api_key=API_KEY, base_url=fake.base_url, rate_limit=1000, tables=tables)


def loaded_tables(db: Path) -> list[str]:
    found = query(db, "select table_name from information_schema.tables where table_schema = 'cio'")
    return sorted(name for (name,) in found if not name.startswith("_dlt"))


def test_user_pipeline_loads_the_rows_ingest_loads_with_the_same_requests(
    fake: FakeCustomerIO, tmp_path: Path
) -> None:
    before = fake.count()
    ran = ingest(fake, ",".join(TABLES), tmp_path / "cli.duckdb", "cio")
    cli_requests = fake.count() - before
    assert ran.code == 0, ran.output

    user_pipeline(tmp_path / "user.duckdb").run(source(fake))
    user_requests = fake.count() - before - cli_requests

    for table in LOADED:
        loaded = rows(tmp_path / "user.duckdb", table)
        assert len(loaded) > 1, table
        assert loaded == rows(tmp_path / "cli.duckdb", table), table
    assert user_requests == cli_requests  # one pass for both delivery tables, the people read once


def test_with_resources_loads_and_reads_only_those(fake: FakeCustomerIO, tmp_path: Path) -> None:
    before = fake.count()
    assert ingest(fake, "campaigns,campaign_messages", tmp_path / "cli.duckdb", "cio").code == 0
    cli_requests = fake.count() - before

    user_pipeline(tmp_path / "user.duckdb").run(source(fake).with_resources("campaigns", "campaign_messages"))

    assert loaded_tables(tmp_path / "user.duckdb") == ["campaign_messages", "campaigns"]
    assert fake.count() - before - cli_requests == cli_requests  # no people, no metrics read
    for table in ("campaigns", "campaign_messages"):
        assert rows(tmp_path / "user.duckdb", table) == rows(tmp_path / "cli.duckdb", table), table


def test_the_same_source_runs_again_from_each_tables_cursor(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """dlt keeps each cursor (`dlt.sources.incremental`): `updated` for campaigns; for deliveries their `created`,
    read again `lookback_days` back (dlt's `lag`), because a delivery's metrics change after it is created."""
    db = tmp_path / "user.duckdb"
    pipeline, once = user_pipeline(db), source(fake, ["campaigns", "campaign_messages"])
    pipeline.run(once)
    first = {table: rows(db, table) for table in ("campaigns", "campaign_messages")}
    windows_before = len(fake.requests("/v1/messages"))

    pipeline.run(once)

    saved = pipeline.state["sources"]["customerio"]["resources"]
    newest = query(db, "select max(updated) from cio.campaigns")[0][0]
    created = query(db, "select max(created) from cio.campaign_messages")[0][0]
    assert saved["campaigns"]["incremental"]["updated"]["last_value"] == newest
    assert saved["campaign_messages"]["incremental"]["created"]["last_value"] == created
    second_windows = fake.requests("/v1/messages")[windows_before:]
    assert [int(r.query["start_ts"][0]) for r in second_windows] == [created - 30 * DAY]
    assert pipeline.last_trace.last_normalize_info.row_counts["campaign_messages"] > 0  # the second run loaded
    assert {table: rows(db, table) for table in first} == first  # merged: nothing doubled


def test_a_backfill_with_end_value_loads_that_range_and_leaves_the_cursor(
    fake: FakeCustomerIO, tmp_path: Path
) -> None:
    assert ingest(fake, "campaign_messages", tmp_path / "cli.duckdb", "cio.campaign_messages").code == 0
    every = query(tmp_path / "cli.duckdb", "select min(created), max(created) from cio.campaign_messages")[0]
    start, end = every[0] + (every[1] - every[0]) // 3, every[0] + 2 * (every[1] - every[0]) // 3
    db = tmp_path / "user.duckdb"
    backfill = source(fake, ["campaign_messages"])
    backfill.campaign_messages.apply_hints(
        incremental=dlt.sources.incremental("created", initial_value=start, end_value=end)
    )
    windows_before = len(fake.requests("/v1/messages"))

    pipeline = user_pipeline(db)
    pipeline.run(backfill)

    everything = rows(tmp_path / "cli.duckdb", "campaign_messages")
    at = everything[0].index("created")
    expected = [everything[0], *(row for row in everything[1:] if start <= row[at] < end)]
    assert len(expected) > 1 and rows(db, "campaign_messages") == expected
    windows = fake.requests("/v1/messages")[windows_before:]
    assert min(int(r.query["start_ts"][0]) for r in windows) == start
    assert max(int(r.query["end_ts"][0]) for r in windows) <= end
    assert "last_value" not in repr(pipeline.state["sources"])  # a backfill keeps no cursor


def test_settings_come_from_dlt_variables(
    fake: FakeCustomerIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__CUSTOMERIO__API_KEY", API_KEY)
    monkeypatch.setenv("SOURCES__CUSTOMERIO__BASE_URL", fake.base_url)
    monkeypatch.setenv("SOURCES__CUSTOMERIO__RATE_LIMIT", "1000")
    monkeypatch.setenv("SOURCES__CUSTOMERIO__TABLES", '["segments", "campaigns"]')

    from_variables = customerio_source()
    user_pipeline(tmp_path / "s.duckdb").run(from_variables)

    assert sorted(from_variables.resources) == ["campaigns", "segments"]
    assert loaded_tables(tmp_path / "s.duckdb") == ["campaigns", "segments"]


def test_no_key_is_dlts_missing_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SOURCES__CUSTOMERIO__API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .dlt folder here

    with pytest.raises(ConfigFieldMissingException, match="api_key"):
        customerio_source(tables="segments")


def test_bad_input_is_the_clis_one_line(fake: FakeCustomerIO) -> None:
    with pytest.raises(UsageError, match=r"^unknown Customer.io table 'segmentz'; did you mean 'segments'\?"):
        customerio_source(api_key=API_KEY, base_url=fake.base_url, tables="segmentz")
    with pytest.raises(UsageError, match="^rate_limit must be more than zero"):
        customerio_source(api_key=API_KEY, rate_limit=0, tables="segments")
