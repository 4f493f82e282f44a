"""One run: source pages → Arrow → one dlt pipeline → the destination, and the figures for the summary."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from omniload.arrow import PageConverter
from omniload.destinations import Destination
from omniload.errors import OmniloadError, UsageError
from omniload.sources.customerio.engine import Interval, Reader, TableRequest

# dlt reads its configuration from the environment; set what omniload relies on before dlt is imported.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "false")


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
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    """What `omniload ingest` asked for, resolved and checked before anything is read."""

    requests: list[TableRequest]
    reader: Reader
    destination: Destination
    dataset: str
    table_name: str | None  # set when one table loads under the name given in --dest-table

    def execute(self) -> RunResult:
        import dlt

        started = time.monotonic()
        results = {r.output: TableResult(r.output, self._target(r)) for r in self.requests}
        resource = dlt.resource(
            self._pages(results), name="omniload", max_table_nesting=0, parallelized=False
        )
        if self.destination.atomic_replace:
            os.environ["DESTINATION__REPLACE_STRATEGY"] = "insert-from-staging"
        with tempfile.TemporaryDirectory(prefix="omniload-") as workdir:
            pipeline = dlt.pipeline(
                pipeline_name=_pipeline_name(self.destination.display, self.dataset, list(results)),
                destination=self.destination.dlt_destination,
                dataset_name=self.dataset,
                pipelines_dir=workdir,
            )
            try:
                pipeline.run(resource, loader_file_format="parquet")
            except Exception as error:
                raise _user_error(error) from error
            finally:
                self.reader.http.close()
        stats = self.reader.http.stats
        if len(results) == 1:
            next(iter(results.values())).requests = stats.requests
        else:
            for result in results.values():
                result.requests = stats.by_label.get(result.name.rsplit("_", 1)[0], 0) + stats.by_label.get(
                    result.name, 0
                )
        return RunResult(
            list(results.values()),
            stats.requests,
            time.monotonic() - started,
            self.destination.display,
            self.dataset,
            stats.throttled,
        )

    def _target(self, request: TableRequest) -> str:
        return self.table_name if self.table_name and len(self.requests) == 1 else request.output

    def _pages(self, results: dict[str, TableResult]) -> Iterator[Any]:
        import dlt
        from dlt.extract.hints import make_hints

        for request in self.requests:
            result = results[request.output]
            target = result.destination_table
            converter = PageConverter()
            table = request.table
            started = time.monotonic()
            first = True
            for rows in self.reader.read(request):
                arrow, new_json = converter.convert(rows)
                result.rows += arrow.num_rows
                result.pages += 1
                if first or new_json:
                    columns: list[Any] = (
                        [{"name": c, "nullable": False} for c in table.primary_key] if first else []
                    )
                    columns += [{"name": c, "data_type": "json"} for c in new_json]
                    hints = make_hints(
                        table_name=target,
                        primary_key=list(table.primary_key),
                        write_disposition=_disposition(table.strategy),
                        columns=columns,
                    )
                    yield dlt.mark.with_hints(arrow, hints, create_table_variant=True)
                    first = False
                else:
                    yield dlt.mark.with_table_name(arrow, target)
            result.seconds = time.monotonic() - started


def split_dest_table(dest_table: str | None, default_dataset: str) -> tuple[str, str | None]:
    """`schema.table` → (dataset, table); a bare name loads into the destination's default schema."""
    if not dest_table:
        return default_dataset, None
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


def _disposition(strategy: str) -> Any:
    if strategy == "merge":
        return {"disposition": "merge", "strategy": "delete-insert"}
    return {"disposition": strategy}


def _pipeline_name(destination: str, dataset: str, tables: list[str]) -> str:
    """One pipeline (and so one state) per destination, dataset and set of tables."""
    digest = hashlib.sha1("|".join([destination, dataset, *sorted(tables)]).encode()).hexdigest()[:12]
    return f"omniload_{digest}"


def _user_error(error: BaseException) -> BaseException:
    """dlt wraps what the source raised; the user needs the innermost explanation, not the wrapper."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OmniloadError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return OmniloadError(_first_line(error))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"load failed: {text[0] if text else type(error).__name__}"
