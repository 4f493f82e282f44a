"""One run: source pages → Arrow → one dlt pipeline → the destination, and the figures for the summary.

A run loads in checkpoints (`_Segments`): the tables read since the last checkpoint are loaded by one dlt load,
so hours of reading are not lost with the run's last minute, and a run started again with the same arguments
resumes after the tables already committed (README "Checkpoints and resume"). State between runs (each table's
cursor, and which tables a run has committed) is dlt resource state, so it is stored in the destination with the
data and committed by the same load: a checkpoint that fails before its load completes moves no cursor. The dlt
working folder is temporary, so a killed run leaves no half-extracted package for the next run to load, and the
next run removes the folder (omniload/workdir.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, assert_never

import pyarrow as pa

from omniload import faults, interrupts, removals, workdir
from omniload.arrow import PageConverter
from omniload.controls import Controls, contract_violation
from omniload.destinations import Destination
from omniload.dlt_duckdb import adjust_dlt_duckdb
from omniload.errors import OmniloadError, UsageError
from omniload.memory import release_memory
from omniload.results import RunResult, TableResult
from omniload.source import Interval, Item, Page, Position, Present, Reader, Strategy, TableRequest, TableSpec
from omniload.spill import Spill
from omniload.state import Cursors, row_hashes

if TYPE_CHECKING:
    from omniload.progress import ProgressSink


def configure_dlt() -> None:
    """Set what omniload relies on in dlt's runtime configuration, where the user has not: dlt reads it from the
    environment once per process, when first configured (resolving a destination does it), so each run calls
    this first (`api.build_run`); never at import, so importing omniload leaves dlt as the program set it."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # dlt logs a failed load job with its traceback before each retry; the run's one-line error says what failed
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")
    # omniload stops on SIGINT/SIGTERM itself (omniload/interrupts.py); dlt would otherwise swallow the first
    # signal during its normalize and load steps, and finish the load as if none had come
    os.environ.setdefault("RUNTIME__INTERCEPT_SIGNALS", "false")


#: A checkpoint is taken at the first table boundary after this many seconds of reading (README "Checkpoints and
#: resume"): a long table is committed as soon as its read is complete, short ones are committed together.
CHECKPOINT_SECONDS = 30.0
CHECKPOINT_VARIABLE = "OMNILOAD_CHECKPOINT_SECONDS"

#: dlt's default scd2 row-version column.
SCD2_ROW_HASH = "_dlt_id"
_ROW_HASH_FIELD = pa.field(SCD2_ROW_HASH, pa.string(), nullable=False)
_DELETED_AT_FIELD = pa.field(removals.DELETED_AT, pa.timestamp("us", tz="UTC"))


