"""Issue 14, points 3, 4, 5, 7 and 8 (base_url): small servers that misbehave on purpose, over real HTTP on
loopback, driven through the real command. Every run must end on its own, with one line saying why.

- paging that never ends: cursors in a cycle, ever-new cursors with empty pages or the same page again;
- a Retry-After far past the retry budget (`retry_budget=`), on a 429 and on a 503;
- a server that stalls: the request deadline (`timeout=`) ends the attempt, and log and json modes say that
  requests are being retried, and why;
- plain http to loopback never goes through a proxy, whatever `HTTP_PROXY` says.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from omniload.sources.rest.paginators import STALE_PAGES
from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests.conftest import API_KEY, Ran, ingest, omniload, query, source_uri

#: (start cursor or None) -> (activity records, next cursor)
Pager = Callable[[str | None], tuple[list[dict], str]]


@contextmanager
def paging_server(pager: Pager) -> Iterator[tuple[str, list[str]]]:
    """A `/v1/activities` that pages as `pager` says; yields its base URL and the paths it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            asked.append(self.path)
            start = parse_qs(urlsplit(self.path).query).get("start", [None])[0]
            records, next_cursor = pager(start)
            data = json.dumps({"activities": records, "next": next_cursor}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler) as base:
        yield base, asked


@contextmanager
def status_server(status: int, headers: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """Answers every request with `status`, these headers and an empty JSON object."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            asked.append(self.path)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": "2"}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler) as base:
        yield base, asked


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def activity(n: int) -> dict:
    return {"id": f"a{n}", "type": "event", "timestamp": 1}


def load_activities(base_url: str, db: Path, *params: str, env: dict[str, str] | None = None) -> Ran:
    uri = "&".join([f"customerio://?api_key={API_KEY}&base_url={base_url}&rate_limit=1000", *params])
    return omniload("ingest", "--source-uri", uri, "--source-table", "activities",
                    "--dest-uri", f"duckdb:///{db}", "--dest-table", "cio.activities", env=env)


# ---- point 4: paging that never ends ---------------------------------------------------------------------------
def test_a_cursor_that_does_not_move_ends_the_read_with_a_warning(tmp_path: Path) -> None:
    """The same cursor comes back for the cursor it was sent: both pages load, then the read stops."""

    def pager(start: str | None) -> tuple[list[dict], str]:
        page = 0 if start is None else 1
        return [activity(page * 10 + i) for i in range(3)], "c3R1Y2s="

    with paging_server(pager) as (base, asked):
        ran = load_activities(base, tmp_path / "x.duckdb")
    assert ran.code == 0, ran.output
    assert "cursor" in ran.stderr
    assert len(asked) == 2
    assert len(query(tmp_path / "x.duckdb", "select id from cio.activities")) == 6


def test_two_cursors_in_a_cycle_end_the_read_with_a_warning(tmp_path: Path) -> None:
    """A -> B -> A: each cursor differs from the one just sent, so only a memory of every cursor catches it."""
    cycle = {None: ("A", 0), "A": ("B", 1), "B": ("A", 2)}

    def pager(start: str | None) -> tuple[list[dict], str]:
        next_cursor, page = cycle[start]
        return [activity(page)], next_cursor

    with paging_server(pager) as (base, asked):
        ran = load_activities(base, tmp_path / "x.duckdb")
    assert ran.code == 0, ran.output
    assert "/v1/activities" in ran.stderr and "cycle" in ran.stderr
    assert len(asked) == 3  # first page, A, B; B's next (A) was already followed
    assert query(tmp_path / "x.duckdb", "select id from cio.activities order by id") == [("a0",), ("a1",), ("a2",)]


def test_ever_new_cursors_with_empty_pages_end_the_read_with_a_warning(tmp_path: Path) -> None:
    def pager(start: str | None) -> tuple[list[dict], str]:
        n = int(start or 0)
        return ([activity(0)] if n == 0 else []), str(n + 1)

    with paging_server(pager) as (base, asked):
        ran = load_activities(base, tmp_path / "x.duckdb")
    assert ran.code == 0, ran.output
    assert f"/v1/activities: {STALE_PAGES} pages in a row brought no new records" in ran.stderr
    assert len(asked) == STALE_PAGES + 1
    assert query(tmp_path / "x.duckdb", "select id from cio.activities") == [("a0",)]


def test_ever_new_cursors_with_the_same_page_end_the_read(tmp_path: Path) -> None:
    """Two real pages, then the second one again and again under new cursors."""
    def pager(start: str | None) -> tuple[list[dict], str]:
        n = int(start or 0)
        return [activity(min(n, 1) * 10 + i) for i in range(3)], str(n + 1)

    with paging_server(pager) as (base, asked):
        ran = load_activities(base, tmp_path / "x.duckdb")
    assert ran.code == 0, ran.output
    assert "no new records" in ran.stderr and "/v1/activities" in ran.stderr
    assert len(asked) == 2 + STALE_PAGES
    assert len(query(tmp_path / "x.duckdb", "select distinct id from cio.activities")) == 6


# ---- point 3: Retry-After past the budget ----------------------------------------------------------------------
@pytest.fixture
def fresh() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(WorkspaceSpec(people=20, deliveries=50)), api_key=API_KEY,
                        rate_limit=None) as fake:
        yield fake


def test_a_429_with_a_retry_after_past_the_budget_fails_at_once_saying_so(
    fresh: FakeCustomerIO, tmp_path: Path
) -> None:
    fresh.retry_after = 99999
    fresh.inject("/v1/campaigns", status=429, times=100)
    ran = omniload("ingest", "--source-uri", source_uri(fresh, retry_budget="2"), "--source-table", "campaigns",
                   "--dest-uri", f"duckdb:///{tmp_path}/x.duckdb", "--dest-table", "cio.campaigns")
    assert ran.code == 1
    # the time left is what the request itself has not used of the 2 seconds (1.9s on a busy machine)
    assert re.fullmatch(
        r"error: GET /v1/campaigns answered 429 \(throttled\) and the server asked to wait 27\.8 hours "
        r"\(Retry-After\), more than the [12]\.\ds left of its retry budget \(2\.0s, retry_budget= in the URI\); "
        r"giving up without waiting",
        ran.stderr.strip().splitlines()[-1],
    )
    assert "Traceback" not in ran.output
    assert len(fresh.requests("/v1/campaigns")) == 1  # nothing was retried into a wait it could not finish


def test_a_503_with_a_retry_after_past_the_budget_says_so_too(tmp_path: Path) -> None:
    with status_server(503, {"Retry-After": "99999"}) as (base, asked):
        ran = load_activities(base, tmp_path / "x.duckdb", "retry_budget=600")
    assert ran.code == 1
    assert ran.stderr.strip().splitlines()[-1].startswith(
        "error: GET /v1/activities answered 503 and the server asked to wait 27.8 hours (Retry-After), more than "
        "the "
    )
    assert len(asked) == 1 and "Traceback" not in ran.output


# ---- point 7: stalling servers, and what log and json modes say meanwhile -------------------------------------
def test_a_stalled_request_is_retried_and_the_log_says_why(fresh: FakeCustomerIO, tmp_path: Path) -> None:
    fresh.inject("/v1/segments", delay=3, times=1)  # the first answer comes after the 0.5 s deadline
    ran = omniload("ingest", "--source-uri", source_uri(fresh, timeout="0.5"), "--source-table", "segments",
                   "--dest-uri", f"duckdb:///{tmp_path}/x.duckdb", "--dest-table", "cio.segments",
                   "--progress", "log")
    assert ran.code == 0, ran.output
    assert "run: GET /v1/segments got no complete answer within 0.5s; retrying in" in ran.stderr
    assert len(query(tmp_path / "x.duckdb", "select id from cio.segments")) == len(fresh.ws.rows("segments"))


def test_json_mode_reports_retries_and_429s_with_their_reason_and_the_rate(
    fresh: FakeCustomerIO, tmp_path: Path
) -> None:
    fresh.retry_after = 0
    fresh.inject("/v1/segments", status=503, times=1)
    ran = ingest(fresh, "segments", tmp_path / "x.duckdb", "cio.segments", "--progress", "json")
    assert ran.code == 0, ran.output
    events = [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]
    retries = [e for e in events if e["event"] == "retry"]
    assert [(e["table"], e["method"], e["path"], e["reason"]) for e in retries] == [
        (None, "GET", "/v1/segments", "answered 503")  # before the table's first page
    ]
    assert retries[0]["rate"] == 1000.0 and retries[0]["count"] == 1 and retries[0]["wait"] > 0


def test_json_mode_reports_a_429_and_the_lowered_rate(fresh: FakeCustomerIO, tmp_path: Path) -> None:
    fresh.retry_after = 0
    fresh.inject("/v1/segments", status=429, times=1)
    ran = ingest(fresh, "segments", tmp_path / "x.duckdb", "cio.segments", "--progress", "json")
    assert ran.code == 0, ran.output
    events = [json.loads(line) for line in ran.stdout.splitlines()]
    retries = [e for e in events if e["event"] == "retry"]
    assert [(e["reason"], e["rate"]) for e in retries] == [("answered 429 (throttled)", 500.0)]
    progress = [e for e in events if e["event"] == "progress"]
    assert progress and all(500.0 <= e["rate"] < 501.0 for e in progress)  # halved, climbing back slowly


# ---- point 5: plain http never through a proxy -----------------------------------------------------------------
@contextmanager
def recording_proxy() -> Iterator[tuple[str, list[str]]]:
    """A 'proxy' that notes every request line it receives and answers 502."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.append(f"{self.command} {self.path} {self.headers.get('Authorization')}")
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_CONNECT = _any

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler) as base:
        yield base, seen


