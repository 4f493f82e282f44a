"""One HTTP client for every source: auth, timeouts, retries and one rate limiter shared by all threads.

SaaS rate limits belong to the account, not to the connection, so every request of a run, retries included,
passes through the same limiter; concurrency then only fills the budget, it never exceeds it. The limiter's rate
adapts: a 429 means the budget is shared with someone else, so the rate drops and then climbs back slowly, never
above the configured `rate_limit` (README, "Benchmarks": a key shared with other tools).

Nothing waits without bound: every request has a total deadline, and every wait before a retry (Retry-After
included) must fit in the request's retry budget, or the request fails at once with one line saying why.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
import orjson

from omniload.errors import ApiError, NotFound

log = logging.getLogger("omniload")

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: A Retry-After at least this long is announced on stderr: a silent wait of minutes looks like a hang.
LONG_WAIT = 5.0


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


class _Deadline(threading.local):
    """The monotonic time by which this thread's request must be answered in full; None outside a request."""

    at: float | None = None


_deadline = _Deadline()


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read waits at most until the deadline of the request the thread is sending."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if _deadline.at is not None:
            left = _deadline.at - time.monotonic()
            if left <= 0:
                raise httpcore.ReadTimeout("total deadline passed")
            timeout = left if timeout is None else min(timeout, left)
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each wrapped in a `_DeadlineStream`."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _bound_reads_by_deadline(client: httpx.Client) -> None:
    """Give every connection pool of the client (direct and through each proxy) deadline-bound sockets. httpx has
    no public hook for its network backend, so this sets the pool's own attribute before any connection exists."""
    for transport in [client._transport, *client._mounts.values()]:
        if isinstance(transport, httpx.HTTPTransport):
            pool = transport._pool
            pool._network_backend = _DeadlineBackend(pool._network_backend)


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


def _verify_setting() -> ssl.SSLContext | bool:
    """httpx reads SSL_CERT_FILE/SSL_CERT_DIR itself; REQUESTS_CA_BUNDLE is what requests users already set."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and not os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=bundle)
    return True


@dataclass
class RequestStats:
    """Counters a progress display and the run summary read; updated under the client's lock."""

    requests: int = 0
    throttled: int = 0


