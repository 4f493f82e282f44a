"""The completeness contract every source with a fake and a truth can run: each table, loaded by the real CLI
from the fake into a real DuckDB file, holds exactly the truth's keys, none missing, none extra, none twice.

A source's tests get it by describing the source once (`Contract`) and parametrising over `table_specs`, the way
Singer SDK taps get their standard tests; README "Adding a source" shows the Customer.io and the tiny source's
uses (`tests/sources/customerio/test_tables_complete.py`, `tests/sources/tiny/test_tiny_source.py`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from omniload.source import TableSpec

#: The truth's keys for (table, period or None, the run's end in Unix seconds); the end matters to tables whose
#: rows depend on when the run happened (periods up to now), and is tried at the run's start and at its end.
Truth = Callable[[str, str | None, int], set[tuple[Any, ...]]]


@dataclass(frozen=True, kw_only=True)
class Contract:
    """A source under the contract: its tables, its URI pointed at its fake, and the truth to compare with.

    `row_identity` names, per table, columns that tell rows apart where the primary key alone does not (the
    loaded rows are checked for duplicates on them, and compared with the truth on the key's columns).
    `env`: variables the CLI needs to find the source (`OMNILOAD_SOURCES` for one outside the package).
    """

    tables: Sequence[TableSpec]
    source_uri: str
    truth: Truth
    row_identity: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Loaded:
    """One table's load: the rows read back on its identity columns, and the run's exit and output."""

    rows: list[tuple[Any, ...]]
    code: int
    output: str


def table_specs(tables: Sequence[TableSpec]) -> list[str]:
    """Every `--source-table` value a source accepts alone: each table, in each of its periods."""
    return [f"{t.name}:{p}" if p else t.name for t in tables for p in (t.periods or (None,))]


def check_table(contract: Contract, spec: str, folder: Path) -> Loaded:
    """Load `spec` alone into `folder`/contract.duckdb and assert it matches the truth; returns what loaded."""
    name, _, period = spec.partition(":")
    table = next(t for t in contract.tables if t.name == name)
    database = folder / "contract.duckdb"
    started = int(time.time())
    ran = subprocess.run(
        [sys.executable, "-m", "omniload", "ingest", "--source-uri", contract.source_uri, "--source-table", spec,
         "--dest-uri", f"duckdb:///{database}", "--dest-table", f"contract.{name}"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
        env={**os.environ, **contract.env, "COLUMNS": "200"},
    )
    ended = int(time.time())
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output
    identity = contract.row_identity.get(name, table.primary_key)
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.sql(f"select {', '.join(identity)} from contract.contract.{name}").fetchall()
    assert len(rows) == len(set(rows)), f"{spec}: duplicated rows"
    loaded = {row[len(identity) - len(table.primary_key):] for row in rows}
    candidates = [contract.truth(name, period or None, end) for end in (started, ended)]
    assert loaded in candidates, f"{spec}: {len(loaded)} keys loaded, the truth has {len(candidates[-1])}"
    assert loaded, f"{spec}: the fake serves rows for every table, so an empty table is a failed read"
    return Loaded(rows, ran.returncode, output)
