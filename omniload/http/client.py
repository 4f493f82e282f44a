"""The JSON client every source reads through: it waits for the shared limiter, sends with a deadline, and
retries, waits or fails as the retry policy says, with one line for the user when it fails.

Its parts have their own modules: the rate limiter (`limiter.py`), the retry policy and budget (`retry.py`), the
per-request deadline (`deadline.py`), authentication (`auth.py`, an `httpx.Auth` from the source) and the words
of failures (`failures.py`, with the source's own `ErrorDescription`). This module wires them around one
`httpx.Client`, and keeps the counters the progress display and the summary read (README "Benchmarks").
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx
import orjson

from omniload.errors import ApiError
from omniload.http.deadline import bound_reads_by_deadline, deadline
from omniload.http.failures import ErrorDescription, GenericErrors, reason, seconds, status_error, unreachable
from omniload.http.limiter import RateLimiter
from omniload.http.retry import LONG_WAIT, RETRIABLE_STATUSES, Attempts, Delay, RetryPolicy, parse_retry_after

log = logging.getLogger("omniload")


@dataclass
class RequestStats:
    """Counters a progress display and the run summary read; updated under the client's lock."""

    requests: int = 0
    throttled: int = 0


class _Retry(NamedTuple):
    """An attempt that did not succeed but may be tried again."""

    delay: Delay
    hinted: float | None  # what the server asked in Retry-After, if it did
    announce: bool  # told to `on_delay` (a refused connection fails again at once: its one line is enough)


def _verify_setting() -> ssl.SSLContext | bool:
    """httpx reads SSL_CERT_FILE/SSL_CERT_DIR itself; REQUESTS_CA_BUNDLE is what requests users already set."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and not os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=bundle)
    return True


class HttpClient:
    """A thread-safe JSON client: every call waits for the limiter, retries what can be retried, and
    raises `ApiError` (or `NotFound`) with a message fit for the user for what cannot.

    `timeout` is each request's total deadline, from sending to the last byte of the answer. `auth` signs every
    request (`omniload.http.auth.BearerToken` for a key); `errors` words the API's failures (a 401, a 403, the
    reason in an error body). Plain http (only ever to loopback: each source's URI check refuses the rest) never
    goes through a proxy: the key would travel in clear.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        rate_limit: float | None,
        auth: httpx.Auth | None = None,
        errors: ErrorDescription | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        max_connections: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate_limit)
        self.retry = retry or RetryPolicy()
        self.errors: ErrorDescription = errors or GenericErrors()
        self.stats = RequestStats()
        self.timeout = timeout
        #: Told of every retry and every 429 before omniload waits; the progress display sets it.
        self.on_delay: Callable[[Delay], None] = lambda delay: None
        self._lock = threading.Lock()
        self._client = httpx.Client(
            headers=dict(headers or {}),
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            verify=_verify_setting(),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            trust_env=httpx.URL(self.base_url).scheme != "http",
        )
        bound_reads_by_deadline(self._client)

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Only for read-only searches: they are retried exactly like GETs."""
        return self.request("POST", path, params=params, body=body)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """One call, tried until it succeeds or the retry policy gives up; the decoded JSON answer."""
        url = self.base_url + path
        content = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        attempts = Attempts(self.retry)
        while True:
            self.limiter.acquire()
            sent = time.monotonic()
            with self._lock:
                self.stats.requests += 1
            try:
                status, answer_headers, data = self._send(method, url, params, content, headers)
            except httpx.TransportError as exc:
                retry = self._broken(method, path, exc, attempts)
            else:
                if status < 300:
                    self.limiter.succeeded()
                    return _json(data, method, path)
                retry = self._refused(method, path, status, answer_headers, data, attempts, sent)
            self._hold(retry, attempts)

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[int, httpx.Headers, bytes]:
        """One attempt, ended with `httpx.ReadTimeout` once the total deadline passes, however the server
        spaces its bytes, in the status line and headers as in the body (httpx's own read timeout only bounds
        the wait for each one)."""
        with deadline(self.timeout):
            response = self._client.request(method, url, params=params, content=content, headers=headers)
        return response.status_code, response.headers, response.content

    def _broken(self, method: str, path: str, exc: httpx.TransportError, attempts: Attempts) -> _Retry:
        """No answer: the connection failed, the deadline passed, or the transfer broke."""
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError)):
            wait = attempts.connect_failed()
            if wait is None:
                raise ApiError(unreachable(self.base_url, self._client.trust_env, exc)) from None
            # A refused connection fails again within a second or ends the run naming the host: the one line of
            # its error is enough. A connection that times out is announced like any slow answer.
            delay = Delay(method, path, f"cannot connect: {reason(exc)}", wait, self.limiter.rate)
            return _Retry(delay, None, announce=isinstance(exc, httpx.ConnectTimeout))
        timed_out = isinstance(exc, httpx.TimeoutException)
        why = f"got no complete answer within {self.timeout:g}s" if timed_out else reason(exc)
        wait = attempts.failed()
        if wait is None:
            raise ApiError(f"{method} {path} failed after {attempts.failures} attempts: {why}") from None
        return _Retry(Delay(method, path, why, wait, self.limiter.rate), None, announce=True)

    def _refused(
        self,
        method: str,
        path: str,
        status: int,
        headers: httpx.Headers,
        data: bytes,
        attempts: Attempts,
        sent: float,
    ) -> _Retry:
        """An answer that is not a success: a 429 slows every thread down, other retriable statuses are failed
        attempts, and the rest fail the request at once."""
        if status not in RETRIABLE_STATUSES:
            raise status_error(self.errors, method, path, status, data)
        hinted = parse_retry_after(headers.get("Retry-After"))
        if status == 429:
            with self._lock:
                self.stats.throttled += 1
            self.limiter.throttled(sent)
            wait = attempts.throttled(hinted)
            delay = Delay(method, path, "answered 429 (throttled)", wait, self.limiter.rate, throttled=True)
            return _Retry(delay, hinted, announce=True)
        failed = attempts.failed(hinted)
        if failed is None:
            raise status_error(self.errors, method, path, status, data, attempts=attempts.failures)
        return _Retry(Delay(method, path, f"answered {status}", failed, self.limiter.rate), hinted, announce=True)

    def _hold(self, retry: _Retry, attempts: Attempts) -> None:
        """Wait before the next attempt, or fail now if the wait would end past the retry budget."""
        delay, hinted = retry.delay, retry.hinted
        left = attempts.left()
        if delay.wait > left:
            raise ApiError(attempts.past_budget(delay, hinted, left))
        if hinted is not None and hinted >= LONG_WAIT:
            log.warning(
                "%s %s: %s; the server asked to wait %s (Retry-After); waiting, %s of the %s retry budget left",
                delay.method, delay.path, delay.reason, seconds(hinted), seconds(left),
                seconds(self.retry.total_seconds),
            )  # fmt: skip
        if retry.announce:
            self.on_delay(delay)
        if delay.throttled:
            self.limiter.pause(delay.wait)  # the limiter holds every thread, this one included
        else:
            time.sleep(delay.wait)


def _json(data: bytes, method: str, path: str) -> Any:
    if not data:
        return {}
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ApiError(f"{method} {path} returned a body that is not JSON") from None
