"""Secrets out of argv: every `ingest` flag also reads ingestr's environment variable, and the Customer.io key can
come from CUSTOMERIO_API_KEY; the key shows up nowhere, neither in what omniload prints nor in the destination."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, omniload, query


def keyless_uri(fake: FakeCustomerIO) -> str:
    return f"customerio://?base_url={fake.base_url}&rate_limit=1000"


def every_value(db: Path) -> str:
    """Every value of every table in the file, as one text: what a key left in state would show up in."""
    with duckdb.connect(str(db), read_only=True) as connection:
        tables = connection.sql(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        return "\n".join(
            str(connection.sql(f'select * from "{schema}"."{table}"').fetchall()) for schema, table in tables
        )


def test_every_flag_can_come_from_the_environment(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "env.duckdb"
    ran = omniload(
        "ingest",
        env={
            "SOURCE_URI": keyless_uri(fake),
            "CUSTOMERIO_API_KEY": API_KEY,
            "SOURCE_TABLE": "segments",
            "DESTINATION_URI": f"duckdb:///{db}",
            "DESTINATION_TABLE": "cio.segs",
            "INGESTR_PROGRESS": "json",
            "SKIP_CONFIRMATION": "true",
        },
    )

    assert ran.code == 0, ran.output
    assert query(db, "select count(*) from cio.segs")[0][0] > 0
    assert [json.loads(line)["event"] for line in ran.stdout.splitlines()][-1] == "end"  # PROGRESS=json
    assert API_KEY not in ran.output
    assert API_KEY not in every_value(db)


def test_a_flag_wins_over_its_variable(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "flag.duckdb"
    ran = omniload(
        "ingest", "--source-table", "segments", "--dest-table", "cio.from_flag",
        env={
            "SOURCE_URI": keyless_uri(fake),
            "CUSTOMERIO_API_KEY": API_KEY,
            "SOURCE_TABLE": "no_such_table",
            "DESTINATION_URI": f"duckdb:///{db}",
            "DESTINATION_TABLE": "cio.from_env",
        },
    )

    assert ran.code == 0, ran.output
    tables = "select table_name from information_schema.tables where table_schema = 'cio'"
    assert [name for (name,) in query(db, tables) if not name.startswith("_dlt")] == ["from_flag"]


def test_no_key_anywhere_names_both_places(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = omniload(
        "ingest", "--source-uri", keyless_uri(fake), "--source-table", "segments",
        "--dest-uri", f"duckdb:///{tmp_path / 'x.duckdb'}",
        env={"CUSTOMERIO_API_KEY": ""},
    )

    assert ran.code == 2
    assert ran.stderr.strip().splitlines() == [
        "error: customerio:// needs an App API key: customerio://?api_key=<key>&region=us, or CUSTOMERIO_API_KEY "
        "in the environment (create one under Account Settings > API Credentials)"
    ]


def test_help_names_each_flags_variable() -> None:
    ran = omniload("ingest", "--help")

    assert ran.code == 0
    for variable in ("SOURCE_URI", "SOURCE_TABLE", "DESTINATION_URI", "DESTINATION_TABLE", "INTERVAL_START",
                     "INTERVAL_END", "INCREMENTAL_STRATEGY", "INCREMENTAL_KEY", "PRIMARY_KEY", "FULL_REFRESH",
                     "SKIP_CONFIRMATION", "PROGRESS"):
        assert variable in ran.stdout, variable
