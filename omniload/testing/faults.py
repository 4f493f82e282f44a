"""Crash points for tests: the process stops itself right after a chosen SQL statement of the load.

Issue 14 asks that what a killed load keeps be proved by killing the process at each statement of the load, not
at moments chosen by sleeps and luck (README, "Nightly runs"). With `OMNILOAD_KILL_AFTER_STATEMENT=TEXT` in the
environment, `arm()` (called when the first load step starts) wraps the SQL clients of dlt's DuckDB and
PostgreSQL destinations: each statement the load runs is written to stderr as `omniload-fault: <statement on one
line>`, a COMMIT as `COMMIT after <the last statement of that connection's transaction>` (PostgreSQL's bulk COPY
into staging tables is not listed), and the process sends itself SIGKILL right after the first statement whose
line contains TEXT (`TEXT#2`: the second one; `SIGTERM:TEXT`: that signal instead). An empty TEXT only lists the
statements. Load jobs run in parallel and in no fixed order, which is why a statement is named by its text and
not by its position. Without the variable (every real run) `arm()` does nothing.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

VARIABLE = "OMNILOAD_KILL_AFTER_STATEMENT"
_lock = threading.Lock()
_seen: dict[str, int] = {}


@dataclass(frozen=True)
class KillPoint:
    """The statement to stop after: the `occurrence`-th whose line contains `text` (no text: never), and the
    signal the process then sends itself."""

    text: str
    occurrence: int = 1
    signum: int = signal.SIGKILL

    @classmethod
    def parse(cls, value: str) -> KillPoint:
        named = re.match(r"(SIG[A-Z]+):", value)
        signum = signal.Signals[named.group(1)] if named else signal.SIGKILL
        value = value[named.end() :] if named else value
        text, _, occurrence = value.rpartition("#") if re.search(r"#\d+$", value) else (value, "", "1")
        return cls(text, int(occurrence), signum)


_armed = False


def arm() -> None:
    """Install the crash point named by the environment, if any; a no-op otherwise, and when already armed (a
    run loads once per checkpoint)."""
    global _armed
    value = os.environ.get(VARIABLE)
    if value is None or _armed:
        return
    _armed = True
    from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
    from dlt.destinations.impl.postgres.sql_client import Psycopg2SqlClient

    point = KillPoint.parse(value)
    client: Any
    for client in (DuckDbSqlClient, Psycopg2SqlClient):
        client.execute_query = _counted_query(client.execute_query, point)
        client.commit_transaction = _counted_commit(client.commit_transaction, point)


def _counted_query(execute_query: Callable[..., Any], point: KillPoint) -> Callable[..., Any]:
    @contextmanager
    def wrapped(self: Any, query: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with execute_query(self, query, *args, **kwargs) as cursor:
            line = _one_line(self, query)
            self._omniload_previous = line  # the statement a COMMIT on this connection follows
            _ran(line, point)
            yield cursor

    return wrapped


def _one_line(client: Any, query: Any) -> str:
    if hasattr(query, "as_string"):  # psycopg2's composed SQL
        query = query.as_string(client.native_connection)
    return " ".join(str(query).split())[:300]


def _counted_commit(commit: Callable[[Any], None], point: KillPoint) -> Callable[[Any], None]:
    def wrapped(self: Any) -> None:
        commit(self)
        before, self._omniload_previous = getattr(self, "_omniload_previous", ""), ""
        _ran(f"COMMIT after {before}" if before else "COMMIT of statements not listed (a bulk COPY)", point)

    return wrapped


def _ran(line: str, point: KillPoint) -> None:
    with _lock:
        sys.stderr.write(f"omniload-fault: {line}\n")
        sys.stderr.flush()
        if not point.text or point.text not in line:
            return
        _seen[point.text] = _seen.get(point.text, 0) + 1
        if _seen[point.text] == point.occurrence:
            os.kill(os.getpid(), point.signum)
