"""What a run shows while it works, in the form its reader needs (`--progress`).

- `interactive` (the default on a terminal): a Rich live table per table (pages, rows, requests, requests per
  second, time waiting on the rate limit) with a run line and an estimate of the time left, on stdout. It is
  removed when the run ends; the summary replaces it. Table names stay whole on a narrow terminal: the less
  important columns go first (`DROPPED_FIRST`; README, "What the demo prints").
- `log` (the default when stdout is not a terminal): plain timestamped lines on stderr; the summary on stdout.
- `json`: one JSON object per line on stdout, nothing else on stdout (errors and warnings go to stderr). Every
  run prints `start` (table null), then per table `start`, `progress`…, `end`, then `end` (table null): exactly
  one `end` per table and one for the run, also when the run fails, each failed one with `error` set.

Retries and 429s are shown as they happen, not only when a page arrives: `log` prints a line and `json` a
`retry` event (table, method, path, reason, wait, rate), each at most once a second (`count` says how many were
folded into one event; `table` is the one whose page came last, null before the first page). `rate` is the
limiter's rate at that moment, lowered by 429s (`omniload/http/limiter.py`); the `progress` events, the log lines
and the live view show it too.

The pipeline calls `table_started`, `page_read` and `stage` (the `ProgressSink` protocol); the HTTP client calls
`request_delayed`; the CLI calls `run_started` and `run_finished`. Requests and rate-limit waits are per table:
the requests made, and the time spent waiting for the limiter, between one page and the next are counted for the
table the page belongs to. A wait is wall-clock time during which the limiter held back at least one request
(`RateLimiter.waited`), so parallel workers waiting at once count once.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from omniload.text import aligned, clock, listed, utc_stamp

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from omniload.http import Delay
    from omniload.results import RunResult, TableResult


class ProgressSink(Protocol):
    """What `Run` reports while it reads; every call is optional for the run to work."""

    def table_started(self, result: TableResult) -> None: ...

    def page_read(self, result: TableResult) -> None: ...

    def stage(self, name: str) -> None: ...

    def committed(self, tables: list[str]) -> None:
        """A checkpoint's load completed: these tables and their cursors are in the destination."""

    def resumed(self, tables: list[str], started: str) -> None:
        """An interrupted run with the same arguments (started at `started`) committed these tables: they are
        not read again."""

    def resumed_inside(self, table: str, rows: int, after: str) -> None:
        """An interrupted run with the same arguments was reading this table in chunks and kept `rows` on disk:
        the read resumes after them, at the point `after` describes (`Position.label`)."""


@dataclass
class RunInfo:
    """What a progress display knows about the run before anything is read."""

    tables: list[tuple[str, str]]  # (table, destination table as dataset.table), in run order
    destination: str  # printable, secrets redacted
    dataset: str
    counters: Callable[[], tuple[int, float]] = lambda: (0, 0.0)  # (requests so far, seconds waited on limiter)
    strategies: dict[str, str] = field(default_factory=dict)  # table → the strategy it loads with
    rate: Callable[[], float | None] = lambda: None  # the limiter's current rate, requests per second


@dataclass
class TableState:
    """What the display keeps of a table beside the pipeline's own running figures (`figures`)."""

    name: str
    destination: str
    figures: TableResult | None = None
    waited: float = 0.0
    started: float | None = None  # monotonic
    last_emit: float = float("-inf")
    committed: bool = False  # by one of this run's checkpoints
    resumed: bool = False  # committed by the interrupted run this one resumes: not read

    @property
    def rows(self) -> int:
        return self.figures.rows if self.figures else 0

    @property
    def pages(self) -> int:
        return self.figures.pages if self.figures else 0

    @property
    def requests(self) -> int:
        return self.figures.requests if self.figures else 0

    @property
    def seconds(self) -> float:
        return self.figures.seconds if self.figures else 0.0