@dataclass
class Run:
    """What `omniload ingest` asked for, resolved and checked before anything is read."""

    requests: list[TableRequest[Any]]
    reader: Reader
    destination: Destination
    dataset: str
    table_name: str | None  # set when one table loads under the name given in --dest-table
    interval: Interval = field(default_factory=Interval)
    full_refresh: bool = False
    lookback_days: int = 30
    progress: ProgressSink | None = None  # told of each table's start, each page and the load stage
    checkpoint_seconds: float = field(default_factory=lambda: _seconds(CHECKPOINT_VARIABLE, CHECKPOINT_SECONDS))
    controls: Controls = field(default_factory=Controls)  # --columns, --mask, ... (omniload/controls.py)

    def __post_init__(self) -> None:
        self.destination = self.controls.check(self.requests, self.reader, self.destination)

    def execute(self) -> RunResult:
        import dlt

        started = time.monotonic()
        results = {r.load_name: TableResult(r.load_name, self.destination_table(r)) for r in self.requests}
        if self.destination.display.startswith("duckdb"):
            adjust_dlt_duckdb()
        if self.destination.atomic_replace:
            os.environ["DESTINATION__REPLACE_STRATEGY"] = "insert-from-staging"
        workdir.remove_stale()
        pipeline_name = _pipeline_name(self.destination.display, self.dataset, list(results))
        segments = _Segments(self, results, pipeline_name)
        with workdir.make() as folder:
            pipeline = dlt.pipeline(
                pipeline_name=pipeline_name,
                destination=self.destination.dlt_destination,
                dataset_name=self.dataset,
                pipelines_dir=folder,
                staging=self.destination.staging,
            )
            segments.pipeline = pipeline
            loading = False
            try:
                pipeline.sync_destination()  # the saved cursors come back with the state
                refresh = "drop_resources" if self.full_refresh else None
                while not segments.finished:
                    resource = dlt.resource(segments.segment(), name="omniload", max_table_nesting=0)
                    pipeline.extract(
                        resource,
                        refresh=refresh,  # type: ignore[arg-type]
                        loader_file_format=self.destination.loader_file_format,  # type: ignore[arg-type]
                    )
                    refresh = None  # the tables are dropped once, by the first checkpoint's load
                    self._refuse_emptying(pipeline, segments.completed, results)
                    release_memory()
                    loading = True
                    self._load(pipeline)
                    loading = False
                    segments.commit(pipeline)
            except OmniloadError as error:
                if not segments.committed:
                    raise
                raise type(error)(f"{error}; {interrupts.kept_checkpoints(segments.committed)}") from error
            except (Exception, KeyboardInterrupt) as error:
                raise _stopped(error, self.destination.kind, loading, segments.committed) from error
            finally:
                self.reader.http.close()
            if self.destination.atomic_replace:
                _drop_staging(pipeline)
        stats = self.reader.http.stats
        if len(results) == 1:  # the one table owns every request, the trailing ones after its last page too
            next(iter(results.values())).requests = stats.requests
        return RunResult(
            list(results.values()),
            stats.requests,
            time.monotonic() - started,
            self.destination.display,
            self.created_dataset,
            stats.throttled,
            resumed=segments.resumed,
        )

    def _load(self, pipeline: Any) -> None:
        """One checkpoint's load: the tables read since the last one, and the state that goes with them."""
        if self.progress is not None:
            self.progress.stage("load")
        pipeline.normalize()
        faults.arm()
        pipeline.load().raise_on_failed_jobs()

    def destination_table(self, request: TableRequest[Any]) -> str:
        """The table a request loads into, as created: --dest-table's name when one table loads, else its
        `load_name`, in the form dlt gives it (`My-Table` becomes `my_table`)."""
        name = self.table_name if self.table_name and len(self.requests) == 1 else request.load_name
        return self.created(name)

    @property
    def created_dataset(self) -> str:
        """The schema as created (`MySchema` becomes `my_schema`); `dataset` stays as given, for the state's
        pipeline name."""
        return self.created(self.dataset)

    def created(self, name: str) -> str:
        """`name` as dlt's default naming convention writes it on this destination (snake_case, shortened with
        a hash past the destination's identifier length)."""
        from dlt.common.normalizers.naming.snake_case import NamingConvention

        limit = self.destination.dlt_destination.capabilities().max_identifier_length
        return NamingConvention(max_length=limit).normalize_table_identifier(name)

    def _page(
        self, request: TableRequest[Any], rows: Page, result: TableResult, reading: _Reading, cursors: Cursors
    ) -> Any:
        """One page as Arrow, counted, reported, and marked for dlt with its table (and hints when new)."""
        arrow, new_json, first = self._arrow(request, rows, result, reading, cursors)
        return self._marked(request, arrow, result, first, new_json)

    def _arrow(
        self, request: TableRequest[Any], rows: Page, result: TableResult, reading: _Reading, cursors: Cursors
    ) -> tuple[pa.Table, list[str], bool]:
        """One page as Arrow, counted and reported; the columns that became JSON with it, and whether it is
        the table's first."""
        first = request.load_name not in reading.converters
        if first:
            reading.start_table(request)
        arrow, new_json = reading.converters[request.load_name].convert(rows)
        if request.strategy == Strategy.SCD2:
            arrow = arrow.append_column(_ROW_HASH_FIELD, pa.array(row_hashes(rows), pa.string()))
        arrow = self._with_tombstone(request, arrow)
        result.rows += arrow.num_rows
        result.pages += 1
        result.seconds = time.monotonic() - reading.started[request.load_name]
        cursors.observe(request, arrow)
        arrow = self.controls.apply(request, arrow)
        if self.progress is not None:
            if first:
                self.progress.table_started(result)
            self.progress.page_read(result)
        reading.last_page = time.monotonic()
        return arrow, new_json, first

    def _marked(
        self, request: TableRequest[Any], arrow: pa.Table, result: TableResult, first: bool, new_json: list[str]
    ) -> Any:
        """A page marked for dlt with its table, and with its hints when it is the first or brings JSON columns."""
        import dlt
        from dlt.extract.hints import make_hints

        if first or new_json:
            hints = make_hints(**self.controls.hints(
                _column_hints(request.primary_key if first else (), new_json),
                **_table_hints(request, result.destination_table),
            ))
            return dlt.mark.with_hints(arrow, hints, create_table_variant=True)
        return dlt.mark.with_table_name(arrow, result.destination_table)

    def _empty_table(self, request: TableRequest[Any], result: TableResult) -> Any:
        """A table that read no rows still gets created (its primary key columns, typed)."""
        import dlt
        from dlt.extract.hints import make_hints

        if self.progress is not None:
            self.progress.table_started(result)
        hints = make_hints(**self.controls.hints(
            _column_hints(request.primary_key, ()), **_table_hints(request, result.destination_table)
        ))
        empty = self._with_tombstone(request, _empty(request.table))
        if request.strategy == Strategy.SCD2:
            empty = empty.append_column(_ROW_HASH_FIELD, pa.array([], pa.string()))
        empty = self.controls.apply(request, empty)
        return dlt.mark.with_hints(empty, hints, create_table_variant=True)

    def _with_tombstone(self, request: TableRequest[Any], arrow: pa.Table) -> pa.Table:
        """Rows loaded now are live: `_omniload_deleted_at` is null (README "Nightly runs"), on tables whose
        vanished keys are marked, where the destination can mark them."""
        if not request.table.tombstones or not self.destination.removes_rows:
            return arrow
        return arrow.append_column(_DELETED_AT_FIELD, pa.nulls(arrow.num_rows, _DELETED_AT_FIELD.type))

    def _refuse_emptying(
        self, pipeline: Any, requests: list[TableRequest[Any]], results: dict[str, TableResult]
    ) -> None:
        """A replace that read nothing would empty a table that has rows: that needs the user's explicit word."""
        if self.full_refresh:
            return
        for request in requests:
            result = results[request.load_name]
            # scd2 over a whole read retires every active row the run did not see: an empty read retires them all
            retires_all = request.strategy == Strategy.SCD2 and not request.interval
            replaces = (request.strategy == Strategy.REPLACE and request.partial is None) or request.replace
            emptying = replaces or retires_all
            if not emptying or result.rows:
                continue
            existing = _row_count(pipeline, result.destination_table)
            if existing:
                what = "scd2 would retire all of" if retires_all else "replacing would empty"
                raise OmniloadError(
                    f"{request.load_name}: this run read 0 rows, and {what} "
                    f"{self.created_dataset}.{result.destination_table} ({existing:,} rows); nothing was changed. "
                    "Re-run with --full-refresh if the table really should be empty"
                )


