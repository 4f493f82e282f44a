"""`parallel_pages` (`omniload/concurrency.py`): every item of every task, and the first error stops the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from omniload.concurrency import parallel_pages


def task(name: str, count: int) -> Callable[[], Iterator[str]]:
    return lambda: (f"{name}{i}" for i in range(count))


def test_every_item_of_every_task_arrives_once() -> None:
    items = list(parallel_pages((task(name, 50) for name in "abcdefghij"), workers=3))
    assert sorted(items) == sorted(f"{name}{i}" for name in "abcdefghij" for i in range(50))


def test_the_first_error_reaches_the_consumer() -> None:
    def failing() -> Iterator[str]:
        yield "before"
        raise ValueError("page 2 failed")

    with pytest.raises(ValueError, match="page 2 failed"):
        list(parallel_pages([task("a", 3), failing, task("b", 3)], workers=2))
