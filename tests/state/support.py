"""Helpers shared by the state tests (test_incremental.py, test_fail_safe.py): a destination under test (a real
DuckDB file or a unique schema on the real PostgreSQL server), read back table by table, and the state a next
run would restore from it. No tests live here.

PostgreSQL comes from OMNILOAD_TEST_POSTGRES_URI (default: this machine's server, trust auth, database `test`);
a server that does not answer fails the PostgreSQL variants.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests.conftest import API_KEY, Ran, omniload, source_uri

POSTGRES_URI = os.environ.get("OMNILOAD_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
DAY = 86400


@dataclass
class Dest:
    """Where a test loads: `uri` for --dest-uri, `dataset` the schema every table of the test goes to."""

    kind: str  # "duckdb" or "postgres"
    uri: str
    dataset: str
    path: Path | None = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        if self.kind == "duckdb":
            assert self.path is not None
            if not self.path.exists():
                return []
            read_only = query.lstrip().lower().startswith(("select", "with"))
            with duckdb.connect(str(self.path), read_only=read_only) as connection:
                relation = connection.sql(query)
                return relation.fetchall() if relation is not None else []
        import psycopg2

        connection = psycopg2.connect(self.uri)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(query)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def tables(self) -> list[str]:
        return sorted(
            row[0]
            for row in self.sql(
                f"select table_name from information_schema.tables where table_schema = '{self.dataset}'"
            )
        )

    def rows(self, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
        return sorted(self.sql(f'select {columns} from "{self.dataset}"."{table}"'), key=repr)

    def count(self, table: str) -> int:
        return int(self.sql(f'select count(*) from "{self.dataset}"."{table}"')[0][0])

    def snapshot(self) -> dict[str, Any]:
        """Everything a run could change: every row of every data table (dlt's load ids included), the
        completed loads, and the state the next run would restore."""
        tables = {t: self.rows(t) for t in self.tables() if t not in ("_dlt_pipeline_state", "_dlt_version")}
        return {"tables": tables, "state": self.state()}

    def state(self) -> dict[str, Any]:
        """The omniload resource state of the newest completed load (what dlt's sync_destination restores):
        {pipeline name: {"cursors": …, "boundaries": …}}."""
        from dlt.common.versioned_state import decompress_state

        if "_dlt_pipeline_state" not in self.tables():
            return {}
        rows = self.sql(
            f'select s.pipeline_name, s.state, s._dlt_load_id from "{self.dataset}"._dlt_pipeline_state s '
            f'join "{self.dataset}"._dlt_loads l on l.load_id = s._dlt_load_id where l.status = 0'
        )
        newest: dict[str, tuple[str, str]] = {}
        for name, state, load_id in rows:
            if name not in newest or load_id > newest[name][0]:
                newest[name] = (load_id, state)
        out: dict[str, Any] = {}
        for name, (_, state) in newest.items():
            sources = decompress_state(state).get("sources", {})
            resource: dict[str, Any] = next(
                (s["resources"]["omniload"] for s in sources.values() if "omniload" in s.get("resources", {})),
                {},
            )
            out[name] = resource
        return out

    def cursors(self) -> dict[str, Any]:
        """Every table's saved cursor, over all pipelines (each test loads one table set per dataset)."""
        merged: dict[str, Any] = {}
        for resource in self.state().values():
            merged.update(resource.get("cursors", {}))
        return merged

    def drop(self) -> None:
        if self.kind == "postgres":
            self.sql(f'drop schema if exists "{self.dataset}" cascade')
            self.sql(f'drop schema if exists "{self.dataset}_staging" cascade')


def postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(POSTGRES_URI, connect_timeout=3).close()
    except Exception:
        return False
    return True


def make_dest(kind: str, tmp_path: Path) -> Dest:
    if kind == "duckdb":
        path = tmp_path / "warehouse.duckdb"
        return Dest("duckdb", f"duckdb:///{path}", "cio", path)
    if not postgres_available():  # it runs on every machine of the project and in CI: its absence is a failure
        pytest.fail(f"no PostgreSQL at {POSTGRES_URI} (set OMNILOAD_TEST_POSTGRES_URI)")
    return Dest("postgres", POSTGRES_URI, f"omniload_state_{uuid.uuid4().hex[:10]}")


def dest_for(kind: str, tmp_path: Path) -> Iterator[Dest]:
    """The destination fixtures of the test modules: a DuckDB file, or a new PostgreSQL schema dropped after."""
    target = make_dest(kind, tmp_path)
    yield target
    target.drop()


@pytest.fixture(name="fake")
def small_fake() -> Iterator[FakeCustomerIO]:
    """`fake` for the state tests and tests/test_shaping.py: a small workspace of the test's own, as these tests
    change its records between runs."""
    with FakeCustomerIO(Workspace(SPEC), api_key=API_KEY, rate_limit=None) as server:
        yield server


@pytest.fixture(name="dest", params=["duckdb", "postgres"])
def each_dest(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Dest]:
    """`dest` for the same tests: each test runs against a DuckDB file and a PostgreSQL schema."""
    yield from dest_for(request.param, tmp_path)


def ingest_args(
    fake: FakeCustomerIO, dest: Dest, tables: str, *extra: str, key: str = API_KEY, **params: str
) -> list[str]:
    target = dest.dataset if "," in tables else f"{dest.dataset}.{tables.split(':')[0]}"
    return [
        "ingest",
        "--source-uri",
        source_uri(fake, key, **params),
        "--source-table",
        tables,
        "--dest-uri",
        dest.uri,
        "--dest-table",
        target,
        *extra,
    ]


def run(fake: FakeCustomerIO, dest: Dest, tables: str, *extra: str, key: str = API_KEY, **params: str) -> Ran:
    return omniload(*ingest_args(fake, dest, tables, *extra, key=key, **params))


def loaded(ran: Ran) -> Ran:
    assert ran.code == 0, ran.output
    return ran


def one_line_error(ran: Ran, code: int) -> str:
    """The CLI's failure contract: the exit code, and one `error:` line, the last on stderr (progress lines may
    come before it), with no traceback."""
    assert ran.code == code, ran.output
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], ran.stderr
    assert "Traceback" not in ran.output
    return errors[0]


def messages_requests(fake: FakeCustomerIO, since: int = 0) -> list[dict[str, list[str]]]:
    return [r.query for r in fake.log[since:] if r.path == "/v1/messages"]


def start_cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The CLI in a child process, as a scheduler starts it (no terminal on stdin): a new interpreter, not a warm
    start (tests/launcher.py), since the signals these runs get are what the tests are about. (Warm starts were
    first blamed for a dlt follow-up job file a SIGTERM left in TMPDIR; a cold run left one too, and the cause,
    dlt writing it to the temporary directory, is mended in omniload/workdir.py.)
    """
    return subprocess.Popen(
        [sys.executable, "-m", "omniload", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {}), "COLUMNS": "200"},
    )


def wait_until(process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float) -> None:
    """Return the moment `ready()` holds (checked every 10 ms); fail the test if the run ends or hangs first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended (exit {process.returncode}) before it reached the point:\n{out}{err}")
        if time.monotonic() > deadline:
            pytest.fail("the run never reached the point it was waited for")
        time.sleep(0.01)


def kill_when(
    args: list[str], ready: Callable[[], bool], timeout: float = 60.0, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], float]:
    """Start the CLI, and SIGKILL it the moment `ready()` holds. Returns the process and the time it was killed;
    fails the test if the run ended on its own first."""
    process = start_cli(args, env)
    try:
        wait_until(process, ready, timeout)
        process.send_signal(signal.SIGKILL)
        killed = time.time()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    return process, killed


