"""One HTTP client for every source: auth, timeouts, retries and one rate limiter shared by all threads.

SaaS rate limits belong to the account, not to the connection, so every request of a run, retries included,
passes through the same limiter; concurrency then only fills the budget, it never exceeds it.
"""

from __future__ import annotations

import email.utils
import os
import random
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from omniload.errors import ApiError, NotFound

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


#: The limiter runs this far under the stated rate, so network jitter cannot bunch 11 requests into a second.
RATE_MARGIN = 0.95


class RateLimiter:
    """Spaces requests at least 1/rate seconds apart.

    Spacing rather than a bursty bucket means no sliding one-second window holds more than `rate` requests,
    which is how servers count; a burst allowance would be over the limit the moment another caller shares it.
    """

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / (rate * RATE_MARGIN) if rate else 0.0
        self._next_slot = 0.0
        self._held_until = 0.0
        self._lock = threading.Lock()
        #: Wall-clock seconds during which the limiter held back at least one request: with many threads
        #: waiting at once, the sum of their waits would exceed the run's own duration and mean little.
        self.waited = 0.0

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
            delay = slot - now
            if delay > 0:
                self.waited += slot - max(now, self._held_until)
                self._held_until = slot
        if delay > 0:
            time.sleep(delay)

    def pause(self, seconds: float) -> None:
        """After a 429 every thread holds off, not only the one that was refused."""
        with self._lock:
            self._next_slot = max(self._next_slot, time.monotonic() + seconds)


@dataclass
class RetryPolicy:
    """How long to keep trying. 429s are bounded by total time only, since the server says when to come back."""

    max_attempts: int = 8
    max_connect_attempts: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    total_seconds: float = 600.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter above half the step, so parallel retries spread out."""
        step = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return step / 2 + random.uniform(0, step / 2)


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
        self._describe_401 = describe_401
        self._lock = threading.Lock()
        self._client = httpx.Client(
            headers=dict(headers),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            verify=_verify_setting(),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
        )

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
        started = time.monotonic()
        attempt = 0
        connect_failures = 0
        throttles = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            with self._lock:
                self.stats.requests += 1
            try:
                response = self._client.request(method, url, params=params, content=content, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError) as exc:
                connect_failures += 1
                if connect_failures >= self.retry.max_connect_attempts:
                    raise ApiError(self._unreachable(exc)) from None
                wait = self.retry.backoff(attempt)
            except httpx.TransportError as exc:  # timeouts, dropped connections, protocol errors
                if attempt >= self.retry.max_attempts:
                    raise ApiError(
                        f"{method} {path} failed after {attempt} attempts: {_reason(exc)}"
                    ) from None
                wait = self.retry.backoff(attempt)
            else:
                status = response.status_code
                if status < 300:
                    return _json(response)
                if status not in RETRIABLE_STATUSES:
                    raise self._error(method, path, response)
                if status == 429:
                    # Not a failed attempt: the server only asks for patience. Without a usable Retry-After
                    # (absent or 0) the wait grows, so a `Retry-After: 0` cannot spin through the budget.
                    with self._lock:
                        self.stats.throttled += 1
                    attempt -= 1
                    throttles += 1
                    hinted = parse_retry_after(response.headers.get("Retry-After"))
                    self.limiter.pause(hinted or self.retry.backoff(throttles))
                    wait = 0.0
                else:
                    if attempt >= self.retry.max_attempts:
                        raise self._error(method, path, response, attempts=attempt)
                    hinted = parse_retry_after(response.headers.get("Retry-After"))
                    wait = max(hinted or 0.0, self.retry.backoff(attempt))
            if time.monotonic() - started + wait > self.retry.total_seconds:
                raise ApiError(f"{method} {path} kept failing for {self.retry.total_seconds:.0f}s; giving up")
            time.sleep(wait)

    def _unreachable(self, exc: Exception) -> str:
        """Name the proxy when one was in the way: "connection refused" alone sends people to the wrong place."""
        url = httpx.URL(self.base_url)
        host = url.host or self.base_url
        proxy = None if urllib.request.proxy_bypass(host) else urllib.request.getproxies().get(url.scheme)
        if proxy:
            shown = httpx.URL(proxy).copy_with(username=None, password=None)
            return (
                f"cannot reach {host} through the proxy {shown} ({url.scheme.upper()}_PROXY): {_reason(exc)}; "
                "check the proxy, or NO_PROXY"
            )
        return f"cannot reach {host}: {_reason(exc)}; check base_url, the region and the network"

    def _error(self, method: str, path: str, response: httpx.Response, attempts: int = 1) -> ApiError:
        status = response.status_code
        detail = _error_detail(response)
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


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return {}
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise ApiError(
            f"{response.request.method} {response.request.url.path} returned a body that is not JSON"
        ) from None


def _error_detail(response: httpx.Response) -> str:
    """Error bodies vary (`errors[]`, `meta.error`, `meta.errors`, none); the status is what counts."""
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors") or (body.get("meta") or {}).get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("detail") or "")[:200]
    meta_error = (body.get("meta") or {}).get("error")
    return str(meta_error)[:200] if meta_error else ""


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
