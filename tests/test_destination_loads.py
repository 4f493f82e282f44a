"""Real loads through the real CLI, from the fake Customer.io API into PostgreSQL, MariaDB, SQLite and local
Parquet / JSONL / CSV files: the same command with another --dest-uri.

Each test loads into its own schema (database on MariaDB, file on SQLite, folder for files) and drops it after.
Servers come from OMNILOAD_TEST_POSTGRES_URI / OMNILOAD_TEST_MYSQL_URI (defaults: this machine's servers); a
server that does not answer fails its tests (it is part of the project's machines, not optional).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from omniload.testing.customerio import PRIMARY_KEYS, FakeCustomerIO, Workspace, WorkspaceSpec
from tests import launcher

POSTGRES_URI = os.environ.get("OMNILOAD_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URI = os.environ.get("OMNILOAD_TEST_MYSQL_URI", "mysql://root@127.0.0.1:3306/test")

MERGE_TABLE = "campaigns"  # merge on id, loaded twice: the second run must not duplicate a row
TABLES = ("workspaces", "segments", "object_types")  # replace, merge, replace; loaded together, twice
REPLACE_TABLES = ("workspaces", "object_types")

Rows = Callable[[str], list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCustomerIO]:
    # A month of history: `all` loads hourly metrics for every hour of it (400 days: 170,000 rows, half the run).
    ws = Workspace(WorkspaceSpec(people=40, deliveries=40, activities=10, objects_per_type=5, history_days=30))
    with FakeCustomerIO(ws, api_key="test-key", rate_limit=None) as server:
        yield server


def ingest(
    fake: FakeCustomerIO, table: str, dest_uri: str, dest_table: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    source = f"customerio://?api_key=test-key&base_url={fake.base_url}&rate_limit=1000"
    command = ["ingest", "--source-uri", source, "--source-table", table, "--dest-uri", dest_uri, "--dest-table",
               dest_table, "--yes", *extra]
    return launcher.run(command, timeout=600)


def loaded(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def expected(fake: FakeCustomerIO, table: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in key) for key in fake.ws.expected_keys(table)}


def check_table(fake: FakeCustomerIO, rows: Rows, table: str, stored_as: str | None = None) -> None:
    """Every key a full load must have, each exactly once."""
    keys = [tuple(str(v) for v in row) for row in rows(stored_as or table)]
    assert len(keys) == len(set(keys)), f"{table}: duplicate keys"
    assert set(keys) == expected(fake, table)


def load_and_check(fake: FakeCustomerIO, uri: str, schema: str, rows: Rows) -> None:
    """The merge table twice under a name of our choosing, then three more tables together, twice."""
    for _ in range(2):
        loaded(ingest(fake, MERGE_TABLE, uri, f"{schema}.cio_{MERGE_TABLE}"))
    check_table(fake, rows, MERGE_TABLE, f"cio_{MERGE_TABLE}")
    for _ in range(2):
        loaded(ingest(fake, ",".join(TABLES), uri, schema))
    for table in TABLES:
        check_table(fake, rows, table)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# --- PostgreSQL -----


def test_postgres(fake: FakeCustomerIO) -> None:
    import psycopg2

    try:
        connection = psycopg2.connect(POSTGRES_URI.replace("postgres://", "postgresql://", 1))
    except psycopg2.OperationalError as error:  # it runs on every machine of the project and in CI
        pytest.fail(f"no PostgreSQL at {POSTGRES_URI}: {error}")
    connection.autocommit = True
    schema = unique("omniload_test")

    def rows(table: str) -> list[tuple[Any, ...]]:
        columns = ", ".join(PRIMARY_KEYS[table.removeprefix("cio_")])
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT {columns} FROM "{schema}"."{table}"')
            return cursor.fetchall()

    try:
        load_and_check(fake, POSTGRES_URI, schema, rows)
    finally:
        with connection.cursor() as cursor:
            for name in (schema, f"{schema}_staging"):
                cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        connection.close()


# --- MariaDB / MySQL (dlt's SQLAlchemy destination) -----


def test_mariadb(fake: FakeCustomerIO) -> None:
    import pymysql

    parts = urlsplit(MYSQL_URI)
    try:
        connection = pymysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""), autocommit=True,
        )
    except pymysql.err.OperationalError as error:  # it runs on every machine of the project and in CI
        pytest.fail(f"no MySQL/MariaDB at {MYSQL_URI}: {error}")
    schema = unique("omniload_test")  # in MySQL a schema is a database

    def rows(table: str) -> list[tuple[Any, ...]]:
        columns = ", ".join(f"`{c}`" for c in PRIMARY_KEYS[table.removeprefix("cio_")])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM `{schema}`.`{table}`")
            return list(cursor.fetchall())

    try:
        load_and_check(fake, MYSQL_URI, schema, rows)
    finally:
        with connection.cursor() as cursor:
            for name in (schema, f"{schema}_staging"):
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()


# --- SQLite (dlt's SQLAlchemy destination) -----


def test_sqlite(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """The default schema is the file itself; a named one is a file beside it (`<db>__<schema>.db`)."""
    database = tmp_path / "customerio.db"
    uri = f"sqlite:///{database}"

    def rows(table: str) -> list[tuple[Any, ...]]:
        columns = ", ".join(PRIMARY_KEYS[table.removeprefix("cio_")])
        with sqlite3.connect(tmp_path / "customerio__cio.db") as connection:
            return connection.execute(f'SELECT {columns} FROM "{table}"').fetchall()

    load_and_check(fake, uri, "cio", rows)

    for _ in range(2):
        loaded(ingest(fake, MERGE_TABLE, uri, MERGE_TABLE))  # a bare table name: the main database
    with sqlite3.connect(database) as connection:
        keys = connection.execute(f"SELECT id FROM {MERGE_TABLE}").fetchall()
    assert sorted(str(k) for (k,) in keys) == sorted(k for (k,) in expected(fake, MERGE_TABLE))


# --- files: Parquet, JSONL, CSV (dlt's filesystem destination) -----

READERS = {"parquet": "read_parquet", "jsonl": "read_json_auto", "csv": "read_csv_auto"}
SUFFIXES = {"parquet": ".parquet", "jsonl": ".jsonl.gz", "csv": ".csv.gz"}


def file_rows(folder: Path, file_format: str) -> Rows:
    import duckdb

    def rows(table: str) -> list[tuple[Any, ...]]:
        files = sorted((folder / table).glob(f"*{SUFFIXES[file_format]}"))
        assert files, f"no {file_format} files in {folder / table}: {sorted((folder / table).glob('*'))}"
        columns = ", ".join(PRIMARY_KEYS[table.removeprefix("cio_")])
        listing = ", ".join(f"'{f}'" for f in files)
        return duckdb.execute(f"SELECT {columns} FROM {READERS[file_format]}([{listing}])").fetchall()

    return rows


@pytest.mark.parametrize("file_format", ["parquet", "jsonl", "csv"])
def test_files(fake: FakeCustomerIO, tmp_path: Path, file_format: str) -> None:
    uri = f"file://{tmp_path}/out?format={file_format}"
    rows = file_rows(tmp_path / "out" / "cio", file_format)

    # Plain files cannot merge: asking for it is refused in one line, before a single request reaches the API.
    before = len(fake.log)
    refused = ingest(fake, MERGE_TABLE, uri, f"cio.{MERGE_TABLE}", "--incremental-strategy", "merge")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = refused.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message and "merge" in message, message
    assert len(fake.log) == before
    assert not (tmp_path / "out" / "cio" / MERGE_TABLE).exists()

    # Replace twice: the second run's files replace the first's.
    for _ in range(2):
        loaded(ingest(fake, MERGE_TABLE, uri, f"cio.{MERGE_TABLE}", "--incremental-strategy", "replace"))
    check_table(fake, rows, MERGE_TABLE)
    for _ in range(2):
        loaded(ingest(fake, ",".join(REPLACE_TABLES), uri, "cio"))
    for table in REPLACE_TABLES:
        check_table(fake, rows, table)

    # Append twice: every key twice.
    for _ in range(2):
        loaded(ingest(fake, "object_types", uri, "cio.cio_object_types", "--incremental-strategy", "append"))
    keys = [tuple(str(v) for v in row) for row in rows("cio_object_types")]
    assert sorted(keys) == sorted(list(expected(fake, "object_types")) * 2)


def test_all_tables_into_parquet_replace_what_cannot_merge(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """Issue 15, point 3: `--source-table all` into files loads; the tables the contract merges are loaded as a
    full snapshot with replace (the summary names them, each `end` event of --progress json says so), so a second
    run leaves every key once."""
    from omniload.sources.customerio.catalog import PRODUCT_TABLES as CATALOG  # what `all` loads

    merged = sorted(t.name for t in CATALOG if t.strategy == "merge")
    rows = file_rows(tmp_path / "out" / "cio", "parquet")
    first = ingest(fake, "all", f"file://{tmp_path}/out", "cio", "--progress", "json")
    loaded(first)
    ends = {e["table"]: e for e in map(json.loads, first.stdout.splitlines()) if e["event"] == "end"}
    assert {table: ends[table]["strategy"] for table in merged} == dict.fromkeys(merged, "replace")
    assert all(end["strategy"] == "replace" for table, end in ends.items() if table), "the rest replace anyway"
    ran = ingest(fake, ",".join(merged), f"file://{tmp_path}/out", "cio")  # again: replaced, not appended
    loaded(ran)
    closing = ran.stdout.strip().splitlines()[-1]
    assert f"Destination files cannot merge: {len(merged)} table(s) were loaded as a full snapshot" in closing
    assert sorted(closing.rsplit("(", 1)[1].rstrip(").").split(", ")) == merged
    for table in merged:
        check_table(fake, rows, table)


def test_files_with_an_interval_never_fall_back_to_replace(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """Replacing a merge table with only an interval's rows would drop the rest of it: with an interval, the
    fallback is refused before a single request, and an explicit strategy loads."""
    uri = f"file://{tmp_path}/out"
    before = len(fake.log)
    for interval in (["--interval-start", "2024-01-01"], ["--interval-end", "2024-01-31"]):
        refused = ingest(fake, f"workspaces,{MERGE_TABLE}", uri, "cio", *interval)
        assert (refused.returncode, refused.stdout) == (2, ""), refused.stderr
        assert refused.stderr.splitlines() == [
            f"error: destination files cannot merge {MERGE_TABLE}, and replacing with only the interval's rows "
            "would drop the rest of the table: pass --incremental-strategy append or replace explicitly, "
            "or no interval"
        ]
    assert len(fake.log) == before and not (tmp_path / "out").exists()
    loaded(ingest(fake, MERGE_TABLE, uri, "cio", "--interval-start", "2024-01-01", "--incremental-strategy",
                  "append"))
    loaded(ingest(fake, "workspaces", uri, "cio", "--interval-start", "2024-01-01"))  # replace: no fallback