class HttpClient:
    """A thread-safe JSON client: every call waits for the limiter, retries what can be retried, and
    raises `ApiError` (or `NotFound`) with a message fit for the user for what cannot.

    `timeout` is each request's total deadline, from sending to the last byte of the answer. Plain http (only
    ever to loopback: each source's URI check refuses the rest) never goes through a proxy: the key would travel
    in clear.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        rate_limit: float | None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        describe_401: Callable[[], str] = lambda: "the API rejected the credentials (401)",
        max_connections: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate_limit)
        self.retry = retry or RetryPolicy()
        self.stats = RequestStats()
        self.timeout = timeout
        #: Told of every retry and every 429 before omniload waits; the progress display sets it.
        self.on_delay: Callable[[Delay], None] = lambda delay: None
        self._describe_401 = describe_401
        self._lock = threading.Lock()
        self._client = httpx.Client(
            headers=dict(headers),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            verify=_verify_setting(),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            trust_env=httpx.URL(self.base_url).scheme != "http",
        )
        _bound_reads_by_deadline(self._client)

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(
        self, path: str, body: Any, params: Mapping[str, Any] | None = None
    ) -> Any:
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
        url = self.base_url + path
        content = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        give_up_at = time.monotonic() + self.retry.total_seconds
        failures = 0
        connect_failures = 0
        throttles = 0
        while True:
            self.limiter.acquire()
            sent = time.monotonic()
            with self._lock:
                self.stats.requests += 1
            hinted: float | None = None
            throttled = False
            announce = True
            try:
                status, answer_headers, data = self._send(method, url, params, content, headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError) as exc:
                connect_failures += 1
                failures += 1
                # A refused connection fails again within a second or ends the run naming the host: the one
                # line of its error is enough. A connection that times out is announced like any slow answer.
                announce = isinstance(exc, httpx.ConnectTimeout)
                if connect_failures >= self.retry.max_connect_attempts:
                    raise ApiError(self._unreachable(exc)) from None
                reason = f"cannot connect: {_reason(exc)}"
                wait = self.retry.backoff(failures)
            except httpx.TransportError as exc:  # deadlines, dropped connections, protocol errors
                failures += 1
                timed_out = isinstance(exc, httpx.TimeoutException)
                reason = f"got no complete answer within {self.timeout:g}s" if timed_out else _reason(exc)
                if failures >= self.retry.max_attempts:
                    raise ApiError(f"{method} {path} failed after {failures} attempts: {reason}") from None
                wait = self.retry.backoff(failures)
            else:
                if status < 300:
                    self.limiter.succeeded()
                    return _json(data, method, path)
                if status not in RETRIABLE_STATUSES:
                    raise self._error(method, path, status, data)
                hinted = parse_retry_after(answer_headers.get("Retry-After"))
                if status == 429:
                    # Not a failed attempt: the server only asks for patience. Without a usable Retry-After
                    # (absent or 0) the wait grows, so a `Retry-After: 0` cannot spin through the budget.
                    throttles += 1
                    throttled = True
                    with self._lock:
                        self.stats.throttled += 1
                    self.limiter.throttled(sent)
                    reason = "answered 429 (throttled)"
                    wait = hinted or self.retry.backoff(throttles)
                else:
                    failures += 1
                    if failures >= self.retry.max_attempts:
                        raise self._error(method, path, status, data, attempts=failures)
                    reason = f"answered {status}"
                    wait = max(hinted or 0.0, self.retry.backoff(failures))
            delay = Delay(method, path, reason, wait, self.limiter.rate, throttled)
            self._hold(delay, hinted, give_up_at, announce)

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
        the wait for each one): every socket read of this thread waits at most until the deadline."""
        _deadline.at = time.monotonic() + self.timeout
        try:
            response = self._client.request(method, url, params=params, content=content, headers=headers)
        finally:
            _deadline.at = None
        return response.status_code, response.headers, response.content

    def _hold(self, delay: Delay, hinted: float | None, give_up_at: float, announce: bool) -> None:
        """Wait before the next attempt, or fail now if the wait would end past the retry budget."""
        left = give_up_at - time.monotonic()
        if delay.wait > left:
            raise ApiError(self._past_budget(delay, hinted, left))
        if hinted is not None and hinted >= LONG_WAIT:
            log.warning(
                "%s %s: %s; the server asked to wait %s (Retry-After); waiting, %s of the %s retry budget left",
                delay.method, delay.path, delay.reason, _seconds(hinted), _seconds(left),
                _seconds(self.retry.total_seconds),
            )
        if announce:
            self.on_delay(delay)
        if delay.throttled:
            self.limiter.pause(delay.wait)  # the limiter holds every thread, this one included
        else:
            time.sleep(delay.wait)

    def _past_budget(self, delay: Delay, hinted: float | None, left: float) -> str:
        spent = self.retry.total_seconds - left
        budget = f"retry budget ({_seconds(self.retry.total_seconds)}, retry_budget= in the URI)"
        if hinted is not None and hinted >= delay.wait:
            return (
                f"{delay.method} {delay.path} {delay.reason} and the server asked to wait {_seconds(hinted)} "
                f"(Retry-After), more than the {_seconds(left)} left of its {budget}; giving up without waiting"
            )
        return (
            f"{delay.method} {delay.path} kept failing for {_seconds(spent)} (last: {delay.reason}); "
            f"the next retry would pass its {budget}; giving up"
        )

    def _unreachable(self, exc: Exception) -> str:
        """Name the proxy when one was in the way: "connection refused" alone sends people to the wrong place."""
        url = httpx.URL(self.base_url)
        host = url.host or self.base_url
        proxy = None
        if self._client.trust_env and not urllib.request.proxy_bypass(host):
            proxy = urllib.request.getproxies().get(url.scheme)
        if proxy:
            shown = httpx.URL(proxy).copy_with(username=None, password=None)
            return (
                f"cannot reach {host} through the proxy {shown} ({url.scheme.upper()}_PROXY): {_reason(exc)}; "
                "check the proxy, or NO_PROXY"
            )
        return f"cannot reach {host}: {_reason(exc)}; check base_url, the region and the network"

    def _error(self, method: str, path: str, status: int, data: bytes, attempts: int = 1) -> ApiError:
        detail = _error_detail(data)
        suffix = f": {detail}" if detail else ""
        if status == 401:
            return ApiError(self._describe_401(), status)
        if status == 403:
            return ApiError(
                f"the API key is not allowed to read {path} (403); give the key read access to this data",
                status,
            )
        if status == 404:
            return NotFound(f"{method} {path}: not found (404)", status)
        if attempts > 1:
            return ApiError(f"{method} {path} answered {status} {attempts} times{suffix}", status)
        return ApiError(f"{method} {path} answered {status}{suffix}", status)


def _json(data: bytes, method: str, path: str) -> Any:
    if not data:
        return {}
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ApiError(f"{method} {path} returned a body that is not JSON") from None


def _error_detail(data: bytes) -> str:
    """Error bodies vary (`errors[]`, `meta.error`, `meta.errors`, none); the status is what counts."""
    try:
        body = orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors") or (body.get("meta") or {}).get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("detail") or "")[:200]
    meta_error = (body.get("meta") or {}).get("error")
    return str(meta_error)[:200] if meta_error else ""


def _seconds(value: float) -> str:
    """Durations as people read them: 1.5s, 600s, 27.8 hours."""
    if value >= 3600:
        return f"{value / 3600:.1f} hours"
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
