"""The neutral source types (`omniload/source.py`): table selection, the one strategy validator, intervals."""

from __future__ import annotations

import pytest

from omniload.errors import UsageError
from omniload.source import Interval, Strategy, TableSpec, select_tables, tables_markdown

TABLES = (
    TableSpec(name="things", description="Things.", primary_key=("id",), incremental_key="updated",
              strategy=Strategy.MERGE),
    TableSpec(name="thing_metrics", description="Metrics of things.", primary_key=("id", "period"),
              periods=("days", "weeks")),
)


def test_all_expands_periods_into_their_own_tables() -> None:
    requests = select_tables(TABLES, "all", "Test")
    assert [(r.table.name, r.period, r.load_name) for r in requests] == [
        ("things", None, "things"),
        ("thing_metrics", "days", "thing_metrics_days"),
        ("thing_metrics", "weeks", "thing_metrics_weeks"),
    ]
    assert requests[0].strategy == Strategy.MERGE and requests[0].incremental_key == "updated"


def test_all_plus_adds_the_tables_beyond_all() -> None:
    rare = TableSpec(name="rare_things", description="Rare.", primary_key=("id",), periods=("days",), in_all=False)
    tables = (*TABLES, rare)
    of_all = ["things", "thing_metrics_days", "thing_metrics_weeks"]
    assert [r.load_name for r in select_tables(tables, "all", "Test")] == of_all
    assert [r.load_name for r in select_tables(tables, "all+", "Test")] == [*of_all, "rare_things_days"]
    assert select_tables(tables, "rare_things:days", "Test")[0].load_name == "rare_things"


def test_one_period_table_alone_keeps_its_name_and_several_get_the_period() -> None:
    assert select_tables(TABLES, "thing_metrics:days", "Test")[0].load_name == "thing_metrics"
    several = select_tables(TABLES, "things, thing_metrics:weeks", "Test")
    assert [r.load_name for r in several] == ["things", "thing_metrics_weeks"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "--source-table is empty; tables: things, thing_metrics:<period>"),
        ("thigns", "unknown Test table 'thigns'; did you mean 'things'? tables: things, thing_metrics:<period>"),
        ("things:days", "things takes no period; use --source-table things"),
        ("thing_metrics", "thing_metrics needs a period, got no period: use thing_metrics:days or :weeks"),
        ("things,things", "--source-table names things more than once"),
    ],
)
def test_selection_mistakes_are_one_line_usage_errors(spec: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        select_tables(TABLES, spec, "Test")
    assert str(caught.value) == message


def test_strategy_parse_is_the_one_validator() -> None:
    assert Strategy.parse("delete+insert") is Strategy.DELETE_INSERT
    with pytest.raises(UsageError, match="use one of replace, append, merge, delete\\+insert, scd2"):
        Strategy.parse("upsert")


def test_interval_keeps_records_without_the_key() -> None:
    interval = Interval(start=10, end=20)
    assert interval.holds(10) and interval.holds(20.0) and not interval.holds(21) and not interval.holds(9)
    assert interval.holds(None) and interval.holds("soon") and interval.holds(True)
    assert not Interval() and Interval(end=5)


def test_tables_markdown_names_periods() -> None:
    lines = tables_markdown(TABLES).splitlines()
    assert lines[2] == "| `things` | id | updated | merge | Things. |"
    assert lines[3] == (
        "| `thing_metrics:period` | id, period | – | replace | Metrics of things. Period: days, weeks. |"
    )
