"""The retry policy (omniload/http/retry.py): how many tries each kind of failure gets, what a 429 costs, and
the line that ends a request whose next wait would pass its retry budget."""

from __future__ import annotations

import pytest

from omniload.http import Delay, RetryPolicy, parse_retry_after
from omniload.http.retry import Attempts

POLICY = RetryPolicy(max_attempts=4, max_connect_attempts=2, backoff_base=0.5, backoff_cap=4.0, total_seconds=600)


def test_a_host_that_cannot_be_reached_is_given_up_sooner_than_a_failing_server() -> None:
    connecting, answering = Attempts(POLICY), Attempts(POLICY)
    assert [connecting.connect_failed() is None for _ in range(2)] == [False, True]
    assert [answering.failed() is None for _ in range(4)] == [False, False, False, True]
    assert answering.failures == 4


def test_waits_grow_with_each_failure_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    attempts = Attempts(POLICY)
    steps = [0.5, 1.0, 2.0]
    waits = [attempts.failed() for _ in steps]
    assert all(w is not None and step / 2 <= w <= step for w, step in zip(waits, steps, strict=True)), waits
    assert all(2.0 <= POLICY.backoff(n) <= 4.0 for n in range(4, 30))  # capped


def test_a_failed_answer_waits_at_least_what_the_server_asked() -> None:
    assert Attempts(POLICY).failed(hinted=42.0) == 42.0


def test_429s_are_never_out_of_attempts_and_a_retry_after_of_zero_still_backs_off() -> None:
    attempts = Attempts(POLICY)
    assert [attempts.throttled(7.0) for _ in range(20)] == [7.0] * 20
    assert attempts.failures == 0
    assert 0.25 <= Attempts(POLICY).throttled(0.0) <= 0.5
    assert 0.25 <= Attempts(POLICY).throttled(None) <= 0.5


@pytest.mark.parametrize(
    ("hinted", "line"),
    [
        (
            100_000.0,
            "GET /v1/x answered 429 (throttled) and the server asked to wait 27.8 hours (Retry-After), more than "
            "the 590s left of its retry budget (600s, retry_budget= in the URI); giving up without waiting",
        ),
        (
            None,
            "GET /v1/x kept failing for 10s (last: answered 429 (throttled)); the next retry would pass "
            "its retry budget (600s, retry_budget= in the URI); giving up",
        ),
    ],
    ids=["retry-after", "backoff"],
)
def test_a_wait_past_the_budget_is_one_line_saying_why(hinted: float | None, line: str) -> None:
    delay = Delay("GET", "/v1/x", "answered 429 (throttled)", hinted or 700.0, rate=5.0, throttled=True)
    assert Attempts(POLICY).past_budget(delay, hinted, left=590.0) == line


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 12 ", 12.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("-1", None),
        ("1.5", None),
    ],
)
def test_retry_after_is_seconds_or_a_date_and_nothing_else(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds
