"""One run: source pages → Arrow → one dlt pipeline → the destination, and the figures for the summary.

The loop extracts, loads and commits one checkpoint at a time (omniload/run/checkpoints.py), so hours of reading
are not lost with the run's last minute, and a run started again with the same arguments resumes after the
tables already committed (README "Checkpoints and resume"). State between runs (each table's cursor, and which
tables a run has committed) is dlt resource state, so it is stored in the destination with the data and
committed by the same load: a checkpoint that fails before its load completes moves no cursor. The dlt working
folder is temporary, so a killed run leaves no half-extracted package for the next run to load, and the next
run removes the folder (omniload/workdir.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import omniload.testing.faults as faults
from omniload import workdir
from omniload.destinations import Destination
from omniload.dlt_duckdb import adjust_dlt_duckdb
from omniload.errors import OmniloadError
from omniload.memory import release_memory
from omniload.results import RunResult, TableResult
from omniload.run import failures
from omniload.run.arguments import seconds
from omniload.run.checkpoints import CHECKPOINT_SECONDS, CHECKPOINT_VARIABLE, Checkpoints
from omniload.run.dlt_config import pipeline_name, replace_strategy
from omniload.run.marking import PageMarker
from omniload.shaping.checks import check
from omniload.shaping.flags import Shaping
from omniload.source import Interval, Reader, Strategy, TableRequest
from omniload.text import first_line

if TYPE_CHECKING:
    from omniload.progress import ProgressSink


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
    checkpoint_seconds: float = field(default_factory=lambda: seconds(CHECKPOINT_VARIABLE, CHECKPOINT_SECONDS))
    shaping: Shaping = field(default_factory=Shaping)  # --columns, --mask, ... (omniload/shaping/)

    def __post_init__(self) -> None:
        self.destination = check(self.shaping, self.requests, self.reader, self.destination)

    def execute(self) -> RunResult:
        started = time.monotonic()
        results = {r.load_name: TableResult(r.load_name, self.destination_table(r)) for r in self.requests}
        if self.destination.display.startswith("duckdb"):
            adjust_dlt_duckdb()
        workdir.remove_stale()
        marker = PageMarker(self.shaping, self.destination.removes_rows, self.progress)
        checkpoints = Checkpoints(self, marker, results, self.pipeline_name)
        with replace_strategy(self.destination.atomic_replace), workdir.make() as folder:
            pipeline = self._pipeline(self.pipeline_name, folder)
            checkpoints.pipeline = pipeline
            try:
                self._checkpoints(pipeline, checkpoints)
            finally:
                self.reader.http.close()
            if self.destination.atomic_replace:
                _drop_staging(pipeline)
        return self._result(results, time.monotonic() - started, checkpoints.resumed)

    def _pipeline(self, name: str, folder: str) -> Any:
        import dlt

        return dlt.pipeline(
            pipeline_name=name,
            destination=self.destination.dlt_destination,
            dataset_name=self.dataset,
            pipelines_dir=folder,
            staging=self.destination.staging,
        )

    def _checkpoints(self, pipeline: Any, checkpoints: Checkpoints) -> None:
        """Extract, load and commit one checkpoint after another; a failure says what the ones before kept."""
        import dlt

        loading = False
        try:
            pipeline.sync_destination()  # the saved cursors come back with the state
            refresh = "drop_resources" if self.full_refresh else None
            while not checkpoints.finished:
                resource = dlt.resource(checkpoints.checkpoint(), name="omniload", max_table_nesting=0)
                pipeline.extract(
                    resource,
                    refresh=refresh,
                    loader_file_format=self.destination.loader_file_format,
                )
                refresh = None  # the tables are dropped once, by the first checkpoint's load
                self._refuse_emptying(pipeline, checkpoints.completed, checkpoints.results)
                release_memory()
                loading = True
                self._load(pipeline)
                loading = False
                checkpoints.commit(pipeline)
        except OmniloadError as error:
            if not checkpoints.committed:
                raise
            raise failures.with_checkpoints(error, checkpoints.committed) from error
        except (Exception, KeyboardInterrupt) as error:
            raise failures.stopped(error, self.destination.kind, loading, checkpoints.committed) from error

    def _load(self, pipeline: Any) -> None:
        """One checkpoint's load: the tables read since the last one, and the state that goes with them."""
        if self.progress is not None:
            self.progress.stage("load")
        pipeline.normalize()
        faults.arm()
        pipeline.load().raise_on_failed_jobs()

    def _result(self, results: dict[str, TableResult], seconds: float, resumed: list[str]) -> RunResult:
        stats = self.reader.http.stats
        if len(results) == 1:  # the one table owns every request, the trailing ones after its last page too
            next(iter(results.values())).requests = stats.requests
        return RunResult(
            list(results.values()),
            stats.requests,
            seconds,
            self.destination.display,
            self.created_dataset,
            stats.throttled,
            resumed=resumed,
        )

    @property
    def pipeline_name(self) -> str:
        """The dlt pipeline of these tables in this dataset: where their state is kept between runs."""
        return pipeline_name(self.destination.display, self.dataset, [r.load_name for r in self.requests])

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
            if not (replaces or retires_all) or result.rows:
                continue
            existing = _row_count(pipeline, result.destination_table)
            if existing:
                what = "scd2 would retire all of" if retires_all else "replacing would empty"
                raise OmniloadError(
                    f"{request.load_name}: this run read 0 rows, and {what} "
                    f"{self.created_dataset}.{result.destination_table} ({existing:,} rows); nothing was changed. "
                    "Re-run with --full-refresh if the table really should be empty"
                )


def _row_count(pipeline: Any, table: str) -> int:
    """Rows in the destination table now; 0 when it does not exist or the destination cannot be asked."""
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            rows = client.execute_sql(f"SELECT COUNT(*) FROM {name}")
    except Exception:  # no such table yet, or a destination without SQL (files)
        return 0
    return int(rows[0][0]) if rows else 0


def _drop_staging(pipeline: Any) -> None:
    """After the swap the staging dataset holds a second full copy of every replaced table; dlt creates it again
    when the next run needs it. A failure here costs disk space, not data: a warning, not a failed run."""
    try:
        with pipeline.sql_client() as client, client.with_staging_dataset():
            if client.has_dataset():
                client.drop_dataset()
    except Exception as error:
        logging.getLogger("omniload").warning(
            f"could not drop the staging copy: {first_line(error) or type(error).__name__}"
        )
