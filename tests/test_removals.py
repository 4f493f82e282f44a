"""Removals (omniload/run/removals.py) against real destinations: a table loaded by dlt into a DuckDB file and a
PostgreSQL schema loses exactly the rows a removal names, applying it twice changes nothing, and a table that
does not exist yet is left alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omniload.destinations import resolve
from omniload.run import removals
from omniload.source import Removal
from tests.state.support import POSTGRES_URI, postgres_available

ROWS = [
    {"customer_id": "a", "object_type_id": 1, "object_id": "x", "timestamp": 100},
    {"customer_id": "a", "object_type_id": 1, "object_id": "y", "timestamp": 200},
    {"customer_id": "b", "object_type_id": 2, "object_id": "x", "timestamp": 300},
    {"customer_id": "o'brien", "object_type_id": 1, "object_id": "z", "timestamp": 400},
]


@pytest.fixture(params=["duckdb", "postgres"])
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    import dlt

    dataset = f"removals_{uuid.uuid4().hex[:8]}"
    if request.param == "duckdb":
        destination = resolve(f"duckdb:///{tmp_path / 'r.duckdb'}")
    else:
        assert postgres_available(), "PostgreSQL runs on every machine of the project and in CI"
        destination = resolve(POSTGRES_URI)
    loaded = dlt.pipeline(
        f"p{uuid.uuid4().hex[:8]}",
        destination=destination.dlt_destination,
        dataset_name=dataset,
        pipelines_dir=str(tmp_path / "dlt"),
    )
    loaded.run(ROWS, table_name="rel")
    yield loaded
    with loaded.sql_client() as client:
        client.drop_dataset()


def remaining(pipeline: Any) -> list[tuple[Any, ...]]:
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name("rel")
        rows = client.execute_sql(f"SELECT customer_id, object_type_id, object_id FROM {name}")
    return sorted(tuple(row) for row in rows)


def test_rows_named_by_a_column_by_a_pair_and_by_age_are_removed(pipeline: Any) -> None:
    gone = [
        Removal(("customer_id",), (("o'brien",),)),
        Removal(("object_type_id", "object_id"), ((2, "x"),)),
        Removal(("timestamp",), before=150),
    ]
    removals.apply(pipeline, "rel", removals.from_state(removals.to_state(gone)))  # as kept in the state
    assert remaining(pipeline) == [("a", 1, "y")]
    removals.apply(pipeline, "rel", gone)  # applied again after a kill: nothing more goes
    assert remaining(pipeline) == [("a", 1, "y")]


def test_a_table_not_loaded_yet_has_nothing_to_remove(pipeline: Any) -> None:
    assert removals.apply(pipeline, "not_there", [Removal(("customer_id",), (("a",),))]) == 0
    assert len(remaining(pipeline)) == len(ROWS)
