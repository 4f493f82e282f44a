"""Secrets out of argv: every `ingest` flag also reads its `OMNILOAD_` variable and ingestr's names, in that
order of precedence after the command line (README "Secrets and the environment"), and the Customer.io key can
come from CUSTOMERIO_API_KEY; the key shows up nowhere, neither in what omniload prints nor in the destination."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import duckdb

from omniload.api import RunArguments
from omniload.cli.ingest import Shell
from omniload.options import flag_of
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


def test_every_flag_reads_its_omniload_variable(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "omniload.duckdb"
    ran = omniload(
        "ingest",
        env={
            "OMNILOAD_SOURCE_URI": keyless_uri(fake),
            "CUSTOMERIO_API_KEY": API_KEY,
            "OMNILOAD_SOURCE_TABLE": "segments",
            "OMNILOAD_DESTINATION_URI": f"duckdb:///{db}",
            "OMNILOAD_DESTINATION_TABLE": "cio.segs",
            "OMNILOAD_PROGRESS": "json",
            "OMNILOAD_SKIP_CONFIRMATION": "true",
            "OMNILOAD_MASK": "name:redact",
            "OMNILOAD_COLUMNS": "segment_name::name",
            "OMNILOAD_NO_LOAD_TIMESTAMP": "true",
        },
    )

    assert ran.code == 0, ran.output
    assert set(query(db, "select segment_name from cio.segs")) == {("REDACTED",)}
    columns = [name for (name,) in query(db, "select column_name from information_schema.columns "
                                             "where table_name = 'segs'")]
    assert "_omniload_loaded_at" not in columns and "name" not in columns
    assert [json.loads(line)["event"] for line in ran.stdout.splitlines()][-1] == "end"


def test_omniload_variables_win_over_ingestrs_and_the_flag_over_all(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """Precedence: the command line, then OMNILOAD_<NAME>, then <NAME>, then INGESTR_<NAME>."""
    db = tmp_path / "order.duckdb"
    names = {"OMNILOAD_DESTINATION_TABLE": "cio.omniload", "DESTINATION_TABLE": "cio.bare",
             "INGESTR_DESTINATION_TABLE": "cio.ingestr"}
    base = {"SOURCE_URI": keyless_uri(fake), "CUSTOMERIO_API_KEY": API_KEY, "SOURCE_TABLE": "segments",
            "DESTINATION_URI": f"duckdb:///{db}"}
    runs = [
        omniload("ingest", "--dest-table", "cio.flag", env={**base, **names}),
        omniload("ingest", env={**base, **names}),
        omniload("ingest", env={**base, **names, "OMNILOAD_DESTINATION_TABLE": ""}),
        omniload("ingest", env={**base, "INGESTR_DESTINATION_TABLE": "cio.ingestr"}),
    ]

    assert [ran.code for ran in runs] == [0, 0, 0, 0], [ran.output for ran in runs]
    tables = "select table_name from information_schema.tables where table_schema = 'cio' order by 1"
    assert [name for (name,) in query(db, tables) if not name.startswith("_dlt")] == [
        "bare", "flag", "ingestr", "omniload"
    ]


def test_help_names_every_omniload_variable() -> None:
    ran = omniload("ingest", "--help")

    assert ran.code == 0
    declared = [(item, flag_of(item)) for schema in (RunArguments, Shell) for item in fields(schema)]
    variables = [found.variables(item.name)[0] for item, found in declared if found]
    assert len(variables) == len(declared) > 20
    for variable in variables:
        assert variable.startswith("OMNILOAD_") and variable in ran.stdout, variable
