"""One run: source pages → Arrow → one dlt pipeline → the destination, and the figures for the summary.

State between runs (each table's cursor) is dlt resource state, so it is stored in the destination with the data
and committed by the same load: a run that fails anywhere before the load completes moves no cursor. The dlt
working folder is temporary, so a killed run leaves no half-extracted package for the next run to load.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from omniload.arrow import PageConverter
from omniload.destinations import Destination
from omniload.dlt_duckdb import adjust_dlt_duckdb
from omniload.errors import OmniloadError, UsageError
from omniload.memory import release_memory
from omniload.sources.customerio.catalog import Table
from omniload.sources.customerio.engine import Interval, Reader, TableRequest
from omniload.state import Cursors, row_hashes

if TYPE_CHECKING:
    from omniload.progress import ProgressSink

# dlt reads its configuration from the environment; set what omniload relies on before dlt is imported.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
# dlt logs a failed load job with its traceback before each retry; the run's one-line error says what failed
os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")

STRATEGIES = ("replace", "append", "merge", "delete+insert", "scd2")
#: dlt's default scd2 row-version column.
SCD2_ROW_HASH = "_dlt_id"
_ROW_HASH_FIELD = pa.field(SCD2_ROW_HASH, pa.string(), nullable=False)


@dataclass
class TableResult:
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


@dataclass
class Run:
    """What `omniload ingest` asked for, resolved and checked before anything is read."""

    requests: list[TableRequest]
    reader: Reader
    destination: Destination
    dataset: str
    table_name: str | None  # set when one table loads under the name given in --dest-table
    interval: Interval = field(default_factory=Interval)
    full_refresh: bool = False
    lookback_days: int = 30
    progress: ProgressSink | None = None  # told of each table's start, each page and the load stage

    def execute(self) -> RunResult:
        import dlt

        started = time.monotonic()
        results = {r.output: TableResult(r.output, self.target(r)) for r in self.requests}
        resource = dlt.resource(self._pages(results), name="omniload", max_table_nesting=0)
        if self.destination.display.startswith("duckdb"):
            adjust_dlt_duckdb()
        if self.destination.atomic_replace:
            os.environ["DESTINATION__REPLACE_STRATEGY"] = "insert-from-staging"
        with tempfile.TemporaryDirectory(prefix="omniload-") as workdir:
            pipeline = dlt.pipeline(
                pipeline_name=_pipeline_name(self.destination.display, self.dataset, list(results)),
                destination=self.destination.dlt_destination,
                dataset_name=self.dataset,
                pipelines_dir=workdir,
                staging=self.destination.staging,
            )
            try:
                pipeline.sync_destination()  # the saved cursors come back with the state
                pipeline.extract(
                    resource,
                    refresh="drop_resources" if self.full_refresh else None,
                    loader_file_format=self.destination.loader_file_format,  # type: ignore[arg-type]
                )
                self._refuse_emptying(pipeline, results)
                release_memory()
                if self.progress is not None:
                    self.progress.stage("load")
                pipeline.normalize()
                pipeline.load().raise_on_failed_jobs()
            except OmniloadError:
                raise
            except Exception as error:
                raise _user_error(error, self.destination.kind) from error
            finally:
                self.reader.http.close()
        stats = self.reader.http.stats
        if len(results) == 1:  # the one table owns every request, the trailing ones after its last page too
            next(iter(results.values())).requests = stats.requests
        return RunResult(
            list(results.values()),
            stats.requests,
            time.monotonic() - started,
            self.destination.display,
            self.dataset,
            stats.throttled,
        )

    def target(self, request: TableRequest) -> str:
        """The destination table: --dest-table's name when one table loads, else the table's own name."""
        return self.table_name if self.table_name and len(self.requests) == 1 else request.output

    def _pages(self, results: dict[str, TableResult]) -> Iterator[Any]:
        """The one dlt resource of a run: pages of every table, each marked with its table and hints."""
        import dlt
        from dlt.extract.hints import make_hints

        cursors = Cursors.from_state(
            dlt.current.resource_state(), self.interval, self.lookback_days, self.reader.now
        )
        for request in self.requests:
            request.interval = cursors.interval_for(request)
        converters: dict[str, PageConverter] = {}
        started: dict[str, float] = {}
        requests_seen = self.reader.http.stats.requests
        last_page = time.monotonic()  # a table's time starts when the reader moves on to it
        for request, rows in self.reader.read_all(self.requests):
            result = results[request.output]
            # the requests made since the previous page were made for this page's table
            requests_seen, result.requests = _count_requests(self.reader, requests_seen, result.requests)
            rows = cursors.new_rows(request, rows)
            if not rows:
                continue
            first = request.output not in converters
            if first:
                converters[request.output] = PageConverter(request.primary_key, request.table.types)
                started[request.output] = last_page
            arrow, new_json = converters[request.output].convert(rows)
            if request.strategy == "scd2":
                arrow = arrow.append_column(_ROW_HASH_FIELD, pa.array(row_hashes(rows), pa.string()))
            result.rows += arrow.num_rows
            result.pages += 1
            result.seconds = time.monotonic() - started[request.output]
            cursors.observe(request, arrow)
            if self.progress is not None:
                if first:
                    self.progress.table_started(result)
                self.progress.page_read(result)
            last_page = time.monotonic()
            if first or new_json:
                hints = make_hints(
                    columns=_column_hints(request.primary_key if first else (), new_json),
                    **_table_hints(request, result.destination_table),
                )
                yield dlt.mark.with_hints(arrow, hints, create_table_variant=True)
            else:
                yield dlt.mark.with_table_name(arrow, result.destination_table)
        for request in self.requests:
            result = results[request.output]
            if request.output not in converters:  # no rows: the table must still exist
                if self.progress is not None:
                    self.progress.table_started(result)
                hints = make_hints(
                    columns=_column_hints(request.primary_key, ()),
                    **_table_hints(request, result.destination_table),
                )
                empty = _empty(request.table)
                if request.strategy == "scd2":
                    empty = empty.append_column(_ROW_HASH_FIELD, pa.array([], pa.string()))
                yield dlt.mark.with_hints(empty, hints, create_table_variant=True)
            cursors.advance(request)

    def _refuse_emptying(self, pipeline: Any, results: dict[str, TableResult]) -> None:
        """A replace that read nothing would empty a table that has rows: that needs the user's explicit word."""
        if self.full_refresh:
            return
        for request in self.requests:
            result = results[request.output]
            # scd2 over a whole read retires every active row the run did not see: an empty read retires them all
            emptying = request.strategy == "replace" or (request.strategy == "scd2" and not request.interval)
            if not emptying or result.rows:
                continue
            existing = _row_count(pipeline, result.destination_table)
            if existing:
                what = "replacing would empty" if request.strategy == "replace" else "scd2 would retire all of"
                raise OmniloadError(
                    f"{request.output}: this run read 0 rows, and {what} "
                    f"{self.dataset}.{result.destination_table} ({existing:,} rows); nothing was changed. "
                    "Re-run with --full-refresh if the table really should be empty"
                )