def test_plain_http_to_loopback_never_goes_through_a_proxy(fresh: FakeCustomerIO, tmp_path: Path) -> None:
    with recording_proxy() as (proxy, seen):
        env = {name: proxy for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")}
        ran = omniload("ingest", "--source-uri", source_uri(fresh), "--source-table", "segments",
                       "--dest-uri", f"duckdb:///{tmp_path}/x.duckdb", "--dest-table", "cio.segments",
                       env={**env, "NO_PROXY": "", "no_proxy": ""})
    assert ran.code == 0, ran.output
    assert seen == []
    assert fresh.requests("/v1/segments"), "the fake itself was asked, directly"


# ---- point 8: a base_url that is not a URL ---------------------------------------------------------------------
@pytest.mark.parametrize("base_url", ["http://[::1", "http://[::1]:99999"])
def test_a_malformed_base_url_is_a_usage_error(tmp_path: Path, base_url: str) -> None:
    ran = omniload("ingest", "--source-uri", f"customerio://?api_key=k&base_url={base_url}",
                   "--source-table", "campaigns", "--dest-uri", f"duckdb:///{tmp_path}/x.duckdb",
                   "--dest-table", "cio.campaigns")
    assert ran.code == 2
    assert ran.stderr.strip() == f"error: base_url must be an http(s) URL such as https://api.customer.io, " \
                                 f"not {base_url!r}"
