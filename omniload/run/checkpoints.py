"""A run's reads cut into checkpoints, each loaded (with the state that goes with it) by its own dlt load.

A checkpoint falls where no table is half read (the reader ends each table with a `None` page), once
`Run.checkpoint_seconds` have passed since the last one: a long table is committed as soon as its read is
complete, short ones are committed together. Its load commits the tables completed since the last one, their
cursors, and the run's record (`run` in the state: which tables this run has committed). A run started again
with the same arguments after a failure finds the record and does not read those tables again; the last
checkpoint removes it. A table read in chunks keeps them on disk (omniload/run/chunks.py) until it is committed
(README "Checkpoints and resume").
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from omniload.run import removals
from omniload.run.chunks import Chunks
from omniload.run.marking import PageMarker, Reading
from omniload.source import Item, Page, Position, Present, TableRequest
from omniload.state import Cursors
from omniload.text import utc_stamp

if TYPE_CHECKING:
    from omniload.results import TableResult
    from omniload.run.loop import Run

#: A checkpoint is taken at the first table boundary after this many seconds of reading.
CHECKPOINT_SECONDS = 30.0
CHECKPOINT_VARIABLE = "OMNILOAD_CHECKPOINT_SECONDS"


@dataclass
class Checkpoints:
    """The checkpoints of one run (`run`), whose pages `marker` makes ready for dlt, into `results`."""

    run: Run
    marker: PageMarker
    results: dict[str, TableResult]
    pipeline_name: str
    pipeline: Any = None  # the dlt pipeline, for the removals (omniload/run/removals.py)
    finished: bool = False
    completed: list[TableRequest[Any]] = field(default_factory=list)  # in the checkpoint being loaded
    committed: list[str] = field(default_factory=list)  # by this run, in the order they were committed
    resumed: list[str] = field(default_factory=list)  # committed by an earlier, interrupted run: not read again
    _requests: list[TableRequest[Any]] = field(default_factory=list)  # the tables this run reads
    _items: Iterator[tuple[TableRequest[Any], Item]] | None = None
    _chunks: dict[str, Chunks] = field(default_factory=dict)  # tables read in chunks
    _cursors: Cursors | None = None
    _reading: Reading | None = None
    _record: dict[str, Any] = field(default_factory=dict)
    _state: dict[str, Any] = field(default_factory=dict)  # the resource state of the checkpoint being read

    def checkpoint(self) -> Iterator[Any]:
        """The dlt resource of one checkpoint: pages of its tables, each marked with its table and hints, an
        empty page for a table that read nothing (it must still exist), and the cursors of the tables it
        completes."""
        import dlt

        state = dlt.current.resource_state()
        if self._cursors is None:
            self._start(state)
        assert self._cursors is not None
        self._cursors.bind(state)
        self._state = state
        state["removals"] = {}  # this checkpoint's own, applied after its load (and again if that was cut short)
        self.completed = []
        began, reading_tables = time.monotonic(), set[str]()
        while (item := self._pull()) is not None:
            request, rows = item
            if isinstance(rows, Position):
                self._chunk(request, rows)
            elif rows is None:
                yield from self._complete(request)
                reading_tables.discard(request.load_name)
                if not reading_tables and self._checkpoint_due(began) and not self._all_complete():
                    state["run"] = {**self._record, "committed": list(self._record["committed"])}
                    return
            else:
                reading_tables.add(request.load_name)
                yield from self._read(request, rows)
        yield from self._end(state)

    def commit(self, pipeline: Any) -> None:
        """The checkpoint's load is complete: the rows its tables' sources said are gone are removed, and the
        chunks kept on disk for its tables are not needed any more."""
        self._remove(pipeline, self._state.get("removals", {}))
        names = [r.load_name for r in self.completed]
        for name in names:
            if name in self._chunks:
                self._chunks.pop(name).clear()
        self.committed.extend(names)
        if self.run.progress is not None and names and not self.finished:
            self.run.progress.committed(names)

    def _read(self, request: TableRequest[Any], rows: Page) -> Iterator[Any]:
        """A page of a table: its new rows kept in the table's chunks, or marked for this checkpoint's load."""
        assert self._cursors is not None and self._reading is not None
        result = self.results[request.load_name]
        result.requests += self._reading.requests_since_last_page(self.run.reader.http.stats.requests)
        rows = self._cursors.new_rows(request, rows)
        chunks = self._chunks.get(request.load_name)
        if rows and chunks is not None:
            arrow, new_json, _ = self.marker.arrow(request, rows, result, self._reading, self._cursors)
            chunks.add(arrow, new_json)
        elif rows:
            yield self.marker.page(request, rows, result, self._reading, self._cursors)

    def _end(self, state: dict[str, Any]) -> Iterator[Any]:
        """The reads are over: the shaping flags' columns must have been seen, every table is complete, and the
        run's record goes (the next run starts afresh)."""
        assert self._reading is not None
        if self._reading.converters:
            self.marker.shaper.check_seen()
        for request in self._requests:  # a reader that never said a table was complete: complete at its end
            if request.load_name not in self._record["committed"]:
                yield from self._complete(request)
        state.pop("run", None)
        self.finished = True

    def _remove(self, pipeline: Any, saved: dict[str, Any], again: bool = False) -> None:
        """Apply the removals kept in the state (`omniload/run/removals.py`), table by table. `again`: those of
        the last load, which its run may not have lived to apply; the marks of vanished keys are left to the next
        read of their table, which marks them anew, so that a run touches no table before its load without a
        reason (a lock held on it would stop the run there)."""
        for load_name, kept in saved.items():
            result = self.results.get(load_name)
            table = result.destination_table if result else self.run.created(load_name)
            pending = [r for r in removals.from_state(kept) if not (again and isinstance(r, Present))]
            removals.apply(pipeline, table, pending)

    def _start(self, state: dict[str, Any]) -> None:
        """The saved cursors, the tables an interrupted run with the same arguments committed, and the reads."""
        run = self.run
        if state.get("removals"):  # the last load's removals, in case that run ended before applying them
            self._remove(self.pipeline, state["removals"], again=True)
        self._cursors = Cursors.from_state(state, run.interval, run.lookback_days, run.reader.now)
        fingerprint = _fingerprint(run)
        self._resume_record(state.get("run"), fingerprint)
        self._requests = [r for r in run.requests if r.load_name not in self.resumed]
        memory = state.setdefault("memory", {})
        for request in self._requests:
            request.interval = self._cursors.interval_for(request)
            remember(run, request, memory)
            self._resume_inside(request, fingerprint)
        self._reading = Reading(run.reader.http.stats.requests)
        if self.resumed and run.progress is not None:
            run.progress.resumed(self.resumed, str(self._record["started"]))
        self._items = iter(run.reader.read_all(self._requests))

    def _resume_record(self, record: Any, fingerprint: str) -> None:
        """The record of an interrupted run with the same arguments, whose committed tables are not read again;
        else a new one."""
        if isinstance(record, dict) and record.get("fingerprint") == fingerprint and not self.run.full_refresh:
            self._record = {**record, "committed": list(record.get("committed", []))}
            self.resumed = [r.load_name for r in self.run.requests if r.load_name in self._record["committed"]]
        else:
            self._record = {"fingerprint": fingerprint, "started": utc_stamp(), "committed": []}

    def _resume_inside(self, request: TableRequest[Any], fingerprint: str) -> None:
        """A table an interrupted run with the same arguments was reading in chunks resumes after its last."""
        chunks = Chunks.open(self.pipeline_name, request.load_name, fingerprint)
        if self.run.full_refresh or chunks.position is None:
            return
        request.resume_from = chunks.position
        self._chunks[request.load_name] = chunks
        kept = chunks.rows
        self.results[request.load_name].rows += kept
        if self.run.progress is not None:
            self.run.progress.resumed_inside(request.load_name, kept, chunks.label)

    def _chunk(self, request: TableRequest[Any], position: Position) -> None:
        """The reader reads this table in chunks (a first `Position`), or has completed one."""
        name = request.load_name
        if position.value is None and name not in self._chunks:  # not resumed: earlier chunks are stale
            self._chunks[name] = Chunks.open(self.pipeline_name, name, _fingerprint(self.run))
            self._chunks[name].start_afresh()
        elif position.value is not None:
            self._chunks[name].checkpoint(position.value, position.label)

    def _complete(self, request: TableRequest[Any]) -> Iterator[Any]:
        """A table's read is complete: its chunks (or an empty page) go to the load, with its cursor, what its
        source keeps, and the removals its source named."""
        assert self._cursors is not None and self._reading is not None
        chunks = self._chunks.get(request.load_name)
        result = self.results[request.load_name]
        if chunks is not None and chunks.parts:  # the chunks kept on disk, loaded as one table
            for index, page in enumerate(chunks.pages()):
                yield self.marker.marked(
                    request, page, result, index == 0, chunks.json_columns if not index else []
                )
        elif request.load_name not in self._reading.converters:
            yield self.marker.empty_table(request, result)
        self._cursors.advance(request)
        if request.memory is not None:
            self._state.setdefault("memory", {})[request.load_name] = request.memory
        kept = [r for r in request.removals if not (isinstance(r, Present) and self.run.shaping.names_columns)]
        if kept:  # keys are not compared once --columns renames or retypes them
            self._state["removals"][request.load_name] = removals.to_state(kept)
        self._record["committed"].append(request.load_name)
        self.completed.append(request)

    def _all_complete(self) -> bool:
        """Every table read: the run ends with this checkpoint (not with one that would only clear the record)."""
        return len(set(self._record["committed"])) >= len(self.run.requests)

    def _checkpoint_due(self, began: float) -> bool:
        if self.run.shaping.names_columns:
            return False
        return time.monotonic() - began >= self.run.checkpoint_seconds

    def _pull(self) -> tuple[TableRequest[Any], Item] | None:
        """The reader's next item. The next table's reads start only when it is pulled, after the checkpoint
        before it is committed."""
        assert self._items is not None
        return next(self._items, None)


def remember(run: Run, request: TableRequest[Any], memory: dict[str, Any]) -> None:
    """What the source kept for the table at its last load (`memory`: each table's, by load name; README
    "Nightly runs"), unless this run must read it whole: --full-refresh, a run with an end, or a destination
    omniload cannot remove rows from (`partial_refused` says which). The run's start and `--plan` alike."""
    if not run.destination.removes_rows:
        request.partial_refused = f"{run.destination.kind} cannot remove rows"
        return
    if run.interval.end is not None:  # a backfill (or --yield-limit) moves nothing a next run starts from
        request.partial_refused = "a run with an end (--interval-end, --yield-limit) keeps no watermark"
        return
    request.memory = dict(memory.get(request.load_name) or {})
    if run.full_refresh:
        request.partial_refused = "--full-refresh"


def _fingerprint(run: Run) -> str:
    """What a resumed run must share with the interrupted one: its tables, strategies, keys and interval."""
    parts = [f"{r.load_name}|{r.strategy}|{','.join(r.primary_key)}|{r.incremental_key}" for r in run.requests]
    parts.append(f"{run.interval.start}|{run.interval.end}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]
