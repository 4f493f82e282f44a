"""omniload's adjustments to dlt's DuckDB destination, against a real DuckDB file: a merge keeps exactly one row
per primary key however many copies one load carries, replaces the rows it read again and leaves the others; a
`dedup_sort` hint still picks by its column (dlt's own SQL); `?memory_limit=` reaches DuckDB; dlt loads
one job at a time into it; and the dlt methods the adjustments patch are still there, as dlt defines them (issue
21: the dlt range in pyproject.toml is the minor these tests pass with)."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from omniload.destinations import resolve
from omniload.dlt_duckdb import adjust_dlt_duckdb
from omniload.errors import UsageError


def load(db: Path, rows: list[dict[str, Any]], **hints: Any) -> None:
    import dlt

    adjust_dlt_duckdb()
    destination = resolve(f"duckdb:///{db}")
    pipeline = dlt.pipeline(
        pipeline_name="dedup",
        destination=destination.dlt_destination,
        dataset_name="s",
        pipelines_dir=str(db.parent / "pipelines"),
    )
    resource = dlt.resource(
        [pa.Table.from_pylist(rows)],
        name="t",
        primary_key="id",
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        **hints,
    )
    pipeline.run(resource).raise_on_failed_jobs()


def rows_of(db: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return sorted(connection.sql(f'select id, v from "{db.stem}".s.t').fetchall())


def test_merge_keeps_one_row_per_key(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    first = [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 1, "v": "a"}, {"id": 3, "v": "c"}]
    load(db, first + [{"id": 2, "v": "b"}])
    assert rows_of(db) == [(1, "a"), (2, "b"), (3, "c")]
    load(db, [{"id": 2, "v": "B"}, {"id": 4, "v": "d"}, {"id": 2, "v": "B"}])
    assert rows_of(db) == [(1, "a"), (2, "B"), (3, "c"), (4, "d")]


def test_dedup_sort_still_chooses_by_its_column(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    rows = [{"id": 1, "v": "old", "at": 1}, {"id": 1, "v": "new", "at": 3}, {"id": 1, "v": "mid", "at": 2}]
    load(db, rows, columns={"at": {"dedup_sort": "desc"}})
    assert rows_of(db) == [(1, "new")]


def test_memory_limit_reaches_duckdb(tmp_path: Path) -> None:
    settings = resolve(f"duckdb:///{tmp_path}/x.duckdb?memory_limit=1GB").dlt_destination.config_params
    assert settings["credentials"].global_config["memory_limit"] == "1GB"
    default = resolve(f"duckdb:///{tmp_path}/x.duckdb").dlt_destination.config_params
    assert default["credentials"].global_config["memory_limit"] == "64MB"
    with pytest.raises(UsageError, match="not a size"):
        resolve(f"duckdb:///{tmp_path}/x.duckdb?memory_limit=lots")


def test_jobs_load_one_at_a_time(tmp_path: Path) -> None:
    """The memory limit is the database's: parallel jobs would share it (four delivery tables ran out of 64 MB)."""
    destination = resolve(f"duckdb:///{tmp_path}/x.duckdb").dlt_destination
    assert destination.capabilities().loader_parallelism_strategy == "sequential"


# --- the dlt internals the adjustments rely on: pyproject bounds dlt to the minor these pass with ---------------

#: Each dlt method omniload/dlt_duckdb.py replaces, overrides or calls, where dlt defines it, and the parameters
#: omniload's code gives it. Checked in a fresh interpreter, where the adjustments are not installed.
DLT_CONTRACT = """
import inspect, json
from dlt.destinations.impl.duckdb.duck import DuckDbClient
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
from dlt.destinations.sql_jobs import SqlMergeFollowupJob
found = {}
for owner, name in [(DuckDbClient, "_create_merge_followup_jobs"), (DuckDbSqlClient, "catalog_name"),
                    (SqlMergeFollowupJob, "gen_select_from_dedup_sql"), (SqlMergeFollowupJob, "from_table_chain")]:
    method = getattr(owner, name, None)
    defined_by = next((c.__name__ for c in owner.__mro__ if name in vars(c)), None)
    parameters = list(inspect.signature(method).parameters) if method else None
    found[f"{owner.__name__}.{name}"] = [defined_by, parameters]
print(json.dumps(found))
"""

DEDUP_PARAMETERS = [
    "table_name",
    "primary_keys",
    "columns",
    "dedup_sort",
    "condition",
    "condition_columns",
    "skip_dedup",
]


def test_the_dlt_methods_patched_are_still_dlts() -> None:
    """A new dlt that renames, re-signs or overrides one of these for DuckDB fails here, naming it: update
    omniload/dlt_duckdb.py for that dlt, then widen pyproject's dlt range."""
    done = subprocess.run([sys.executable, "-c", DLT_CONTRACT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "DuckDbClient._create_merge_followup_jobs": ["SqlJobClientBase", ["self", "table_chain"]],
        "DuckDbSqlClient.catalog_name": ["SqlClientBase", ["self", "quote", "casefold"]],
        "SqlMergeFollowupJob.gen_select_from_dedup_sql": ["SqlMergeFollowupJob", DEDUP_PARAMETERS],
        "SqlMergeFollowupJob.from_table_chain": ["SqlFollowupJob", ["table_chain", "sql_client"]],
    }, f"dlt {importlib.metadata.version('dlt')} changed what omniload/dlt_duckdb.py patches"


def test_dlt_runs_the_adjusted_merge_sql(tmp_path: Path) -> None:
    """The merge statements dlt executed (kept in its load package) are the adjusted ones: dlt still asks
    `_create_merge_followup_jobs` for the merge job and `catalog_name` for the qualified names."""
    import dlt

    db = tmp_path / "d.duckdb"
    load(db, [{"id": 1, "v": "a"}, {"id": 1, "v": "a"}])
    pipeline = dlt.pipeline(pipeline_name="dedup", pipelines_dir=str(tmp_path / "pipelines"))
    (load_id,) = pipeline.list_completed_load_packages()
    jobs = pipeline.get_load_package_info(load_id).jobs["completed_jobs"]
    (sql,) = [Path(job.file_path).read_text() for job in jobs if job.file_path.endswith(".sql")]
    staging = '"d"."s_staging"."t"'
    assert f'FROM {staging} WHERE rowid IN (SELECT min(rowid) FROM {staging} GROUP BY "id")' in sql
    assert 'DELETE FROM "d"."s"."t"' in sql
