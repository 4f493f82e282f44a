"""Run many page generators on a few threads and hand their pages to one consumer, in bounded memory.

Fan-out reads (one per parent, one per delivery window) spend their time waiting on the network and on the rate
limiter; threads let the limiter, not latency, set the pace. The queue between workers and the consumer holds
one page: each worker already holds the page it is reading, and a deeper queue only adds pages to
the peak (the consumer turning pages into Arrow is faster than the API, so it never starves).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def parallel_pages(
    tasks: Iterable[Callable[[], Iterator[T]]], workers: int
) -> Iterator[T]:
    """Yield every item of every task's iterator, in no particular order.

    The first error stops all workers (after their current request) and is raised to the consumer; closing the
    consumer early stops them too.
    """
    task_iter = iter(tasks)
    task_lock = threading.Lock()
    out: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def next_task() -> Callable[[], Iterator[T]] | None:
        with task_lock:
            return next(task_iter, None)

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            while not stop.is_set() and (task := next_task()) is not None:
                for item in task():
                    if not put(item):
                        return
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
            stop.set()
        finally:
            put(_DONE)

    threads = [threading.Thread(target=work, daemon=True, name=f"omniload-worker-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = out.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, _Failure):
                raise item.error
            else:
                yield item  # type: ignore[misc]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
