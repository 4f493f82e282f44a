"""The shared rate limiter (omniload/http/limiter.py) on its own: the rate it adapts, within its floor and its
ceiling. tests/test_http.py shows it keeping eight threads under the fake's limit."""

from __future__ import annotations

import time

from omniload.http import RATE_DROP, RATE_FLOOR, RateLimiter


def test_the_rate_never_drops_below_the_floor() -> None:
    limiter = RateLimiter(10.0)
    for _ in range(20):
        limiter.throttled(time.monotonic())
    assert limiter.rate == RATE_FLOOR


def test_a_429_for_a_request_sent_before_the_last_cut_changes_nothing() -> None:
    limiter = RateLimiter(8.0)
    early = time.monotonic()
    limiter.throttled(time.monotonic())
    limiter.throttled(early)
    assert limiter.rate == 8.0 * RATE_DROP


def test_without_a_rate_limit_nothing_is_spaced_or_adapted() -> None:
    limiter = RateLimiter(None)
    for _ in range(1000):
        limiter.acquire()
    limiter.throttled(time.monotonic())
    limiter.succeeded()
    assert (limiter.rate, limiter.waited) == (None, 0.0)