@dataclass
class _Reading:
    """What `_Segments` keeps while pages arrive: each table's converter and start, and the request count."""

    requests_seen: int
    last_page: float = field(default_factory=time.monotonic)  # a table's time starts when the reader moves on
    converters: dict[str, PageConverter] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)

    def requests_since_last_page(self, requests_now: int) -> int:
        """The requests made since the previous page were made for this page's table."""
        since, self.requests_seen = requests_now - self.requests_seen, requests_now
        return since

    def start_table(self, request: TableRequest[Any]) -> None:
        self.converters[request.load_name] = PageConverter(request.primary_key, request.table.types)
        self.started[request.load_name] = self.last_page


@dataclass
class _Segments:
    """A run's reads cut into checkpoints, each loaded (with the state that goes with it) by its own dlt load.

    A checkpoint falls where no table is half read (the reader ends each table with a `None` page), once
    `Run.checkpoint_seconds` have passed since the last one. Its load commits the tables completed since the last
    one, their cursors, and the run's record (`run` in the state: which tables this run has committed). A run
    started again with the same arguments after a failure finds the record and does not read those tables
    again; the last checkpoint removes it (README "Checkpoints and resume").
    """

    run: Run
    results: dict[str, TableResult]
    pipeline_name: str
    pipeline: Any = None  # the dlt pipeline, for the removals (omniload/removals.py)
    finished: bool = False
    completed: list[TableRequest[Any]] = field(default_factory=list)  # in the checkpoint being loaded
    committed: list[str] = field(default_factory=list)  # by this run, in the order they were committed
    resumed: list[str] = field(default_factory=list)  # committed by an earlier, interrupted run: not read again
    _requests: list[TableRequest[Any]] = field(default_factory=list)  # the tables this run reads
    _items: Iterator[tuple[TableRequest[Any], Item]] | None = None
    _spills: dict[str, Spill] = field(default_factory=dict)  # tables read in chunks (omniload/spill.py)
    _cursors: Cursors | None = None
    _reading: _Reading | None = None
    _record: dict[str, Any] = field(default_factory=dict)
    _state: dict[str, Any] = field(default_factory=dict)  # the resource state of the checkpoint being read

    def segment(self) -> Iterator[Any]:
        """The dlt resource of one checkpoint: pages of its tables, each marked with its table and hints, an
        empty page for a table that read nothing (it must still exist), and the cursors of the tables it
        completes."""
        import dlt

        state = dlt.current.resource_state()
        if self._cursors is None:
            self._start(state)
        cursors, reading = self._cursors, self._reading
        assert cursors is not None and reading is not None
        cursors.bind(state)
        self._state = state
        state["removals"] = {}  # this checkpoint's own, applied after its load (and again if that was cut short)
        self.completed = []
        began, reading_tables = time.monotonic(), set()
        while (item := self._pull()) is not None:
            request, rows = item
            if isinstance(rows, Position):
                self._chunk(request, rows)
                continue
            if rows is None:
                yield from self._complete(request)
                reading_tables.discard(request.load_name)
                if not reading_tables and self._checkpoint_due(began) and not self._all_complete():
                    state["run"] = {**self._record, "committed": list(self._record["committed"])}
                    return
                continue
            reading_tables.add(request.load_name)
            result = self.results[request.load_name]
            result.requests += reading.requests_since_last_page(self.run.reader.http.stats.requests)
            rows = cursors.new_rows(request, rows)
            spill = self._spills.get(request.load_name)
            if rows and spill is not None:
                arrow, new_json, _ = self.run._arrow(request, rows, result, reading, cursors)
                spill.add(arrow, new_json)
            elif rows:
                yield self.run._page(request, rows, result, reading, cursors)
        if reading.converters:
            self.run.controls.check_seen()
        for request in self._requests:  # a reader that never said a table was complete: complete at its end
            if request.load_name not in self._record["committed"]:
                yield from self._complete(request)
        state.pop("run", None)  # the run is complete: the next one starts afresh
        self.finished = True

    def commit(self, pipeline: Any) -> None:
        """The checkpoint's load is complete: the rows its tables' sources said are gone are removed, and the
        chunks kept on disk for its tables are not needed any more."""
        self._remove(pipeline, self._state.get("removals", {}))
        names = [r.load_name for r in self.completed]
        for name in names:
            if name in self._spills:
                self._spills.pop(name).clear()
        self.committed.extend(names)
        if self.run.progress is not None and names and not self.finished:
            self.run.progress.committed(names)

    def _remove(self, pipeline: Any, saved: dict[str, Any], again: bool = False) -> None:
        """Apply the removals kept in the state (`omniload/removals.py`), table by table. `again`: those of the
        last load, which its run may not have lived to apply; the marks of vanished keys are left to the next
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
        record = state.get("run")
        if isinstance(record, dict) and record.get("fingerprint") == fingerprint and not run.full_refresh:
            self._record = {**record, "committed": list(record.get("committed", []))}
            self.resumed = [r.load_name for r in run.requests if r.load_name in self._record["committed"]]
        else:
            self._record = {"fingerprint": fingerprint, "started": _utc_now(), "committed": []}
        self._requests = [r for r in run.requests if r.load_name not in self.resumed]
        memory = state.setdefault("memory", {})
        for request in self._requests:
            request.interval = self._cursors.interval_for(request)
            self._remember(request, memory)
            self._resume_inside(request, fingerprint)
        self._reading = _Reading(run.reader.http.stats.requests)
        if self.resumed and run.progress is not None:
            run.progress.resumed(self.resumed, str(self._record["started"]))
        self._items = iter(run.reader.read_all(self._requests))

    def _remember(self, request: TableRequest[Any], memory: dict[str, Any]) -> None:
        """What the source kept for the table at its last load (README "Nightly runs"), unless this run must
        read it whole: --full-refresh, or a destination omniload cannot remove rows from."""
        if not self.run.destination.removes_rows:
            request.partial_refused = f"{self.run.destination.kind} cannot remove rows"
            return
        if self.run.interval.end is not None:  # a backfill (or --yield-limit) moves nothing a next run starts from
            request.partial_refused = "a run with an end (--interval-end, --yield-limit) keeps no watermark"
            return
        request.memory = dict(memory.get(request.load_name) or {})
        if self.run.full_refresh:
            request.partial_refused = "--full-refresh"

    def _resume_inside(self, request: TableRequest[Any], fingerprint: str) -> None:
        """A table an interrupted run with the same arguments was reading in chunks resumes after its last."""
        spill = Spill.open(self.pipeline_name, request.load_name, fingerprint)
        if self.run.full_refresh or spill.position is None:
            return
        request.resume_from = spill.position
        self._spills[request.load_name] = spill
        kept = spill.rows
        self.results[request.load_name].rows += kept
        if self.run.progress is not None:
            self.run.progress.resumed_inside(request.load_name, kept, spill.label)

    def _chunk(self, request: TableRequest[Any], position: Position) -> None:
        """The reader reads this table in chunks (a first `Position`), or has completed one."""
        name = request.load_name
        if position.value is None and name not in self._spills:  # not resumed: earlier chunks are stale
            self._spills[name] = Spill.open(self.pipeline_name, name, _fingerprint(self.run))
            self._spills[name].start_afresh()
        elif position.value is not None:
            self._spills[name].checkpoint(position.value, position.label)

    def _complete(self, request: TableRequest[Any]) -> Iterator[Any]:
        assert self._cursors is not None and self._reading is not None
        spill = self._spills.get(request.load_name)
        if spill is not None and spill.parts:  # the chunks kept on disk, loaded as one table
            result = self.results[request.load_name]
            for index, page in enumerate(spill.pages()):
                yield self.run._marked(request, page, result, index == 0, spill.json_columns if not index else [])
        elif request.load_name not in self._reading.converters:
            yield self.run._empty_table(request, self.results[request.load_name])
        self._cursors.advance(request)
        if request.memory is not None:
            self._state.setdefault("memory", {})[request.load_name] = request.memory
        kept = [r for r in request.removals if not (isinstance(r, Present) and self.run.controls.names_columns)]
        if kept:  # keys are not compared once --columns renames or retypes them
            self._state["removals"][request.load_name] = removals.to_state(kept)
        self._record["committed"].append(request.load_name)
        self.completed.append(request)

    def _all_complete(self) -> bool:
        """Every table read: the run ends with this checkpoint (not with one that would only clear the record)."""
        return len(set(self._record["committed"])) >= len(self.run.requests)

    def _checkpoint_due(self, began: float) -> bool:
        if self.run.controls.names_columns:
            return False
        return time.monotonic() - began >= self.run.checkpoint_seconds

    def _pull(self) -> tuple[TableRequest[Any], Item] | None:
        """The reader's next item. The next table's reads start only when it is pulled, after the checkpoint
        before it is committed."""
        assert self._items is not None
        return next(self._items, None)

def _fingerprint(run: Run) -> str:
    """What a resumed run must share with the interrupted one: its tables, strategies, keys and interval."""
    parts = [f"{r.load_name}|{r.strategy}|{','.join(r.primary_key)}|{r.incremental_key}" for r in run.requests]
    parts.append(f"{run.interval.start}|{run.interval.end}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(variable: str, default: float) -> float:
    value = os.environ.get(variable, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise UsageError(f"{variable}={value!r} is not a number of seconds") from None


def _row_count(pipeline: Any, table: str) -> int:
    """Rows in the destination table now; 0 when it does not exist or the destination cannot be asked."""
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            rows = client.execute_sql(f"SELECT COUNT(*) FROM {name}")
    except Exception:  # no such table yet, or a destination without SQL (files)
        return 0
    return int(rows[0][0]) if rows else 0


def _table_hints(request: TableRequest[Any], table_name: str) -> dict[str, Any]:
    """The run's strategy in dlt's terms. delete+insert replaces every row whose incremental key value was
    read again; scd2 keeps history rows with validity ranges."""
    hints: dict[str, Any] = {"table_name": table_name, "primary_key": list(request.primary_key)}
    if request.partial is not None:  # only some keys were read: their rows are replaced, the others kept
        hints["write_disposition"] = {"disposition": "merge", "strategy": "delete-insert"}
        hints["merge_key"] = [request.partial.key]
        return hints
    if request.replace:  # the source read the whole table again: it replaces what is there
        hints["write_disposition"] = Strategy.REPLACE.value
        return hints
    match request.strategy:
        case Strategy.REPLACE | Strategy.APPEND:
            hints["write_disposition"] = request.strategy.value
        case Strategy.MERGE:
            hints["write_disposition"] = {"disposition": "merge", "strategy": "delete-insert"}
        case Strategy.DELETE_INSERT:
            hints["write_disposition"] = {"disposition": "merge", "strategy": "delete-insert"}
            hints["primary_key"] = []
            hints["merge_key"] = request.incremental_key
        case Strategy.SCD2:
            hints["write_disposition"] = {"disposition": "merge", "strategy": "scd2"}
            hints["primary_key"] = []
            # scd2 retires every active row the run did not read; a run that read only an interval retires
            # only the versions of the records it read again (dlt scopes retirement to the merge key).
            hints["merge_key"] = list(request.primary_key) if request.interval else []
        case unreachable:
            assert_never(unreachable)
    return hints


def check_request(request: TableRequest[Any]) -> None:
    """What a strategy needs of the table's keys, checked before anything is read."""
    if any(not column.strip() for column in request.primary_key) or request.incremental_key == "":
        raise UsageError(f"{request.load_name}: --primary-key and --incremental-key need a column name")
    if request.strategy == Strategy.MERGE and not request.primary_key:
        raise UsageError(f"{request.load_name}: merge needs a primary key (--primary-key)")
    if request.strategy == Strategy.DELETE_INSERT and not request.incremental_key:
        raise UsageError(f"{request.load_name}: delete+insert needs an incremental key (--incremental-key)")