@dataclass
class Progress:
    """The shared bookkeeping; subclasses decide what is printed."""

    info: RunInfo | None = None
    tables: dict[str, TableState] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    stage_name: str = "read"
    current: str | None = None
    _waited_seen: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _finished: bool = False
    _delays: int = 0  # retries and 429s not yet shown
    _last_delay_shown: float = float("-inf")

    # ---- the CLI's calls ----------------------------------------------------------------------------------
    def run_started(self, info: RunInfo) -> None:
        self.info = info
        self.started = time.monotonic()
        self.tables = {name: TableState(name, dest) for name, dest in info.tables}
        self._waited_seen = info.counters()[1]
        self._on_run_start()

    def run_finished(self, result: RunResult | None, error: str | None) -> None:
        """Exactly once per run, successful or not."""
        if self._finished:
            return
        self._finished = True
        if result is not None:
            for table in result.tables:
                state = self.tables.setdefault(table.name, TableState(table.name, table.destination_table))
                state.figures = table
                state.destination = f"{result.dataset}.{table.destination_table}"
        self._on_run_end(result, error)

    # ---- the pipeline's calls (ProgressSink) ---------------------------------------------------------------
    def table_started(self, result: TableResult) -> None:
        with self._lock:
            state = self._state(result)
            if state.started is not None:
                return
            state.started = time.monotonic()
            self.current = state.name
        self._on_table_start(state)

    def page_read(self, result: TableResult) -> None:
        if self.info is None:
            return
        with self._lock:
            state = self._state(result)
            if state.started is None:
                state.started = time.monotonic()
            waited = self.info.counters()[1]
            state.waited += max(0.0, waited - self._waited_seen)
            self._waited_seen = waited
            state.figures = result
            self.current = state.name
        self._on_page(state)

    def stage(self, name: str) -> None:
        self.stage_name = name
        self.current = None
        self._on_stage(name)

    def committed(self, tables: list[str]) -> None:
        self.stage_name = "read"
        for name in tables:
            if name in self.tables:
                self.tables[name].committed = True
        self._on_committed(tables)

    def resumed(self, tables: list[str], started: str) -> None:
        now = time.monotonic()
        for name in tables:
            if name in self.tables:
                state = self.tables[name]
                state.resumed, state.started = True, state.started or now
        self._on_resumed(tables, started)

    def resumed_inside(self, table: str, rows: int, after: str) -> None:
        self._on_resumed_inside(table, rows, after)

    # ---- the HTTP client's call ----------------------------------------------------------------------------
    def request_delayed(self, delay: Delay) -> None:
        """A retry or a 429: shown at once, then at most once a second with the count of those folded in."""
        with self._lock:
            self._delays += 1
            now = time.monotonic()
            if now - self._last_delay_shown < 1.0:
                return
            self._last_delay_shown = now
            count, self._delays = self._delays, 0
        self._on_delay(delay, count)

    # ---- hooks for subclasses -----------------------------------------------------------------------------
    def _on_run_start(self) -> None: ...

    def _on_table_start(self, state: TableState) -> None: ...

    def _on_page(self, state: TableState) -> None: ...

    def _on_stage(self, name: str) -> None: ...

    def _on_delay(self, delay: Delay, count: int) -> None: ...

    def _on_run_end(self, result: RunResult | None, error: str | None) -> None: ...

    def _on_committed(self, tables: list[str]) -> None: ...

    def _on_resumed(self, tables: list[str], started: str) -> None: ...

    def _on_resumed_inside(self, table: str, rows: int, after: str) -> None: ...

    # ---- helpers ------------------------------------------------------------------------------------------
    def _state(self, result: TableResult) -> TableState:
        state = self.tables.get(result.name)
        if state is None:
            dataset = self.info.dataset if self.info else ""
            state = self.tables[result.name] = TableState(result.name, f"{dataset}.{result.destination_table}")
        return state

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rate(self) -> float | None:
        """The limiter's current rate (requests per second), None when unlimited."""
        rate = self.info.rate() if self.info else None
        return round(rate, 2) if rate is not None else None

    def totals(self) -> tuple[int, int, float]:
        """(rows, requests, seconds waited on the rate limit) of the run so far."""
        requests, waited = self.info.counters() if self.info else (0, 0.0)
        return sum(t.rows for t in self.tables.values()), requests, waited

    def remaining(self) -> float | None:
        """Seconds left, estimated from the tables read so far; None until one table is done."""
        started = [t for t in self.tables.values() if t.started is not None]
        done = len(started) - (1 if self.stage_name == "read" and self.current else 0)
        total = len(self.tables)
        if done <= 0 or not total or self.stage_name != "read":
            return None
        return self.elapsed() / done * (total - done)


def _rate(requests: int, seconds: float) -> float:
    return requests / seconds if seconds > 0 else 0.0


