"""The run summary (`omniload/progress.py`) from a run's figures (`omniload/results.py`), without a run."""

from __future__ import annotations

from omniload.progress import summary_lines
from omniload.results import RunResult, TableResult


def test_summary_rows_and_closing_sentence() -> None:
    result = RunResult(
        tables=[TableResult("customers", "customers", rows=1200, pages=2, requests=2, seconds=0.25)],
        requests=3, seconds=1.5, destination="duckdb /tmp/x.duckdb", dataset="cio", throttled=2,
    )
    rows, closing = summary_lines(result, waited=0.5)
    assert rows == [["customers", "1,200", "2", "0.2", "cio.customers"]]
    assert closing == (
        "Loaded 1,200 rows in 1 table(s) into duckdb /tmp/x.duckdb (schema cio) with 3 requests in 1.5s; "
        "the rate limit held requests back for 0.5s, throttled 2 times."
    )


def test_no_wait_and_no_throttling_are_not_mentioned() -> None:
    result = RunResult(tables=[], requests=0, seconds=0.0, destination="duckdb d", dataset="s")
    closing = summary_lines(result, waited=0.0)[1]
    assert closing == "Loaded 0 rows in 0 table(s) into duckdb d (schema s) with 0 requests in 0.0s."
