"""One rate limiter shared by every thread of a run, whose rate adapts to the server's 429s.

SaaS rate limits belong to the account, not to the connection, so every request of a run, retries included,
passes through the same limiter; concurrency then only fills the budget, it never exceeds it. The rate adapts: a
429 means the budget is shared with someone else, so the rate drops and then climbs back slowly, never above the
configured `rate_limit` (README "Benchmarks": a key shared with other tools).
"""

from __future__ import annotations

import threading
import time

#: The limiter runs this far under the stated rate, so network jitter cannot bunch 11 requests into a second.
RATE_MARGIN = 0.95
#: A 429 multiplies the rate by this; successes add it back at `RATE_CLIMB` requests/s per second.
RATE_DROP = 0.5
RATE_CLIMB = 0.1
#: The rate never drops below this, so a run always moves on.
RATE_FLOOR = 0.5


class RateLimiter:
    """Spaces requests at least 1/rate seconds apart, at a rate that adapts to the server's 429s.

    Spacing rather than a bursty bucket means no sliding one-second window holds more than `rate` requests,
    which is how servers count; a burst allowance would be over the limit the moment another caller shares it.
    The rate starts at the ceiling (`rate_limit`), is halved by a 429 (once per round of requests: a 429 for a
    request sent before the last cut says nothing new) and climbs back by `RATE_CLIMB` per second of successes.
    A slot is granted only when it is due, never reserved ahead, so a pause or a cut holds back every waiting
    thread at once.
    """

    def __init__(self, rate: float | None) -> None:
        self.ceiling = rate
        self.rate = rate
        self._next_slot = 0.0
        self._held_until = 0.0
        self._lowered_at = float("-inf")
        self._lock = threading.Lock()
        #: Wall-clock seconds during which the limiter held back at least one request: with many threads
        #: waiting at once, the sum of their waits would exceed the run's own duration and mean little.
        self.waited = 0.0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                if now >= self._next_slot:
                    # A thread that woke a little late keeps the schedule, so wake-up delays do not add up.
                    interval = 1.0 / (self.rate * RATE_MARGIN) if self.rate else 0.0
                    self._next_slot = (self._next_slot if now - self._next_slot < interval else now) + interval
                    return
                slot = self._next_slot
                self.waited += max(0.0, slot - max(now, self._held_until))
                self._held_until = max(self._held_until, slot)
            time.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """After a 429 every thread holds off, not only the one that was refused."""
        with self._lock:
            self._next_slot = max(self._next_slot, time.monotonic() + seconds)

    def throttled(self, sent: float) -> None:
        """A 429 for a request sent at `sent` (monotonic): lower the rate, once per round of requests."""
        with self._lock:
            if self.rate is None or sent < self._lowered_at:
                return
            self.rate = max(RATE_FLOOR, self.rate * RATE_DROP)
            self._lowered_at = time.monotonic()

    def succeeded(self) -> None:
        """One more request went through: about `rate` of these a second, so the rate climbs `RATE_CLIMB`/s."""
        with self._lock:
            if self.rate is not None and self.ceiling is not None and self.rate < self.ceiling:
                self.rate = min(self.ceiling, self.rate + RATE_CLIMB / self.rate)