def _count_requests(reader: Reader, seen: int, counted: int) -> tuple[int, int]:
    """(requests made so far, `counted` plus the requests made since `seen`)."""
    now = reader.http.stats.requests
    return now, counted + (now - seen)


def _row_count(pipeline: Any, table: str) -> int:
    """Rows in the destination table now; 0 when it does not exist or the destination cannot be asked."""
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            rows = client.execute_sql(f"SELECT COUNT(*) FROM {name}")
    except Exception:  # no such table yet, or a destination without SQL (files)
        return 0
    return int(rows[0][0]) if rows else 0


def _table_hints(request: TableRequest, table_name: str) -> dict[str, Any]:
    """The run's strategy in dlt's terms. delete+insert replaces every row whose incremental key value was
    read again; scd2 keeps history rows with validity ranges."""
    hints: dict[str, Any] = {"table_name": table_name, "primary_key": list(request.primary_key)}
    strategy = request.strategy
    if strategy in ("replace", "append"):
        hints["write_disposition"] = strategy
    elif strategy == "merge":
        hints["write_disposition"] = {"disposition": "merge", "strategy": "delete-insert"}
    elif strategy == "delete+insert":
        hints["write_disposition"] = {"disposition": "merge", "strategy": "delete-insert"}
        hints["primary_key"] = []
        hints["merge_key"] = request.incremental_key
    else:
        hints["write_disposition"] = {"disposition": "merge", "strategy": "scd2"}
        hints["primary_key"] = []
        # scd2 retires every active row the run did not read; a run that read only an interval retires only
        # the versions of the records it read again (dlt scopes retirement to the merge key).
        hints["merge_key"] = list(request.primary_key) if request.interval else []
    return hints


def check_strategy(request: TableRequest) -> None:
    if request.strategy not in STRATEGIES:
        raise UsageError(
            f"unknown --incremental-strategy {request.strategy!r}; use one of {', '.join(STRATEGIES)}"
        )
    if any(not column.strip() for column in request.primary_key) or request.incremental_key == "":
        raise UsageError(f"{request.output}: --primary-key and --incremental-key need a column name")
    if request.strategy == "merge" and not request.primary_key:
        raise UsageError(f"{request.output}: merge needs a primary key (--primary-key)")
    if request.strategy == "delete+insert" and not request.incremental_key:
        raise UsageError(f"{request.output}: delete+insert needs an incremental key (--incremental-key)")


def _empty(table: Table) -> pa.Table:
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
    text = [line.strip() for line in str(innermost).splitlines() if line.strip()]
    message = f"load failed: {text[0] if text else type(innermost).__name__}"
    if destination == "duckdb" and "Out of Memory" in message:
        message += "; raise DuckDB's memory limit with ?memory_limit=1GB on --dest-uri"
    return OmniloadError(message)
