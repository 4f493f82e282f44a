"""The HTTP server around the routes: auth, per-workspace rate limit, fault injection, request log.

One ``FakeCustomerIO`` serves one primary workspace on 127.0.0.1 from a daemon thread; extra keys can map to
other workspaces (each with its own token bucket) to test that the budget is per workspace. A client that goes
away before its reply (a timeout shorter than an injected delay, a killed run) is counted in ``clients_gone``,
quietly: a test that provokes it waits for it with ``wait_clients_gone``. ``advance_days`` moves the served
workspace and the clock on by whole days (docs/contract/customerio/fake-server.md "Days").
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from .clock import DAY, Clock
from .options import FakeOptions
from .prefetch import PagePrefetcher
from .routes import ApiError, Req, dispatch
from .workspace import Workspace

#: What ``delete_after`` can delete: parents (by id) and people (by cio_id).
Deletable = Literal["campaign", "broadcast", "newsletter", "collection", "transactional", "segment", "person"]


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    key: str | None
    status: int  # 0 when the connection was dropped on purpose
    time: float  # wall clock, seconds
    route: str | None = None  # e.g. "GET /v1/campaigns/{id}/actions"; None for unknown paths


@dataclass
class _Key:
    workspace: Workspace
    bucket: str
    other_region: bool = False
    forbidden_paths: tuple[str, ...] = ()


@dataclass
class _Fault:
    prefix: str
    status: int | None
    times: int
    after: int
    drop_connection: bool
    delay: float
    body: Literal["json", "empty", "text", "unrelated"]
    seen: int = 0
    fired: int = 0


@dataclass
class _Deletion:
    after: int
    kind: str
    id: int | str
    done: bool = False


class TokenBucket:
    """``rate`` requests per second with a burst of ``rate`` (at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = max(1.0, rate)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        cap = max(1.0, self.rate)
        self.tokens = min(cap, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    drop: bool = False
    #: Run after the response is sent (``Req.after``).
    after: list[Callable[[], None]] = field(default_factory=list)


def _error(status: int, detail: str) -> bytes:
    return orjson.dumps({"errors": [{"detail": detail, "status": str(status)}]})


class FakeCustomerIO:
    """A Customer.io App API on loopback. Use as a context manager, or ``start()``/``stop()``."""

    def __init__(
        self,
        ws: Workspace,
        api_key: str = "test-key",
        rate_limit: float | None = 10.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        options: FakeOptions | None = None,
        clock: Clock | None = None,
        prefetch: bool = True,
    ) -> None:
        """``prefetch``: build the next delivery page in the background (see ``prefetch``); off for tests
        that must see every page built on its own request."""
        self.ws = ws
        self.api_key = api_key
        self.options = options or FakeOptions()
        if clock is None:
            clock = Clock(anchor=ws.now if ws.now_explicit else None)
            if not ws.now_explicit:
                clock.shift(ws.now - ws.start)  # the live clock, on the workspace's day
        self.clock = clock
        self.pages = PagePrefetcher() if prefetch else None
        self.retry_after: int | None = 1
        self.log: list[LoggedRequest] = []
        self.spent: dict[tuple[str, int], int] = {}  # daily budgets spent, by (name, fake day): `spend`
        self._in_flight = 0  # requests arrived and not yet logged (answered)
        self._rate_limit = rate_limit
        self._buckets: dict[str, TokenBucket] = {}
        self._keys: dict[str, _Key] = {}
        self._faults: list[_Fault] = []
        self._fail_after: tuple[int, int] | None = None
        self._deletions: list[_Deletion] = []
        self._deleted: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._gone = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self.clients_gone = 0
        self._counter = 0
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_key(api_key)

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> FakeCustomerIO:
        if self._server is None:
            handler = type("Handler", (_Handler,), {"fake": self})
            self._server = ThreadingHTTPServer((self._host, self._port), handler)
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="fake-customerio", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeCustomerIO:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until ``stop()`` is called from another thread (the CLI uses signals)."""
        self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.5)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not running")
        port = self._server.server_address[1]
        return f"http://{self._host}:{port}"

    # -- configuration -------------------------------------------------------------------------------------------
    @property
    def rate_limit(self) -> float | None:
        return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, value: float | None) -> None:
        with self._lock:
            self._rate_limit = value
            self._buckets.clear()

    def set_now(self, ts: int | float | None) -> None:
        """Freeze the clock at ``ts`` (``None``: live wall clock)."""
        self.clock.set_now(ts)

    def now(self) -> int:
        """The fake's "now" (Unix seconds): what a client run against it should take as the current time."""
        return self.clock.now()

    def spend(self, name: str, per_day: int) -> bool:
        """One request of a daily budget (`name`: the archived messages, 100 a day), counted per UTC day of the
        fake's clock; False once that day's `per_day` are spent."""
        key = (name, self.clock.now() // 86400)
        with self._lock:
            if self.spent.get(key, 0) >= per_day:
                return False
            self.spent[key] = self.spent.get(key, 0) + 1
            return True

    def advance_days(self, n: int = 1, *, unlogged: float = 0.0) -> None:
        """``Workspace.advance_days`` on the served workspace, with the clock moved on by the same days."""
        self.ws.advance_days(n, unlogged=unlogged)
        self.clock.shift(n * DAY)

    def add_key(
        self,
        key: str,
        *,
        workspace: Workspace | str | None = None,
        other_region: bool = False,
        forbidden_paths: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Accept ``key``. ``workspace``: another Workspace, or a label for the same data with its own budget."""
        if isinstance(workspace, Workspace):
            ws, bucket = workspace, f"ws:{id(workspace)}"
        elif isinstance(workspace, str):
            ws, bucket = self.ws, f"label:{workspace}"
        else:
            ws, bucket = self.ws, f"ws:{id(self.ws)}"
        self._keys[key] = _Key(ws, bucket, other_region, tuple(forbidden_paths))

    def inject(
        self,
        path_prefix: str,
        status: int | None = 500,
        times: int = 1,
        after: int = 0,
        drop_connection: bool = False,
        delay: float = 0.0,
        body: Literal["json", "empty", "text", "unrelated"] = "json",
    ) -> None:
        """Fault on requests whose path starts with ``path_prefix``: skip ``after`` of them, then hit ``times``.

        ``status=None`` (or 200) with ``delay`` gives a slow but otherwise normal response.
        """
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, times, after, drop_connection, delay, body))

    def clear_faults(self) -> None:
        """Every fault `inject` armed and not yet used is dropped."""
        with self._lock:
            self._faults.clear()

    def fail_after(self, n: int, status: int = 500) -> None:
        """Every request after the ``n``-th (counting all requests) answers ``status``."""
        self._fail_after = (n, status)

    def delete_after(self, n: int, kind: Deletable, id: int | str) -> None:
        """After ``n`` requests, delete a parent (by id) or a person (by cio_id): its endpoints answer 404."""
        with self._lock:
            self._deletions.append(_Deletion(n, kind, id))
            self._apply_deletions(self._counter)

    def is_deleted(self, kind: str, key: int) -> bool:
        return (kind, key) in self._deleted

    def count(self, path_prefix: str | None = None) -> int:
        with self._lock:
            if path_prefix is None:
                return len(self.log)
            return sum(1 for r in self.log if r.path.startswith(path_prefix))

    def counters(self) -> dict[str, int]:
        """Requests per route (``"GET /v1/campaigns/{id}/actions"``), for request-budget benchmarks."""
        out: dict[str, int] = {}
        with self._lock:
            for r in self.log:
                name = r.route or f"{r.method} <unknown>"
                out[name] = out.get(name, 0) + 1
        return out

    def requests(self, path_prefix: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if path_prefix is None or r.path.startswith(path_prefix)]

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every request that has arrived is answered and logged (a killed client's slow requests
        included), so a count taken next holds only later requests; False if they were not in time."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def wait_clients_gone(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` clients in all went away before their reply; False if they did not in time."""
        with self._gone:
            return self._gone.wait_for(lambda: self.clients_gone >= count, timeout)

    def client_gone(self) -> None:
        with self._gone:
            self.clients_gone += 1
            self._gone.notify_all()

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- request processing --------------------------------------------------------------------------------------
    def _apply_deletions(self, n: int) -> None:
        for d in self._deletions:
            if not d.done and n >= d.after:
                d.done = True
                if d.kind == "person":
                    i = self.ws.people.resolve(str(d.id), "cio_id")
                    if i is not None:
                        self._deleted.add(("person", i))
                else:
                    self._deleted.add((d.kind, int(d.id)))

    def _retry_headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def _fault_reply(self, status: int, body: str) -> _Reply:
        headers = self._retry_headers() if status == 429 else {}
        if body == "empty":
            return _Reply(status, b"", headers)
        if body == "text":
            return _Reply(status, b"<html><body>Server Error</body></html>", headers, "text/html")
        if body == "unrelated":  # valid JSON, but not the endpoint's answer (a gateway's own reply)
            return _Reply(status, b'{"status":"ok"}', headers)
        detail = "Your request is over the 10-per-second limit" if status == 429 else "injected fault"
        return _Reply(status, _error(status, detail), headers)

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> _Reply:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        body: Any = None
        body_error = False
        if raw_body:
            try:
                body = orjson.loads(raw_body)
            except orjson.JSONDecodeError:
                body_error = True
        auth = headers.get("authorization", "")
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        with self._lock:
            self._counter += 1
            self._in_flight += 1
            n = self._counter
            self._apply_deletions(n - 1)
        try:
            route_name: str | None = dispatch(method, parts.path)[2]
        except ApiError:
            route_name = None
        reply = self._process(method, parts.path, path, query, body, body_error, key, n)
        with self._idle:
            self.log.append(LoggedRequest(method, path, query, body, key, reply.status, time.time(), route_name))
            self._in_flight -= 1
            self._idle.notify_all()
        return reply

    def _process(
        self,
        method: str,
        raw_path: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        body_error: bool,
        key: str | None,
        n: int,
    ) -> _Reply:
        if self._fail_after is not None and n > self._fail_after[0]:
            return self._fault_reply(self._fail_after[1], "json")
        public = method == "GET" and path == "/v1/info/ip_addresses"
        info = self._keys.get(key) if key else None
        if not public and (info is None or info.other_region):
            return _Reply(401, _error(401, "Unauthorized request: check your App API key and region"))
        ws = info.workspace if info else self.ws
        if not public and self._rate_limit is not None:
            bucket_name = info.bucket if info else "public"
            with self._lock:
                bucket = self._buckets.get(bucket_name)
                if bucket is None:
                    bucket = self._buckets[bucket_name] = TokenBucket(self._rate_limit)
                allowed = bucket.take()
            if not allowed:
                return _Reply(
                    429, _error(429, "Your request is over the 10-per-second limit"), self._retry_headers()
                )
        fault = None
        with self._lock:
            for f in self._faults:
                if path.startswith(f.prefix) and f.fired < f.times:
                    if f.seen < f.after:
                        f.seen += 1
                        continue
                    f.fired += 1
                    fault = f
                    break
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop_connection:
                return _Reply(0, b"", drop=True)
            if fault.status is not None and (fault.status != 200 or fault.body != "json"):
                return self._fault_reply(fault.status, fault.body)
        if info is not None and any(path.startswith(p) for p in info.forbidden_paths):
            return _Reply(403, _error(403, "Forbidden: this key's scope does not include this resource"))
        try:
            # split on the still-encoded path so an encoded "/" inside a person id stays in the value
            handler, raw_params, _ = dispatch(method, raw_path)
            if body_error:
                raise ApiError(400, "request body is not valid JSON")
            params = tuple(unquote(p) for p in raw_params)
            req = Req(method, path, query, body, ws, self, params)
            result = handler(req)
        except ApiError as exc:
            return _Reply(exc.status, _error(exc.status, exc.detail))
        except Exception as exc:  # a bug in the fake must be visible, not a hang
            return _Reply(500, _error(500, f"fake error: {type(exc).__name__}: {exc}"))
        return _Reply(200, orjson.dumps(result), after=req.after)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCustomerIO
    protocol_version = "HTTP/1.1"
    # headers and body go out as two writes; without this, Nagle + delayed ACK add ~40 ms per request
    disable_nagle_algorithm = True
    server_version = "FakeCustomerIO/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        return

    def handle(self) -> None:
        """A client that goes away mid-request ends its connection quietly, not in socketserver's traceback."""
        try:
            super().handle()
        except ConnectionError:  # reset, broken pipe: the client left while its reply was being written
            self.close_connection = True
            self.fake.client_gone()

    def _client_left(self) -> bool:
        """The client closed its end while its reply was being made: nothing is left to answer."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.fake.handle(self.command, self.path, headers, raw)
        if reply.drop:
            self.close_connection = True
            return
        if self._client_left():
            self.close_connection = True
            self.fake.client_gone()
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(reply.body)
        for fn in reply.after:
            fn()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve
