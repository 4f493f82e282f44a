"""A user's own dlt pipeline over `customerio_source` loads what `omniload ingest` loads, with the same reads,
and runs again incrementally (README "Use it from Python / Dagster / Airflow")."""

from __future__ import annotations

from pathlib import Path

import dlt
import pytest

from omniload.errors import UsageError
from omniload.sources.customerio.dlt_source import customerio_source
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


def user_pipeline(fake: FakeCustomerIO, db: Path, tables: list[str] = TABLES) -> dlt.Pipeline:
    """What a user writes: their own pipeline, the source in one call."""
    pipeline = dlt.pipeline(
        pipeline_name="customerio_nightly",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="cio",
        pipelines_dir=str(db.parent / "pipelines"),
    )
    pipeline.run(customerio_source(api_key=API_KEY, base_url=fake.base_url, rate_limit=1000, tables=tables))
    return pipeline


def test_user_pipeline_loads_the_rows_ingest_loads_with_the_same_requests(
    fake: FakeCustomerIO, tmp_path: Path
) -> None:
    before = fake.count()
    ran = ingest(fake, ",".join(TABLES), tmp_path / "cli.duckdb", "cio")
    cli_requests = fake.count() - before
    assert ran.code == 0, ran.output

    user_pipeline(fake, tmp_path / "user.duckdb")
    user_requests = fake.count() - before - cli_requests

    for table in LOADED:
        loaded = rows(tmp_path / "user.duckdb", table)
        assert len(loaded) > 1, table
        assert loaded == rows(tmp_path / "cli.duckdb", table), table
    assert user_requests == cli_requests  # one pass for both delivery tables, the people read once


def test_second_run_starts_at_each_tables_cursor(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "user.duckdb"
    first_run = user_pipeline(fake, db, ["campaigns", "campaign_messages"])
    saved = first_run.state["sources"]["customerio"]["resources"]
    first = {table: rows(db, table) for table in ("campaigns", "campaign_messages")}
    windows_before = len(fake.requests("/v1/messages"))

    user_pipeline(fake, db, ["campaigns", "campaign_messages"])

    assert saved["campaigns"]["cursors"] == {
        "campaigns": query(db, "select max(updated) from cio.campaigns")[0][0]
    }
    look_back_from = saved["campaign_messages"]["cursors"]["campaign_messages"] - 30 * 86400
    second_windows = fake.requests("/v1/messages")[windows_before:]
    assert [int(r.query["start_ts"][0]) for r in second_windows] == [look_back_from]
    assert {table: rows(db, table) for table in first} == first  # merged: nothing doubled


def test_key_from_dlt_secrets(fake: FakeCustomerIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUSTOMERIO_API_KEY", raising=False)
    monkeypatch.setenv("SOURCES__CUSTOMERIO__API_KEY", API_KEY)
    pipeline = dlt.pipeline(
        pipeline_name="from_secrets",
        destination=dlt.destinations.duckdb(str(tmp_path / "s.duckdb")),
        dataset_name="cio",
        pipelines_dir=str(tmp_path / "pipelines"),
    )

    pipeline.run(customerio_source(base_url=fake.base_url, tables="segments"))

    assert len(rows(tmp_path / "s.duckdb", "segments")) > 1


def test_no_key_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUSTOMERIO_API_KEY", raising=False)
    monkeypatch.delenv("SOURCES__CUSTOMERIO__API_KEY", raising=False)

    with pytest.raises(UsageError, match="customerio:// needs an App API key"):
        customerio_source(tables="segments")
