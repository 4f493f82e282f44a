"""The one HTTP client, against the fake over real HTTP: retries, Retry-After, errors that must not be retried,
a total deadline per request, and a shared rate limiter that keeps concurrent callers under the workspace's
limit and slows down when the server's bucket is smaller than the configured rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from omniload.errors import ApiError, NotFound
from omniload.http import RATE_DROP, HttpClient, RateLimiter, RetryPolicy, parse_retry_after
from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec

KEY = "http-key"
FAST_RETRIES = RetryPolicy(backoff_base=0.05, backoff_cap=0.5, total_seconds=30)


@pytest.fixture
def server() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(WorkspaceSpec(people=50, deliveries=100)), api_key=KEY, rate_limit=None) as fake:
        yield fake


def client(fake: FakeCustomerIO, rate: float | None = None, key: str = KEY) -> HttpClient:
    return HttpClient(fake.base_url, headers={"Authorization": f"Bearer {key}"}, rate_limit=rate,
                      retry=FAST_RETRIES)


def statuses(fake: FakeCustomerIO, prefix: str) -> list[int]:
    return [r.status for r in fake.requests(prefix)]


def test_server_errors_are_retried_until_success(server: FakeCustomerIO) -> None:
    server.inject("/v1/campaigns", status=503, times=2)
    body = client(server).get("/v1/campaigns")
    assert body["campaigns"]
    assert statuses(server, "/v1/campaigns") == [503, 503, 200]


def test_a_dropped_connection_is_retried(server: FakeCustomerIO) -> None:
    server.inject("/v1/segments", drop_connection=True, times=1)
    assert client(server).get("/v1/segments")["segments"]
    assert statuses(server, "/v1/segments")[-1] == 200


def test_search_posts_are_retried_like_gets(server: FakeCustomerIO) -> None:
    server.inject("/v1/customers", status=500, times=1)
    match_all = {"filter": {"attribute": {"field": "cio_id", "operator": "exists"}}}
    body = client(server).post("/v1/customers", match_all)
    assert body["identifiers"]
    assert statuses(server, "/v1/customers") == [500, 200]


def test_retry_after_zero_does_not_burn_the_retries(server: FakeCustomerIO) -> None:
    """More 429s than there are attempts: the client waits them out instead of giving up."""
    server.retry_after = 0
    server.inject("/v1/exports", status=429, times=FAST_RETRIES.max_attempts + 4)
    assert "exports" in client(server).get("/v1/exports")
    assert statuses(server, "/v1/exports").count(429) == FAST_RETRIES.max_attempts + 4


def test_429_without_retry_after_backs_off(server: FakeCustomerIO) -> None:
    server.retry_after = None
    server.inject("/v1/workspaces", status=429, times=3)
    started = time.monotonic()
    assert client(server).get("/v1/workspaces")["workspaces"]
    assert statuses(server, "/v1/workspaces") == [429, 429, 429, 200]
    assert time.monotonic() - started >= 3 * FAST_RETRIES.backoff_base / 2  # it did wait


def test_retry_after_is_honoured(server: FakeCustomerIO) -> None:
    server.retry_after = 1
    server.inject("/v1/collections", status=429, times=1)
    started = time.monotonic()
    client(server).get("/v1/collections")
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(("status", "error"), [(400, ApiError), (401, ApiError), (403, ApiError), (404, NotFound)])
def test_client_errors_are_not_retried(server: FakeCustomerIO, status: int, error: type[Exception]) -> None:
    server.inject("/v1/transactional", status=status, times=5)
    with pytest.raises(error) as raised:
        client(server).get("/v1/transactional")
    assert getattr(raised.value, "status", None) == status
    assert statuses(server, "/v1/transactional") == [status]


def test_server_errors_fail_once_the_attempts_are_used(server: FakeCustomerIO) -> None:
    server.inject("/v1/object_types", status=500, times=100)
    with pytest.raises(ApiError, match="500"):
        client(server).get("/v1/object_types")
    assert len(statuses(server, "/v1/object_types")) == FAST_RETRIES.max_attempts


def test_unreachable_host_is_one_clear_error() -> None:
    dead = HttpClient("http://127.0.0.1:9", headers={}, rate_limit=None, retry=FAST_RETRIES)
    with pytest.raises(ApiError, match="cannot reach 127.0.0.1"):
        dead.get("/v1/campaigns")


def test_concurrent_requests_never_exceed_the_rate_limit() -> None:
    """The fake enforces 10/s per workspace with its token bucket, checked as each request arrives; eight threads
    share one client at its default rate, and the bucket refuses none of their 40 requests. (The bucket is the
    judge: the times the fake logs are those of its answers, which the machine's load can bunch together.)"""
    with FakeCustomerIO(Workspace(WorkspaceSpec(people=50, deliveries=100)), api_key=KEY, rate_limit=10.0) as fake:
        shared = client(fake, rate=10.0)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: shared.get("/v1/segments"), range(40)))
    assert len(fake.log) == 40
    assert all(r.status == 200 for r in fake.log), "no request was refused with 429"


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert parse_retry_after("soon") is None


