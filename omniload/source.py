"""What a source is, in the terms the core understands: tables, requests, strategies, intervals and cursor rules.

The core (`run/`, `state.py`, `cli/`, `progress.py`) knows sources only through this module: a source
declares its tables as `TableSpec`s (or a subclass that adds how it reads them), builds a `TableRequest` per
table a run loads, and hands the run a `Reader` that yields pages of rows. README "Adding a source" walks through
what a new source provides; `omniload/sources/__init__.py` is where it is registered.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from omniload.errors import UsageError
from omniload.http import HttpClient

Row = dict[str, Any]
Page = list[Row]


class Strategy(StrEnum):
    """How the destination takes a table's rows (README "Nightly runs"); `parse` is the one validator."""

    REPLACE = "replace"
    APPEND = "append"
    MERGE = "merge"
    DELETE_INSERT = "delete+insert"
    SCD2 = "scd2"

    @classmethod
    def parse(cls, value: str) -> Strategy:
        try:
            return cls(value)
        except ValueError:
            raise UsageError(f"unknown --incremental-strategy {value!r}; use one of {', '.join(cls)}") from None


class CursorRule(StrEnum):
    """Where a table's next run starts (README "Nightly runs").

    HIGHEST_VALUE: from the highest incremental key value loaded. RUN_TIME: from the time the run read up to,
    less the source's look-back, for records that keep changing after they were created (deliveries).
    """

    HIGHEST_VALUE = "highest_value"
    RUN_TIME = "run_time"