def _empty(table: TableSpec) -> pa.Table:
    kinds = {int: pa.int64(), str: pa.string()}
    return pa.table(
        {c: pa.array([], kinds.get(table.types.get(c, str), pa.string())) for c in table.primary_key}
    )


def _column_hints(not_null: Iterable[str], json_columns: Iterable[str]) -> list[Any]:
    """Primary key columns are NOT NULL; nested values arrive as text and are stored as JSON."""
    return [{"name": c, "nullable": False} for c in not_null] + [
        {"name": c, "data_type": "json"} for c in json_columns
    ]


def split_dest_table(
    dest_table: str | None, default_dataset: str, several: bool = False
) -> tuple[str, str | None]:
    """`schema.table` → (dataset, table); a bare name loads into the destination's default schema. With several
    tables, `--dest-table` names only the schema, and each table keeps its own name."""
    if not dest_table:
        return default_dataset, None
    if several:
        if "." in dest_table:
            raise UsageError(f"with several tables, --dest-table names the schema only, not {dest_table!r}")
        return dest_table, None
    dataset, dot, table = dest_table.rpartition(".")
    if dot and (not dataset or not table):
        raise UsageError(f"--dest-table {dest_table!r} must look like schema.table")
    return (dataset or default_dataset), table


def parse_instant(value: str | None, option: str) -> int | None:
    """`YYYY-MM-DD` or ISO 8601 date-time, with or without offset (UTC when absent) → Unix seconds."""
    if value is None or value == "":
        return None
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date: use YYYY-MM-DD or an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def make_interval(start: str | None, end: str | None) -> Interval:
    interval = Interval(parse_instant(start, "--interval-start"), parse_instant(end, "--interval-end"))
    if interval.start is not None and interval.end is not None and interval.start > interval.end:
        raise UsageError(f"--interval-start {start} is after --interval-end {end}")
    return interval


