"""The words of a failed request (omniload/http/failures.py): one line per status retrying cannot fix, with the
source's own words where it has some, and the proxy named when a host cannot be reached through one."""

from __future__ import annotations

import pytest

from omniload.errors import ApiError, NotFound
from omniload.http import GenericErrors
from omniload.http.failures import reason, seconds, status_error, unreachable


class Worded(GenericErrors):
    """A source with words of its own for a 401 and error bodies."""

    def unauthorized(self) -> str:
        return "the key was refused: check it"

    def detail(self, body: bytes) -> str:
        return body.decode()


@pytest.mark.parametrize(
    ("errors", "status", "attempts", "kind", "line"),
    [
        (GenericErrors(), 401, 1, ApiError, "the API rejected the credentials (401)"),
        (Worded(), 401, 1, ApiError, "the key was refused: check it"),
        (
            GenericErrors(),
            403,
            1,
            ApiError,
            "the API key is not allowed to read /v1/things (403); give the key read access to this data",
        ),
        (Worded(), 404, 1, NotFound, "GET /v1/things: not found (404)"),
        (GenericErrors(), 400, 1, ApiError, "GET /v1/things answered 400"),
        (Worded(), 400, 1, ApiError, "GET /v1/things answered 400: bad filter"),
        (Worded(), 503, 8, ApiError, "GET /v1/things answered 503 8 times: bad filter"),
    ],
)
def test_each_status_is_one_line(
    errors: GenericErrors, status: int, attempts: int, kind: type[ApiError], line: str
) -> None:
    error = status_error(errors, "GET", "/v1/things", status, b"bad filter", attempts=attempts)
    assert (type(error), str(error), error.status) == (kind, line, status)


def test_an_unreachable_host_names_the_proxy_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    refused = ConnectionRefusedError("[Errno 111] Connection refused")
    assert unreachable("https://api.example.com", True, refused) == (
        "cannot reach api.example.com through the proxy http://proxy.internal:3128 (HTTPS_PROXY): "
        "[Errno 111] Connection refused; check the proxy, or NO_PROXY"
    )
    assert unreachable("https://api.example.com", False, refused) == (
        "cannot reach api.example.com: [Errno 111] Connection refused; check base_url, the region and the network"
    )


@pytest.mark.parametrize(
    ("value", "shown"), [(1.5, "1.5s"), (9.96, "10.0s"), (600.0, "600s"), (100_000.0, "27.8 hours")]
)
def test_durations_read_as_people_say_them(value: float, shown: str) -> None:
    assert seconds(value) == shown


def test_an_exception_is_its_first_line_or_its_name() -> None:
    assert reason(OSError("first\nsecond")) == "first"
    assert reason(TimeoutError()) == "TimeoutError"
