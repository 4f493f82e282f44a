"""Issue 14, points 1 and 2: a load killed right after any one of its statements leaves each table either as it
was or complete from the new run, and a table's cursor moves only with its rows. Real CLI, real DuckDB file, real
PostgreSQL database.

The kill is deterministic: `OMNILOAD_KILL_AFTER_STATEMENT` (omniload/testing/faults.py)
makes the child process SIGKILL
itself right after the named statement ran. A first run with the variable empty lists the statements of the
load (and shows what a complete run leaves); then, for every statement that writes into the dataset and every
COMMIT, a copy of the destination as it was before is loaded again and the process is killed right after that
statement.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from omniload.clock import VARIABLE as NOW
from omniload.testing.customerio import FakeCustomerIO
from omniload.testing.faults import VARIABLE
from tests import launcher
from tests.state.support import POSTGRES_URI, Dest, contents, ingest_args, loaded, postgres_available, run

#: A replace table (customers) and a merge table with a cursor (campaigns).
TABLES = ("customers", "campaigns")
#: A sentinel column per table, set on every row before the run: the new run's rows never carry it.
SENTINELS = {"customers": "email", "campaigns": "name"}
WRITES = ("INSERT", "DELETE", "TRUNCATE", "UPDATE", "CREATE", "ALTER", "DROP", "COMMIT")
FAULT = "omniload-fault: "
#: Runs per kill point whose statement a run's job order named otherwise (see `reached`).
ATTEMPTS = 3
#: A qualified table name; the first one in a statement is the table it writes.
_QUALIFIED = re.compile(r'^(?!COMMIT)[^"]*(?:"[^"]*"\.)+"[^"]*"')


def test_killed_at_each_statement_of_the_load(fake: FakeCustomerIO, origin: Copies) -> None:
    first = origin.copy("first")
    loaded(run(fake, first, ",".join(TABLES)))
    ws = fake.ws
    ws.update_records(touch=[("campaign", 8)], at=ws.now - 60)
    for table, column in SENTINELS.items():
        first.sql(f'update "{first.dataset}"."{table}" set "{column}" = \'sentinel\'')
    origin.keep(first)
    before, before_cursors = contents(first, TABLES), first.cursors()

    complete = origin.copy("complete")
    listed = killed_run(fake, complete, "")
    assert listed.returncode == 0, listed.stderr
    after, after_cursors = contents(complete, TABLES), complete.cursors()
    for table in TABLES:
        assert before[table] != after[table] and after[table], table  # each table tells the two apart
    assert after_cursors["campaigns"] != before_cursors["campaigns"]

    points = kill_points(statements(listed.stderr))
    customers = origin.qualified("customers")
    emptying = (f"DELETE FROM {customers} WHERE", f"TRUNCATE TABLE {customers}")
    assert len([p for p in points if p.startswith(emptying)]) == 1  # the replace's first statement on the table

    def kill(point: str, repeat: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
        for attempt in range(ATTEMPTS):
            target = origin.copy(f"k{repeat}_{points.index(point)}_{attempt}")
            ended = killed_run(fake, target, point)
            if ended.returncode != 0 or reached(point, statements(ended.stderr)):
                break
        assert ended.returncode == -9, f"{point}: exit {ended.returncode}\n{ended.stderr}"
        assert point.rsplit("#", 1)[0] in statements(ended.stderr)[-1], point
        return point, contents(target, TABLES), target.cursors()

    def sweep(repeat: int) -> tuple[list[tuple[str, dict[str, Any], dict[str, Any]]], int]:
        """Every kill point once, each outcome checked; how many left one table new and the other old."""
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda point: kill(point, repeat), points))
        mixed = 0
        for point, kept, cursors in outcomes:
            for table in TABLES:
                assert kept[table] in (before[table], after[table]), f"{table} after {point}"
                if cursors.get(table) != before_cursors.get(table):  # a cursor moves only with its table's rows
                    assert kept[table] == after[table], f"{table}'s cursor moved without its rows after {point}"
            mixed += len({kept[t] == after[t] for t in TABLES}) == 2
        return outcomes, mixed

    # The two tables' jobs may commit in either order from run to run, so the kill between their commits can
    # find both done; the sweep is repeated (every outcome checked again) until one run shows the mixed state.
    for repeat in range(ATTEMPTS):
        outcomes, mixed = sweep(repeat)
        if mixed:
            break
    assert mixed, "no kill point fell between two tables' commits"
    assert outcomes[0][1] == before and outcomes[-1][1] == after  # the first write kept all; the last, the load's
    assert outcomes[-1][2]["campaigns"] == after_cursors["campaigns"]


@pytest.fixture(params=["duckdb", "postgres"])
def origin(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Copies]:
    copies = Copies(request.param, tmp_path)
    try:
        yield copies
    finally:
        copies.drop()


def killed_run(fake: FakeCustomerIO, dest: Dest, point: str) -> subprocess.CompletedProcess[str]:
    """The CLI with a crash point (`""`: none, only the list of statements on stderr), loading one table at a
    time (dlt's `load.workers`), so that a kill right after one table's COMMIT finds the next one not begun, and
    with one hash seed for every run: dlt truncates the staging tables in the order of a set of their names, and
    a COMMIT is named by the statement before it. Every run has the same "now" (the workspace's), which the
    statements marking vanished campaigns carry."""
    env = {**os.environ, VARIABLE: point, "COLUMNS": "200", "LOAD__WORKERS": "1", "PYTHONHASHSEED": "0"}
    return launcher.run(ingest_args(fake, dest, ",".join(TABLES)), env={**env, NOW: str(fake.ws.now)}, timeout=300)


def reached(point: str, lines: list[str]) -> bool:
    """Whether a run's statements include the point's: a bulk COPY's COMMIT is named by the statement before it
    on its thread, and dlt hands load jobs to threads in no fixed order, so a run may name that COMMIT otherwise
    (and then runs to the end, to be tried again on a fresh copy)."""
    text, _, occurrence = point.rpartition("#")
    return sum(text in line for line in lines) >= int(occurrence)


def statements(stderr: str) -> list[str]:
    return [line.removeprefix(FAULT) for line in stderr.splitlines() if line.startswith(FAULT)]


def kill_points(lines: list[str]) -> list[str]:
    """A crash point per statement that writes into the dataset, and per COMMIT (writes into the staging schema
    alone change nothing a reader of the dataset sees): its text up to the load file's name (which changes from
    run to run), and which occurrence of that text it is."""
    points = []
    for index, line in enumerate(lines):
        target = _QUALIFIED.search(line)
        if not line.upper().startswith(WRITES) or (target and '_staging"' in target[0]):
            continue
        text = line.split(" read_parquet(")[0][:150]
        occurrence = sum(text in earlier for earlier in lines[: index + 1])
        points.append(f"{text}#{occurrence}")
    return points


class Copies:
    """Copies of one destination, each loaded and killed on its own. DuckDB: files of the same name in their own
    folders (the file's name is the catalog name in the SQL). PostgreSQL: databases made from the kept one as
    a template (a database of this test's own, as a template may have no other connection)."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind, self.root = kind, root
        self.prefix = f"omniload_kill_{uuid.uuid4().hex[:10]}"
        self.kept: Dest | None = None
        self.databases: list[str] = []
        if kind == "postgres" and not postgres_available():
            pytest.fail(f"no PostgreSQL at {POSTGRES_URI} (set OMNILOAD_TEST_POSTGRES_URI)")

    def copy(self, name: str) -> Dest:
        if self.kind == "duckdb":
            path = self.root / name / "warehouse.duckdb"
            path.parent.mkdir()
            if self.kept is not None:
                assert self.kept.path is not None
                shutil.copy(self.kept.path, path)
            return Dest("duckdb", f"duckdb:///{path}", "cio", path)
        database = f"{self.prefix}_{name}"
        template = f' template "{self.databases[0]}"' if self.kept is not None else ""
        admin(f'create database "{database}"{template}')
        self.databases.append(database)
        return Dest("postgres", f"{POSTGRES_URI.rsplit('/', 1)[0]}/{database}", "cio")

    def keep(self, dest: Dest) -> None:
        """`dest` as it is now is what every later copy starts from."""
        self.kept = dest

    def qualified(self, table: str) -> str:
        return f'"warehouse"."cio"."{table}"' if self.kind == "duckdb" else f'"cio"."{table}"'

    def drop(self) -> None:
        for database in self.databases:
            admin(f'drop database if exists "{database}" with (force)')


def admin(statement: str) -> None:
    """A statement outside any transaction on the server's `test` database (CREATE/DROP DATABASE)."""
    import psycopg2

    connection = psycopg2.connect(POSTGRES_URI)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()