# ---- json ---------------------------------------------------------------------------------------------------
@dataclass
class JsonProgress(Progress):
    """One JSON object per line on stdout. Progress events: at most one per table per `every` seconds."""

    stream: TextIO | None = None
    every: float = 1.0
    _run_start_sent: bool = False

    def _emit(self, event: dict[str, Any]) -> None:
        stream = self.stream or sys.stdout
        stream.write(json.dumps({"event": event.pop("event"), "time": utc_stamp(), **event}) + "\n")
        stream.flush()

    def _on_run_start(self) -> None:
        if self._run_start_sent:
            return
        self._run_start_sent = True
        info = self.info
        self._emit({
            "event": "start", "table": None,
            "tables": [name for name, _ in info.tables] if info else [],
            "destination": info.destination if info else None,
            "dataset": info.dataset if info else None,
        })

    def _on_table_start(self, state: TableState) -> None:
        self._emit({"event": "start", "table": state.name, "destination_table": state.destination})

    def _on_page(self, state: TableState) -> None:
        now = time.monotonic()
        if now - state.last_emit < self.every:
            return
        state.last_emit = now
        self._emit({"event": "progress", "table": state.name, **self._figures(state), "rate": self.rate()})

    def _on_delay(self, delay: Delay, count: int) -> None:
        self._emit({
            "event": "retry", "table": self.current, "method": delay.method, "path": delay.path,
            "reason": delay.reason, "wait": round(delay.wait, 3), "rate": self.rate(), "count": count,
        })

    def _on_stage(self, name: str) -> None:
        rows, requests, waited = self.totals()
        self._emit({
            "event": "progress", "table": None, "stage": name, "rows": rows, "requests": requests,
            "seconds": round(self.elapsed(), 3), "rate_limit_wait": round(waited, 3), "rate": self.rate(),
        })

    def _on_run_end(self, result: RunResult | None, error: str | None) -> None:
        self._on_run_start()  # a run that failed before it began still has its start
        for state in self.tables.values():
            if state.started is None:
                self._on_table_start(state)
            self._emit({
                "event": "end", "table": state.name, "destination_table": state.destination,
                "strategy": self.info.strategies.get(state.name) if self.info else None,
                **self._figures(state), "status": _status(state, error), "error": error,
            })
        rows, requests, waited = self.totals()
        self._emit({
            "event": "end", "table": None,
            "destination": self.info.destination if self.info else None,
            "dataset": self.info.dataset if self.info else None,
            "tables": len(self.tables),
            "rows": rows,
            "requests": result.requests if result else requests,
            "seconds": round(result.seconds if result else self.elapsed(), 3),
            "rate_limit_wait": round(waited, 3),
            "throttled": result.throttled if result else None,
            "status": "failed" if error else "ok",
            "error": error,
        })

    def _on_committed(self, tables: list[str]) -> None:
        rows, requests, _ = self.totals()
        self._emit({
            "event": "checkpoint", "table": None, "tables": tables, "rows": rows, "requests": requests,
            "seconds": round(self.elapsed(), 3),
        })

    def _on_resumed(self, tables: list[str], started: str) -> None:
        self._emit({"event": "resume", "table": None, "tables": tables, "started": started})

    def _on_resumed_inside(self, table: str, rows: int, after: str) -> None:
        self._emit({"event": "resume", "table": table, "rows": rows, "after": after})

    @staticmethod
    def _figures(state: TableState) -> dict[str, Any]:
        return {
            "rows": state.rows, "pages": state.pages, "requests": state.requests,
            "seconds": round(state.seconds, 3),
            "requests_per_second": round(_rate(state.requests, state.seconds), 2),
            "rate_limit_wait": round(state.waited, 3),
        }


