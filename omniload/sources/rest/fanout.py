"""One read per parent on a few threads, the pages gathered into pages of about `PAGE_ROWS` rows: the one
fan-out every per-parent read goes through, a source's own reads too (README "How the tables are read").

A parent deleted between the listing and its own read answers 404: it is skipped with a warning naming the table
and the parent, and the read goes on; any other error stops the read. The threads are `concurrency.py`'s, which
keeps one page queued at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from omniload.concurrency import parallel_pages
from omniload.errors import NotFound
from omniload.source import Page
from omniload.sources.rest.parents import Parent

log = logging.getLogger("omniload")

#: Fan-out results are gathered into pages of about this many rows before they travel on. A record of a
#: per-person read is a few KB of Python objects: 5,000 of them held 30 MB more at 100,000 people (README
#: "Benchmarks").
PAGE_ROWS = 1000

T = TypeVar("T")
Task = Callable[[], Iterator[Page]]


def per_parent(
    table: str, parents: Iterable[Parent], read: Callable[[Parent], Iterator[Page]], workers: int
) -> Iterator[Page]:
    """`read(parent)` for every parent, on `workers` threads; a parent that answers 404 is skipped (a warning
    names `table` and the parent), keeping the pages it gave before."""

    def task(parent: Parent) -> Task:
        def run() -> Iterator[Page]:
            try:
                yield from read(parent)
            except NotFound:
                log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table, parent.describe())

        return run

    return fan_out((task(parent) for parent in parents), workers)


def fan_out(tasks: Iterable[Task], workers: int) -> Iterator[Page]:
    """Every page of every task, on `workers` threads, in pages of about `PAGE_ROWS` rows."""
    return gather(parallel_pages(tasks, workers))


def gather(pages: Iterable[Page]) -> Iterator[Page]:
    """Fan-out yields many tiny pages (one per parent); batching them keeps the per-page costs down."""
    batch: Page = []
    for page in pages:
        batch.extend(page)
        if len(batch) >= PAGE_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items (rows, parent ids), made as they are consumed."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