def _pipeline_name(destination: str, dataset: str, tables: list[str]) -> str:
    """One pipeline (and so one state) per destination, dataset and set of tables."""
    digest = hashlib.sha1("|".join([destination, dataset, *sorted(tables)]).encode()).hexdigest()[:12]
    return f"omniload_{digest}"


def _stopped(error: BaseException, destination: str, loading: bool, committed: list[str]) -> BaseException:
    """What a failed run raises: `Interrupted` saying what was kept (omniload/interrupts.py), else the user's
    one-line error, which names the checkpoints kept."""
    signum = interrupts.signal_in(error)
    if signum is not None:
        return interrupts.Interrupted(signum, loading, committed)
    stopped = _user_error(error, destination)
    if committed and isinstance(stopped, OmniloadError):
        return type(stopped)(f"{stopped}; {interrupts.kept_checkpoints(committed)}")
    return stopped


def _drop_staging(pipeline: Any) -> None:
    """After the swap the staging dataset holds a second full copy of every replaced table; dlt creates it again
    when the next run needs it. A failure here costs disk space, not data: a warning, not a failed run."""
    try:
        with pipeline.sql_client() as client, client.with_staging_dataset():
            if client.has_dataset():
                client.drop_dataset()
    except Exception as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        logging.getLogger("omniload").warning(f"could not drop the staging copy: {reason}")


