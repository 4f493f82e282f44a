"""omniload's adjustments to dlt's DuckDB destination, against a real DuckDB file: a merge keeps exactly one row
per primary key however many copies one load carries, replaces the rows it read again and leaves the others; a
`dedup_sort` hint still picks by its column (dlt's own SQL); `?memory_limit=` reaches DuckDB; and dlt loads
one job at a time into it."""

from __future__ import annotations

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
        pipeline_name="dedup", destination=destination.dlt_destination, dataset_name="s",
        pipelines_dir=str(db.parent / "pipelines"),
    )
    resource = dlt.resource(
        [pa.Table.from_pylist(rows)], name="t", primary_key="id",
        write_disposition={"disposition": "merge", "strategy": "delete-insert"}, **hints,
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