# ---- log ----------------------------------------------------------------------------------------------------
@dataclass
class LogProgress(Progress):
    """Timestamped lines on stderr: a table's start, its figures every `every` seconds, the load."""

    stream: TextIO | None = None
    every: float = 10.0
    _announced: bool = False

    def _line(self, text: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(f"{utc_stamp()} {text}\n")
        stream.flush()

    def _on_table_start(self, state: TableState) -> None:
        if not self._announced and self.info:  # announced with the first table: a run that fails first says
            self._announced = True  # one line only
            self._line(f"run: {len(self.info.tables)} table(s) into {self.info.destination}")
        self._line(f"{state.name}: reading into {state.destination}")

    def _on_page(self, state: TableState) -> None:
        now = time.monotonic()
        if now - state.last_emit < self.every:
            return
        state.last_emit = now
        rows, requests, waited = self.totals()
        self._line(
            f"{state.name}: {state.pages:,} pages, {state.rows:,} rows, {state.requests:,} requests "
            f"({_rate(state.requests, state.seconds):.1f}/s), {state.waited:.1f}s waiting on the rate limit; "
            f"run: {rows:,} rows, {requests:,} requests in {self.elapsed():.0f}s{_rate_note(self.rate())}"
            f"{_eta(self.remaining())}"
        )

    def _on_delay(self, delay: Delay, count: int) -> None:
        folded = f" ({count - 1} more since the last such line)" if count > 1 else ""
        self._line(
            f"{self.current or 'run'}: {delay.method} {delay.path} {delay.reason}; retrying in {delay.wait:.1f}s"
            f"{_rate_note(self.rate())}{folded}"
        )

    def _on_stage(self, name: str) -> None:
        if name == "load" and self.info:
            rows, requests, _ = self.totals()
            self._line(f"run: read {rows:,} rows with {requests:,} requests; loading into {self.info.destination}")

    def _on_committed(self, tables: list[str]) -> None:
        self._line(f"checkpoint: committed {_names(tables)}; if this run stops, the same command resumes here")

    def _on_resumed(self, tables: list[str], started: str) -> None:
        self._line(
            f"run: resuming the run of {started}, which committed {_names(tables)}: not read again "
            "(--full-refresh starts over)"
        )


    def _on_resumed_inside(self, table: str, rows: int, after: str) -> None:
        self._line(
            f"{table}: resuming inside the table{' after ' + after if after else ''}: the interrupted run's "
            f"{rows:,} rows are kept on disk and are not read again"
        )


def _names(tables: list[str]) -> str:
    return f"{len(tables)} table(s) ({listed(tables)})"


def _status(state: TableState, error: str | None) -> str:
    """A table's status in the JSON end event: resumed tables were committed by the run this one resumed."""
    if state.resumed:
        return "resumed"
    if error:
        return "committed" if state.committed else "failed"
    return "ok"


def _rate_note(rate: float | None) -> str:
    return "" if rate is None else f", requests allowed at {rate:.1f}/s"


def _eta(seconds: float | None) -> str:
    return "" if seconds is None else f", about {clock(seconds)} left"


# ---- interactive --------------------------------------------------------------------------------------------
@dataclass
class InteractiveProgress(Progress):
    """A Rich live view on the terminal, redrawn four times a second and removed at the end."""

    console: Console | None = None
    _live: Live | None = None

    def _on_run_start(self) -> None:
        from rich.live import Live

        self._live = Live(
            _View(self), console=self.console, refresh_per_second=4, transient=True, redirect_stderr=True
        )
        self._live.start()

    def _on_run_end(self, result: RunResult | None, error: str | None) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def render(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            states = [t for t in self.tables.values() if t.started is not None]
            current = self.current
        height, width = (self.console.size.height, self.console.size.width) if self.console else (24, 80)
        rows = [self._cells(state, current) for state in states[-max(3, height - 5):]]
        columns = _fit(rows, width)
        grid = Table(box=None, header_style="bold")
        for column in columns:
            grid.add_column(column, no_wrap=True, min_width=_width(rows, column) if column == "table" else None)
        for cells in rows:
            status = cells[""]
            grid.add_row(*(
                Text(status, style="cyan" if status == "reading" else "green") if column == "" else cells[column]
                for column in columns
            ))
        rows_read, requests, waited = self.totals()
        elapsed = self.elapsed()
        line = (
            f"{len(states)}/{len(self.tables)} tables · {rows_read:,} rows · {requests:,} requests "
            f"({_rate(requests, elapsed):.1f}/s) · {waited:.1f}s held back by the rate limit "
            f"· {clock(elapsed)}"
        )
        if (rate := self.rate()) is not None:
            line += f" · allowed {rate:.1f} req/s"
        if self.stage_name == "load" and self.info:
            line += f" · loading into {self.info.destination}"
        elif (left := self.remaining()) is not None:
            line += f" · about {clock(left)} left"
        return Group(grid, Text(line, style="bold"))

    def _cells(self, state: TableState, current: str | None) -> dict[str, str]:
        status = (
            "reading" if state.name == current
            else "resumed" if state.resumed
            else "committed" if state.committed
            else "loading" if self.stage_name == "load"
            else "read"
        )
        return {
            "table": state.name, "pages": f"{state.pages:,}", "rows": f"{state.rows:,}",
            "requests": f"{state.requests:,}", "req/s": f"{_rate(state.requests, state.seconds):.1f}",
            "rate-limit wait": f"{state.waited:.1f}s", "time": f"{state.seconds:.1f}s", "": status,
        }


#: The live view's columns, and the order in which a narrow terminal drops them so that table names stay whole
#: (the tables of one source table's periods share a long prefix and must not all read the same cut name); the
#: run line below the table still gives the run's requests per second and rate-limit wait.
LIVE_COLUMNS = ("table", "pages", "rows", "requests", "req/s", "rate-limit wait", "time", "")
DROPPED_FIRST = ("pages", "req/s", "rate-limit wait")


def _width(rows: list[dict[str, str]], column: str) -> int:
    return max([len(column), *(len(cells[column]) for cells in rows)])


def _fit(rows: list[dict[str, str]], width: int) -> list[str]:
    """The columns that fit in `width` characters with every cell whole (Rich pads each cell by one space on
    either side), dropping the less important ones first."""
    columns = list(LIVE_COLUMNS)
    for dropped in DROPPED_FIRST:
        if sum(_width(rows, column) + 2 for column in columns) <= width:
            break
        columns.remove(dropped)
    return columns


class _View:
    def __init__(self, progress: InteractiveProgress) -> None:
        self.progress = progress

    def __rich__(self) -> RenderableType:
        return self.progress.render()


def make(mode: str, console: Console | None = None) -> Progress:
    if mode == "json":
        return JsonProgress()
    if mode == "log":
        return LogProgress()
    return InteractiveProgress(console=console)


# ---- the summary --------------------------------------------------------------------------------------------
def summary_lines(
    result: RunResult, waited: float, snapshots: Sequence[str] = ()
) -> tuple[list[list[str]], str]:
    """The per-table rows (table, rows, requests, seconds, loaded into) and the closing sentence. `snapshots`: the
    tables that merge elsewhere but were replaced whole, because the destination cannot merge."""
    rows = [
        [t.name, f"{t.rows:,}", f"{t.requests:,}", f"{t.seconds:.1f}", f"{result.dataset}.{t.destination_table}"]
        for t in result.tables
    ]
    total = sum(t.rows for t in result.tables)
    closing = (
        f"Loaded {total:,} rows in {len(result.tables)} table(s) into {result.destination} "
        f"(schema {result.dataset}) with {result.requests:,} requests in {result.seconds:.1f}s"
        f"{f'; the rate limit held requests back for {waited:.1f}s' if waited >= 0.05 else ''}"
        f"{f', throttled {result.throttled:,} times' if result.throttled else ''}."
    )
    if result.resumed:
        closing += f" Resumed an interrupted run: {_names(result.resumed)} it had committed were not read again."
    if snapshots:
        kind = result.destination.split(" ", 1)[0]
        closing += (
            f" Destination {kind} cannot merge: {len(snapshots)} table(s) were loaded as a full snapshot with "
            f"replace instead ({', '.join(snapshots)})."
        )
    return rows, closing


SUMMARY_HEADER = ["table", "rows", "requests", "seconds", "loaded into"]


def print_summary(
    result: RunResult, waited: float, console: Console, plain: bool, snapshots: Sequence[str] = ()
) -> None:
    """A Rich table on a terminal; aligned plain text otherwise (never cut to the terminal's width)."""
    rows, closing = summary_lines(result, waited, snapshots)
    if plain:
        for line in aligned([SUMMARY_HEADER, *rows], right={1, 2, 3}):
            console.out(line, highlight=False)
        console.out(closing, highlight=False)
        return
    from rich.table import Table

    header = SUMMARY_HEADER
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    if sum(w + 2 for w in widths) > console.width and all(r[4] == f"{result.dataset}.{r[0]}" for r in rows):
        header, rows = header[:4], [row[:4] for row in rows]  # on a narrow terminal: the closing names the schema
    table = Table(*header, box=None, header_style="bold")
    table.columns[0].no_wrap, table.columns[0].min_width = True, widths[0]  # a table name is never cut
    for column in table.columns[1:4]:
        column.justify = "right"
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(closing, highlight=False, markup=False)