def settled(fake: FakeCustomerIO) -> int:
    """After a kill: the faults left unused are dropped and the killed run's requests still in flight are
    answered, so the position returned (in `fake.log`) starts the next run's requests and only theirs."""
    fake.clear_faults()
    assert fake.wait_idle(), "the fake still answers the killed run's requests"
    return len(fake.log)


def signal_when(
    args: list[str], ready: Callable[[], bool], signum: int, env: dict[str, str], timeout: float = 60.0
) -> Ran:
    """Start the CLI, send it `signum` the moment `ready()` holds, and wait for it to end."""
    started = time.time()
    process = start_cli(args, env)
    try:
        wait_until(process, ready, timeout)
        process.send_signal(signum)
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return Ran(process.returncode, out, err, started, time.time())


def contents(dest: Dest, tables: tuple[str, ...], like: Dest | None = None) -> dict[str, Any]:
    """Each table's rows without dlt's own columns (load ids differ from run to run), as comparable values; with
    `like`, the columns of `like`'s table of the same name (a table loaded over many runs keeps the columns of
    records gone since, null in every row)."""
    out: dict[str, Any] = {}
    for table in tables:
        named = like or dest
        columns = [
            row[0]
            for row in named.sql(
                "select column_name from information_schema.columns "
                f"where table_schema = '{named.dataset}' and table_name = '{table}' order by column_name"
            )
            if not row[0].startswith(("_dlt_", "_omniload_"))
        ]
        out[table] = tuple(dest.rows(table, ", ".join(f'"{c}"' for c in columns)))
    return out


#: Small: these tests change records between runs and load several destinations.
SPEC = WorkspaceSpec(people=40, deliveries=300, activities=10, objects_per_type=5)
