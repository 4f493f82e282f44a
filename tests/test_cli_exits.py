"""`omniload.cli.exits.failure`, the one place that maps an error to its exit status and line (README "What the
demo prints"): each kind of failure the CLI can end with, raised for real, and what the user gets."""

from __future__ import annotations

import dataclasses
import signal

import pytest
import typer

from omniload.cli.exits import ExitStatus, Failure, failure
from omniload.errors import ApiError, OmniloadError, UsageError
from omniload.interrupts import Interrupted


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:  # noqa: BLE001 - the error itself is the test's input
        return caught


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            UsageError("--page-size must be at least 1, not 0"),
            Failure(ExitStatus.BAD_INPUT, "--page-size must be at least 1, not 0"),
        ),
        (OmniloadError("load failed: disk full"), Failure(ExitStatus.ERROR, "load failed: disk full")),
        (ApiError("401 from the API", status=401), Failure(ExitStatus.ERROR, "401 from the API")),
        (Interrupted(signal.SIGINT), Failure(ExitStatus.INTERRUPTED, "interrupted by SIGINT", traceback=False)),
        (Interrupted(signal.SIGTERM), Failure(ExitStatus.TERMINATED, "interrupted by SIGTERM", traceback=False)),
        (KeyboardInterrupt(), Failure(ExitStatus.INTERRUPTED, "interrupted by SIGINT", traceback=False)),
        (typer.Abort(), Failure(ExitStatus.INTERRUPTED, "aborted", traceback=False)),
        (
            ZeroDivisionError("division by zero\nsecond line"),
            Failure(ExitStatus.ERROR, "ZeroDivisionError: division by zero", bug=True),
        ),
    ],
)
def test_each_kind_of_failure_has_its_status_and_line(error: BaseException, expected: Failure) -> None:
    assert failure(_raised(error)) == dataclasses.replace(expected, error=type(error).__name__)


def test_a_failures_kind_says_no_more_than_its_class_and_status() -> None:
    """What a job report says of a failure (omniload/notify.py): never the message, which may name a host."""
    kinds = [
        failure(_raised(error)).kind
        for error in (
            UsageError("--interval-start 'soon' is not a date"),
            ApiError("cannot reach api.example.com", status=None),
            Interrupted(signal.SIGTERM),
            ZeroDivisionError("at /home/me/secret"),
        )
    ]

    assert kinds == [
        "bad input (UsageError), exit status 2",
        "run-time failure (ApiError), exit status 1",
        "terminated by SIGTERM (Interrupted), exit status 143",
        "bug (ZeroDivisionError), exit status 1",
    ]


def test_the_statuses_are_the_documented_codes() -> None:
    assert [int(status) for status in ExitStatus] == [0, 1, 2, 130, 143]
