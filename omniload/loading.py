"""The loader's settings of the product page: file format and size, the working folder, naming, parallelism and
a yield limit, checked before anything is read and given to dlt for the run's duration only.

`--loader-file-format` and `--loader-file-size` are dlt's file format and rotation (`data_writer.file_max_items`);
`--pipelines-dir` is where the run's temporary working folder goes (omniload/workdir.py: state lives in the
destination, so the folder is still removed when the run ends); `--schema-naming direct` keeps names as the source
and `--dest-table` give them (dlt's `direct` naming). `--extract-parallelism` is refused: a run is one dlt
resource fed by one rate-limited client, so dlt has nothing to run in parallel. `--yield-limit N` stops each table
after N pages: a table read in part is merged by its primary key (never replaced) and, read as a backfill up to
the run's start, moves no cursor. README "Loader settings" is the user's page.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omniload.destinations import Destination
from omniload.errors import UsageError
from omniload.results import RunResult
from omniload.run.dlt_config import environment
from omniload.run.loop import Run
from omniload.source import Interval, Item, Position, Reader, Strategy, TableRequest

NAMINGS = ("default", "direct")
#: dlt's names for the files it loads from; a destination supports some (its capabilities).
FILE_FORMATS = ("jsonl", "parquet", "csv", "insert_values")

#: A table read in part must keep the rows it already has: these strategies would drop or retire the others.
_WHOLE_TABLE = (Strategy.REPLACE, Strategy.DELETE_INSERT, Strategy.SCD2)

logger = logging.getLogger("omniload")


@dataclass(frozen=True, kw_only=True)
class LoaderSettings:
    """The loader's flags of one run, parsed; `applied()` gives them to dlt while the run lasts."""

    file_format: str | None = None
    file_size: int | None = None
    pipelines_dir: Path | None = None
    naming: str = "default"
    yield_limit: int | None = None

    @classmethod
    def parse(
        cls,
        *,
        loader_file_format: str | None = None,
        loader_file_size: int | None = None,
        pipelines_dir: str | None = None,
        schema_naming: str = "default",
        extract_parallelism: int | None = None,
        yield_limit: int | None = None,
    ) -> LoaderSettings:
        """The flags as given; each mistake is one UsageError line."""
        if extract_parallelism is not None:
            raise UsageError(
                "--extract-parallelism does not apply to an API source: a run is one dlt resource fed by one "
                "client held to the rate limit (set rate_limit= in the source URI); drop the flag"
            )
        file_format = (loader_file_format or "").strip().lower() or None
        if file_format is not None and file_format not in FILE_FORMATS:
            raise UsageError(
                f"unknown --loader-file-format {loader_file_format!r}; use one of {', '.join(FILE_FORMATS)}"
            )
        naming = schema_naming.strip().lower()
        if naming not in NAMINGS:
            raise UsageError(f"unknown --schema-naming {schema_naming!r}; use default or direct")
        for name, value in (("--loader-file-size", loader_file_size), ("--yield-limit", yield_limit)):
            if value is not None and value < 1:
                raise UsageError(f"{name} must be at least 1, not {value}")
        return cls(
            file_format=file_format,
            file_size=loader_file_size,
            pipelines_dir=_folder(pipelines_dir) if pipelines_dir else None,
            naming=naming,
            yield_limit=yield_limit,
        )

    def destination(self, destination: Destination, staging_bucket: str | None) -> Destination:
        """The destination with `--loader-file-format`, where dlt's destination loads from such files."""
        if self.file_format is None:
            return destination
        if destination.kind == "files":
            raise UsageError(
                "--loader-file-format: files take their format from the URI (?format=parquet, jsonl or csv)"
            )
        if staging_bucket:
            raise UsageError(
                "--loader-file-format with --staging-bucket: dlt picks the staged files' format; drop one"
            )
        supported = destination.dlt_destination.capabilities().supported_loader_file_formats or []
        if self.file_format not in supported:
            raise UsageError(
                f"destination {destination.kind} does not load {self.file_format} files; "
                f"--loader-file-format takes {', '.join(f for f in FILE_FORMATS if f in supported)} here"
            )
        return replace(destination, loader_file_format=self.file_format)

    def limit(
        self, requests: list[TableRequest[Any]], explicit: Strategy | None, destination: Destination, refresh: bool
    ) -> None:
        """`--yield-limit`: a table read in part is merged by its primary key (appended when asked), never loaded
        with a strategy that would drop or retire the rows it did not read; says so in one line."""
        if self.yield_limit is None:
            return
        if refresh:
            raise UsageError("--yield-limit with --full-refresh would leave only the rows read: drop one of them")
        if explicit in _WHOLE_TABLE:
            assert explicit is not None
            raise UsageError(
                f"--yield-limit reads part of each table, and --incremental-strategy {explicit.value} would load "
                "it as the whole table: use merge or append, or no --yield-limit"
            )
        strategy = explicit or Strategy.MERGE
        if destination.default_strategy(strategy) != strategy:
            raise UsageError(
                f"--yield-limit merges the tables it reads in part, and destination {destination.kind} cannot "
                "merge: pass --incremental-strategy append, or load into a database"
            )
        for request in requests:
            if strategy == Strategy.MERGE and not request.primary_key:
                raise UsageError(
                    f"{request.load_name}: --yield-limit merges what it reads by the primary key, and "
                    "this table has none: pass --primary-key or --incremental-strategy append"
                )
            request.strategy = strategy
        logger.warning(
            f"--yield-limit {self.yield_limit}: each table stops after {self.yield_limit} page(s) and is loaded "
            f"with {strategy.value}, never replaced; no cursor moves"
        )

    def interval(self, interval: Interval, now: int) -> Interval:
        """A yield-limited run is a backfill up to the run's start, so no cursor moves (README "Nightly runs")."""
        if self.yield_limit is None or interval.end is not None:
            return interval
        return Interval(interval.start, now)

    def reader(self, reader: Reader) -> Reader:
        return reader if self.yield_limit is None else LimitedReader(reader, self.yield_limit)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """dlt's configuration and the working folder's parent for the run's duration, then as they were."""
        settings = {
            "DATA_WRITER__FILE_MAX_ITEMS": str(self.file_size) if self.file_size else None,
            "SCHEMA__NAMING": "direct" if self.naming == "direct" else None,
        }
        previous_dir = tempfile.tempdir
        with environment(settings):
            if self.pipelines_dir is not None:
                tempfile.tempdir = str(self.pipelines_dir)
            try:
                yield
            finally:
                tempfile.tempdir = previous_dir


@dataclass
class LimitedReader:
    """A reader whose tables stop after `limit` pages each: each table is read on its own and its read closed
    at the limit, so no request is made for a page that would be dropped. Positions are dropped too: a table read
    in part is never kept in chunks on disk (README "Checkpoints and resume")."""

    inner: Reader
    limit: int

    def __getattr__(self, name: str) -> Any:  # http, now, set_page_size, ...: the reader's own
        return getattr(self.inner, name)

    def read_all(self, requests: list[TableRequest[Any]]) -> Iterator[tuple[TableRequest[Any], Item]]:
        for request in requests:
            items = self.inner.read_all([request])
            try:
                pages = 0
                for found, item in items:
                    if item is None or isinstance(item, Position):
                        continue
                    yield found, item
                    pages += 1
                    if pages >= self.limit:
                        break
            finally:
                items.close()  # type: ignore[attr-defined]
            yield request, None


@dataclass
class LoadedRun(Run):
    """A run with its loader settings: applied while it executes, and its names as the chosen naming makes
    them."""

    loader: LoaderSettings = field(default_factory=LoaderSettings)

    def execute(self) -> RunResult:
        with self.loader.applied():
            return super().execute()

    def created(self, name: str) -> str:
        if self.loader.naming != "direct":
            return super().created(name)
        from dlt.common.normalizers.naming.direct import NamingConvention

        limit = self.destination.dlt_destination.capabilities().max_identifier_length
        return NamingConvention(max_length=limit).normalize_table_identifier(name)


def _folder(text: str) -> Path:
    folder = Path(text).expanduser().resolve()
    if not folder.is_dir():
        raise UsageError(f"--pipelines-dir {text}: no such folder (create it first)")
    return folder