def _user_error(error: BaseException, destination: str) -> BaseException:
    """dlt wraps what the source raised; the user needs the innermost explanation, not the wrapper."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OmniloadError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    innermost, hops = error, 0
    while innermost.__cause__ is not None and hops < 20:  # dlt's step wrapper says where; its cause says why
        innermost, hops = innermost.__cause__, hops + 1
    refused = contract_violation(innermost)
    if refused is not None:
        return refused
    text = [line.strip() for line in str(innermost).splitlines() if line.strip()]
    reason = text[0] if text else type(innermost).__name__
    connection = _DLT_CONNECTION_FAILED.search(reason)
    if connection:  # dlt's advice about credentials and the internet is wrong for a file in use or a bad path
        return OmniloadError(_connection_failure(reason[connection.end() :], destination))
    message = f"load failed: {reason}"
    if destination == "duckdb" and "Out of Memory" in message:
        message += "; raise DuckDB's memory limit with ?memory_limit=1GB on --dest-uri"
    return OmniloadError(message)


#: dlt's wrapper around a destination's own connection error, up to the point where that error's text starts.
_DLT_CONNECTION_FAILED = re.compile(r"Connection with `client_type=.*? failed\. .*?The actual reason given is: ")
_DUCKDB_LOCK = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": '
    r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)"
)


def _connection_failure(reason: str, destination: str) -> str:
    """The destination's own reason, and for a DuckDB file locked by another process, which process."""
    lock = _DUCKDB_LOCK.search(reason)
    if destination == "duckdb" and lock:
        return (
            f"the file {lock['file']} is in use by process {lock['pid']} ({lock['program']}); "
            "DuckDB lets one process write to a file at a time: wait for it to end or stop it, then run again"
        )
    return f"cannot open the {destination} destination: {reason.split('. See also')[0]}"
