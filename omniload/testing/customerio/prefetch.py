"""Build the next delivery page while the client is still reading the current one.

A client paging through ``/v1/messages`` (or a parent's or person's messages) nearly always asks next for the
page after the one it just got, and spends milliseconds receiving and parsing each page. On a machine with a
spare core the fake builds that next page in the meantime, which takes the page build off the client's
critical path. This is only a cache: paging state still lives in the tokens, and an entry is keyed by
everything a page's bytes depend on (the delivery factory, its metrics time and the exact index list), so a
hit serves exactly the bytes a fresh build would. Nothing is prefetched or reused while delivery overrides
exist (tests that change single deliveries get fresh builds).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from .deliveries import DeliveryFactory

_Key = tuple[DeliveryFactory, int, tuple[int, ...]]


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.body: bytes | None = None


class PagePrefetcher:
    """At most ``slots`` prefetched pages (a few per concurrent client is plenty; each is ~0.6 MB)."""

    def __init__(self, slots: int = 8) -> None:
        self.slots = slots
        self._lock = threading.Lock()
        self._pages: OrderedDict[_Key, _Pending] = OrderedDict()
        #: pages served from a prefetch, for tests and benchmarks
        self.hits = 0

    def page_json(self, factory: DeliveryFactory, idx: list[int]) -> bytes:
        """``factory.page_json(idx)``: the prefetched bytes when there are some (waiting for them if needed)."""
        if not factory.overrides:
            with self._lock:
                pending = self._pages.pop((factory, factory.metrics_now, tuple(idx)), None)
            if pending is not None:
                pending.done.wait()
                if pending.body is not None and not factory.overrides:
                    self.hits += 1
                    return pending.body
        return factory.page_json(idx)

    def prefetch(self, factory: DeliveryFactory, next_indices: Callable[[], list[int]]) -> None:
        """Start building the page of ``next_indices()`` (the likely next request) on a background thread."""
        if factory.overrides or not self.slots:
            return
        metrics_now = factory.metrics_now
        idx = next_indices()
        if not idx:
            return
        key = (factory, metrics_now, tuple(idx))
        pending = _Pending()
        with self._lock:
            if key in self._pages:
                return
            self._pages[key] = pending
            while len(self._pages) > self.slots:
                self._pages.popitem(last=False)

        def build() -> None:
            try:
                body = factory.page_json(idx, metrics_now)
                if not factory.overrides:
                    pending.body = body
            finally:
                pending.done.set()

        threading.Thread(target=build, name="fake-customerio-prefetch", daemon=True).start()
