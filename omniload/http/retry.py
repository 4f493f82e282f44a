"""When a request is tried again, how long omniload waits first, and when it gives up.

Nothing waits without bound: every wait before a retry, a `Retry-After` included, must fit in the request's retry
budget (`retry_budget=` in the URI, README "Loading Customer.io"), or the request fails at once with one line
saying why. Server errors and broken transfers are retried a few times with a growing wait; a connection that
cannot be made is given up sooner; a 429 is not a failure, only a request for patience, so it is bounded by the
budget alone.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

from omniload.http.failures import seconds

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: A Retry-After at least this long is announced on stderr: a silent wait of minutes looks like a hang.
LONG_WAIT = 5.0


@dataclass
class RetryPolicy:
    """How long to keep trying. 429s are bounded by the budget only, since the server says when to come back."""

    max_attempts: int = 8
    max_connect_attempts: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    #: Seconds one request may spend on retries and their waits (`retry_budget=` in the URI).
    total_seconds: float = 600.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter above half the step, so parallel retries spread out."""
        step = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return step / 2 + random.uniform(0, step / 2)


@dataclass(frozen=True)
class Delay:
    """A request about to be retried, or held back by a 429: what happened and how long omniload waits."""

    method: str
    path: str
    reason: str
    wait: float
    rate: float | None  # the limiter's rate after this event, requests per second
    throttled: bool = False  # a 429: the limiter holds every thread for `wait`, not only this one


class Attempts:
    """One request's tries so far, held against its policy: each event gives the wait before the next try, or
    None once the request must fail. A 429 counts apart, since it is not a failure."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.give_up_at = time.monotonic() + policy.total_seconds
        self.failures = 0
        self._connect_failures = 0
        self._throttles = 0

    def connect_failed(self) -> float | None:
        """A connection refused or timed out: a few tries only, since a host that is down stays down."""
        self._connect_failures += 1
        self.failures += 1
        if self._connect_failures >= self.policy.max_connect_attempts:
            return None
        return self.policy.backoff(self.failures)

    def failed(self, hinted: float | None = None) -> float | None:
        """A server error or a broken transfer; the wait is at least what the server asked (`hinted`)."""
        self.failures += 1
        if self.failures >= self.policy.max_attempts:
            return None
        return max(hinted or 0.0, self.policy.backoff(self.failures))

    def throttled(self, hinted: float | None) -> float:
        """A 429: wait as asked; without a usable Retry-After (absent or 0) the wait grows, so a
        `Retry-After: 0` cannot spin through the budget."""
        self._throttles += 1
        return hinted or self.policy.backoff(self._throttles)

    def left(self) -> float:
        """Seconds left of the retry budget."""
        return self.give_up_at - time.monotonic()

    def past_budget(self, delay: Delay, hinted: float | None, left: float) -> str:
        """The line for a wait that would end past the budget, saying what the server asked when it asked."""
        total = self.policy.total_seconds
        budget = f"retry budget ({seconds(total)}, retry_budget= in the URI)"
        if hinted is not None and hinted >= delay.wait:
            return (
                f"{delay.method} {delay.path} {delay.reason} and the server asked to wait {seconds(hinted)} "
                f"(Retry-After), more than the {seconds(left)} left of its {budget}; giving up without waiting"
            )
        return (
            f"{delay.method} {delay.path} kept failing for {seconds(total - left)} (last: {delay.reason}); "
            f"the next retry would pass its {budget}; giving up"
        )


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is delta-seconds or an HTTP-date; anything else is ignored."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
