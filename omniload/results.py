"""A run's figures, per table and in all: what the pipeline counts and the progress displays show.

They live apart from both so that the run (omniload/run/) and `progress.py` can import them without importing
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TableResult:
    """One table's running figures; `destination_table` is the table it loads into (README "What the demo
    prints")."""

    name: str
    destination_table: str
    rows: int = 0
    pages: int = 0
    requests: int = 0
    seconds: float = 0.0


@dataclass
class RunResult:
    tables: list[TableResult]
    requests: int
    seconds: float
    destination: str
    dataset: str
    throttled: int = 0
    resumed: list[str] = field(default_factory=list)  # committed by an interrupted run, not read again