class _Dribble(BaseHTTPRequestHandler):
    """Headers at once, then the body one byte every 0.2 s: each read is quick, the whole answer never is."""

    protocol_version = "HTTP/1.1"
    served = 0

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client gave up, as it should
            pass

    def log_message(self, *args: object) -> None:
        pass


class _DribbleHeaders(BaseHTTPRequestHandler):
    """The status line and headers one byte every 0.2 s, without end: each read is quick, no answer ever starts."""

    served = 0

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).served += 1
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Padding: " + b"." * 100_000
        try:
            for byte in head:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client gave up, as it should
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("handler", [_Dribble, _DribbleHeaders], ids=["body", "headers"])
def test_a_dribbling_server_meets_the_request_deadline(handler: type[_Dribble] | type[_DribbleHeaders]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        slow = HttpClient(f"http://127.0.0.1:{server.server_address[1]}", headers={}, rate_limit=None,
                          retry=RetryPolicy(max_attempts=2, backoff_base=0.05), timeout=1.0)
        with pytest.raises(ApiError, match=r"GET /v1/campaigns failed after 2 attempts: got no complete answer "
                                           r"within 1s"):
            slow.get("/v1/campaigns")
    finally:
        server.shutdown()
        server.server_close()
    assert handler.served == 2


def test_a_retry_after_past_the_budget_fails_without_waiting(server: FakeCustomerIO) -> None:
    server.retry_after = 99999
    server.inject("/v1/segments", status=429, times=10)
    with pytest.raises(ApiError, match=r"asked to wait 27.8 hours \(Retry-After\).*giving up without waiting"):
        HttpClient(server.base_url, headers={"Authorization": f"Bearer {KEY}"}, rate_limit=None,
                   retry=RetryPolicy(total_seconds=2)).get("/v1/segments")
    assert statuses(server, "/v1/segments") == [429]


def test_the_rate_drops_once_per_round_of_429s_and_climbs_back_slowly_to_the_ceiling() -> None:
    limiter = RateLimiter(10.0)
    sent = time.monotonic()
    limiter.throttled(sent)
    limiter.throttled(sent)  # a second 429 for a request of the same round says nothing new
    assert limiter.rate == 10.0 * RATE_DROP
    limiter.throttled(time.monotonic())
    assert limiter.rate == 10.0 * RATE_DROP**2
    for _ in range(50):
        limiter.succeeded()
    assert 10.0 * RATE_DROP**2 < limiter.rate < 10.0 * RATE_DROP  # fifty successes: still under half
    for _ in range(10_000):
        limiter.succeeded()
    assert limiter.rate == 10.0  # back at the ceiling, never above it


def test_a_server_bucket_smaller_than_the_rate_costs_few_429s() -> None:
    """The fake allows 10 req/s, the client is set to 25: the rate adapts instead of hammering the bucket."""
    with FakeCustomerIO(Workspace(WorkspaceSpec(people=50, deliveries=100)), api_key=KEY, rate_limit=10.0) as fake:
        shared = client(fake, rate=25.0)
        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(lambda _: shared.get("/v1/segments"), range(80)))
        answered = [r.status for r in fake.log]
    assert all(body["segments"] for body in bodies) and len(bodies) == 80
    assert answered.count(429) <= 0.05 * len(answered), answered
    assert shared.limiter.rate is not None and shared.limiter.rate < 25.0