@dataclass(frozen=True)
class Interval:
    """Inclusive bounds in Unix seconds; either may be open."""

    start: int | None = None
    end: int | None = None

    def __bool__(self) -> bool:
        return self.start is not None or self.end is not None

    def holds(self, value: Any) -> bool:
        """Records without the key are kept: under merge, loading them again is harmless."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return True
        return (self.start is None or value >= self.start) and (self.end is None or value <= self.end)


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """One table of a source as the core sees it. A source subclasses it to add how the table is read.

    `periods`: the variants a table must be asked for (`table:period`), each loaded as its own table; empty for
    most tables. `types`: columns brought to one type whatever the API sends (ids). `in_all`: whether
    `--source-table all` loads the table; `all+` loads every table.
    """

    name: str
    description: str
    primary_key: tuple[str, ...]
    incremental_key: str | None = None
    strategy: Strategy = Strategy.REPLACE
    cursor: CursorRule = CursorRule.HIGHEST_VALUE
    periods: tuple[str, ...] = ()
    types: Mapping[str, type] = field(default_factory=dict)
    in_all: bool = True
    tombstones: bool = False  # rows whose key vanished from a complete read get `_omniload_deleted_at`

    @property
    def display_name(self) -> str:
        """The name `omniload tables` shows: `table:period` where a period is needed."""
        return f"{self.name}:period" if self.periods else self.name


T = TypeVar("T", bound=TableSpec)


@dataclass(frozen=True)
class Partial:
    """A read of part of a table (README "Nightly runs"): the destination replaces the rows whose `key` column
    holds a value the read returned, and keeps the others. Rows to drop besides come as `Removal`s."""

    key: str
    summary: str = ""  # how the table was refreshed, for the log ("412 of 100,000 people changed, re-read")


@dataclass(frozen=True)
class Removal:
    """Rows the destination loses once the table's load is committed: those whose `columns` hold one of
    `values` (a tuple per row), or, with `before`, whose one column holds a number below it. Applying one twice
    changes nothing, so a run killed between its load and its removals applies them again next time."""

    columns: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...] = ()
    before: int | None = None


@dataclass(frozen=True)
class Present:
    """The keys a complete read of a table found (README "Nightly runs", docs/contract/customerio/changes.md
    section 4): once the load is committed, rows of other keys get `_omniload_deleted_at` (`at`, Unix seconds)
    where they have none, and rows of these keys lose it. Applying it twice changes nothing."""

    key: str
    keys: tuple[Any, ...]
    at: int


@dataclass
class TableRequest(Generic[T]):
    """One table of a run: the source's table, its period, the name it loads under (`load_name`), and what the
    user or the saved cursor changed of the table's defaults.

    `memory`: what the source kept for this table at its last committed load (a change feed's watermark), saved
    again from the same dict when the table is committed; None when the run keeps none (`partial_refused` says
    why: --full-refresh, or a destination that cannot remove rows). A source that reads only part of the table
    sets `partial` before the table's first page, and the rows to remove in `removals` before its end; one that
    falls back to reading the whole table sets `replace`: the load replaces it, whatever its strategy (its
    cursor still moves as the strategy says).
    """

    table: T
    period: str | None = None
    load_name: str = ""
    interval: Interval = field(default_factory=Interval)
    resume_from: Any = None  # a `Position` value: the read starts after it
    memory: dict[str, Any] | None = None
    partial_refused: str = ""
    partial: Partial | None = None
    replace: bool = False
    removals: list[Removal | Present] = field(default_factory=list)
    strategy: Strategy = field(init=False)
    primary_key: tuple[str, ...] = field(init=False)
    incremental_key: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.load_name = self.load_name or self.table.name
        self.strategy = self.table.strategy
        self.primary_key = self.table.primary_key
        self.incremental_key = self.table.incremental_key


@dataclass(frozen=True)
class Position:
    """A point inside a long table's read (the `Reader` protocol): every row before it has been yielded, and a
    read asked to resume from `value` (`TableRequest.resume_from`) yields only the rows after it (for a merge
    table, some rows after it may have been yielded too: its load keeps one row per key). A reader that reads
    a table in chunks says so first, with a `Position` whose `value` is None. `label` says where the value is,
    in words a user reads when a run resumes from it ("people after cio_id …")."""

    value: Any = None
    label: str = ""


#: What `Reader.read_all` yields for a table: a page of rows, a position inside it, or None once it is complete.
Item = Page | Position | None


@dataclass(frozen=True)
class Estimate:
    """What reading one table of a run will cost, as `--plan` prints it (README "A plan before the run").

    `requests`: the requests the table's read will make, or None where that cannot be known cheaply;
    `at_least`: the count is a floor (a parent whose children span pages costs more); `note`: how the figure
    was made, or, for an unknown, the rule its cost follows.
    """

    load_name: str
    requests: int | None
    at_least: bool = False
    note: str = ""


class Reader(Protocol):
    """A run's reads: every page of every requested table, through one HTTP client (counted, rate limited).

    `read_all` yields `(request, page)`, and `(request, None)` once a table's read is complete: the pipeline
    may then commit the table (a checkpoint, README "Checkpoints and resume"). A table the reader never
    says is complete is committed when `read_all` ends. A table read in chunks also yields `Position`s.
    """

    @property
    def http(self) -> HttpClient: ...

    @property
    def now(self) -> int:
        """The run's "now" in Unix seconds: where an open interval ends and a RUN_TIME cursor moves to."""
        ...

    def read_all(self, requests: list[TableRequest[Any]]) -> Iterator[tuple[TableRequest[Any], Item]]: ...


@runtime_checkable
class PageSized(Protocol):
    """A reader whose API takes a page size (`--page-size`, README "Shaping what lands")."""

    def set_page_size(self, requests: list[TableRequest[Any]], size: int) -> None:
        """Ask for `size` records a page on the paged reads of `requests`; a UsageError line when `size` is above
        an API maximum or when none of the tables is read in pages of a size the client chooses."""
        ...


class Source(Protocol):
    """A source as the CLI finds it in the registry (`omniload/sources/__init__.py`)."""

    @property
    def name(self) -> str:
        """The URI scheme, and the name `omniload tables NAME` takes."""
        ...

    @property
    def uri_example(self) -> str:
        """Shown in `--help` and in errors, e.g. `crm://?api_key=KEY`."""
        ...

    @property
    def tables(self) -> Sequence[TableSpec]: ...

    def docs_page(self) -> str:
        """The Markdown page `omniload docs NAME` prints."""
        ...

    def help_examples(self) -> str:
        """Example commands for `omniload ingest --help`."""
        ...

    def connect(self, uri: str) -> Connection:
        """The URI checked (raising UsageError); what one run needs to read."""
        ...


class Connection(Protocol):
    """A source with its URI's settings: builds a run's table requests and its reader."""

    @property
    def lookback_days(self) -> int:
        """How far before its cursor a RUN_TIME table is read again."""
        ...

    def select(self, spec: str) -> list[TableRequest[Any]]: ...

    def reader(self) -> Reader: ...

    def plan(self, requests: list[TableRequest[Any]], reader: Reader) -> list[Estimate]:
        """One `Estimate` per request, in their order, from what `reader` reads cheaply (lists of parents, counts
        the API gives) and nothing else: `omniload ingest --plan` (README "A plan before the run")."""
        ...


def select_tables(tables: Sequence[T], spec: str, title: str) -> list[TableRequest[T]]:
    """`--source-table`: one table, a comma-separated list, `all` (the tables marked `in_all`) or `all+` (every
    table); tables with periods need `:period`, except in `all` and `all+`, which load every period.

    With several tables a period's table loads as `<table>_<period>`; `title` names the source in errors.
    """
    names = [part.strip() for part in spec.split(",") if part.strip()]
    if not names:
        raise UsageError(f"--source-table is empty; tables: {', '.join(_listed(tables))}")
    if names in (["all"], ["all+"]):
        chosen = [t for t in tables if t.in_all or names == ["all+"]]
        return [
            TableRequest(t, p, f"{t.name}_{p}" if p else t.name) for t in chosen for p in (t.periods or (None,))
        ]
    requests = [_request(tables, name, title) for name in names]
    if len(requests) > 1:
        for request in requests:
            if request.period:
                request.load_name = f"{request.table.name}_{request.period}"
    load_names = [r.load_name for r in requests]
    duplicates = sorted({n for n in load_names if load_names.count(n) > 1})
    if duplicates:
        raise UsageError(f"--source-table names {', '.join(duplicates)} more than once")
    return requests


def tables_markdown(tables: Sequence[TableSpec]) -> str:
    """`omniload tables NAME --markdown`: name, primary key, incremental key, strategy, what each holds."""
    lines = ["| Table | Primary key | Incremental key | Strategy | What it holds |", "|---|---|---|---|---|"]
    for table in tables:
        holds = table.description
        if table.periods:
            holds += " Period: " + ", ".join(table.periods) + "."
        lines.append(
            f"| `{table.display_name}` | {', '.join(table.primary_key)} | {table.incremental_key or '–'} "
            f"| {table.strategy} | {holds} |"
        )
    return "\n".join(lines) + "\n"


def _listed(tables: Sequence[TableSpec]) -> list[str]:
    return [f"{t.name}:<period>" if t.periods else t.name for t in tables]


def _request(tables: Sequence[T], name: str, title: str) -> TableRequest[T]:
    table_name, _, period = name.partition(":")
    by_name = {t.name: t for t in tables}
    table = by_name.get(table_name)
    if table is None:
        close = difflib.get_close_matches(table_name, list(by_name), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UsageError(f"unknown {title} table {table_name!r}; {hint}tables: {', '.join(_listed(tables))}")
    return TableRequest(table, _period(table, period))


def _period(table: TableSpec, period: str) -> str | None:
    if not table.periods:
        if period:
            raise UsageError(f"{table.name} takes no period; use --source-table {table.name}")
        return None
    if period not in table.periods:
        given = f"period {period!r}" if period else "no period"
        options = [f"{table.name}:{table.periods[0]}", *(f":{p}" for p in table.periods[1:])]
        choices = f"{', '.join(options[:-1])} or {options[-1]}" if len(options) > 1 else options[0]
        raise UsageError(f"{table.name} needs a period, got {given}: use {choices}")
    return period
