"""Job reports (issue 21, point 1): `--notify json://…` delivers a report of the run to a real HTTP endpoint on
loopback through Apprise, on success and on failure, and the payload holds neither the key, nor a host, nor a
path of the source or destination URIs (README "Job reports"). Real CLI, real fake, real DuckDB file."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import omniload, source_uri
from tests.state.support import loaded, one_line_error

GOOD_KEY = "sk-notify-GOOD-0123456789"  # added to the fake by the test that succeeds
WRONG_KEY = "sk-notify-WRONG-0123456789"  # never added


class Target:
    """A tiny HTTP server that keeps the body of every POST: what an Apprise json:// target receives."""

    def __init__(self) -> None:
        received: list[bytes] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                received.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_port}/hooks/omniload"

    def payloads(self) -> list[dict[str, str]]:
        return [json.loads(body) for body in self.received]


@pytest.fixture
def target() -> Iterator[Target]:
    found = Target()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _run(fake: FakeCustomerIO, db: Path, key: str, *extra: str) -> list[str]:
    return [
        "ingest",
        "--source-uri", source_uri(fake, key),
        "--source-table", "campaigns,segments",
        "--dest-uri", f"duckdb:///{db}",
        "--dest-table", "cio",
        *extra,
    ]  # fmt: skip


def _secrets(fake: FakeCustomerIO, db: Path, key: str) -> list[str]:
    """What the report must never say: the key, the hosts and ports, the paths, the folder names."""
    return [
        key,
        "127.0.0.1",
        "localhost",
        fake.base_url.rsplit(":", 1)[1],
        str(db),
        db.parent.name,
        db.name,
        "api_key",
        "base_url",
    ]


def test_a_report_of_a_run_that_loaded(fake: FakeCustomerIO, target: Target, tmp_path: Path) -> None:
    fake.add_key(GOOD_KEY)
    db = tmp_path / "private-folder" / "load.duckdb"
    db.parent.mkdir()

    loaded(omniload(*_run(fake, db, GOOD_KEY, "--notify", target.url)))

    [report] = target.payloads()
    assert report["type"] == "success"
    assert report["title"] == "omniload ingest succeeded: customerio to duckdb"
    lines = report["message"].splitlines()
    assert lines[0].startswith("2 table(s), ") and " rows, 2 requests in " in lines[0]
    assert lines[1:] == [
        f"campaigns: {len(fake.ws.rows('campaigns'))} rows",
        f"segments: {len(fake.ws.rows('segments'))} rows",
    ]
    payload = b"".join(target.received).decode()
    for secret in _secrets(fake, db, GOOD_KEY):
        assert secret not in payload, secret


def test_a_report_of_a_run_that_failed(fake: FakeCustomerIO, target: Target, tmp_path: Path) -> None:
    db = tmp_path / "private-folder" / "load.duckdb"
    db.parent.mkdir()

    ran = omniload(*_run(fake, db, WRONG_KEY, "--notify", target.url, "--notify-on", "failure"))

    assert "rejected the API key" in one_line_error(ran, 1)
    [report] = target.payloads()
    assert report["type"] == "failure"
    assert report["title"] == "omniload ingest failed: customerio to duckdb"
    assert report["message"].startswith("run-time failure (ApiError), exit status 1 after ")
    payload = b"".join(target.received).decode()
    for secret in [*_secrets(fake, db, WRONG_KEY), "rejected", "401"]:
        assert secret not in payload, secret


def test_bad_input_is_reported_by_its_kind(fake: FakeCustomerIO, target: Target, tmp_path: Path) -> None:
    db = tmp_path / "load.duckdb"
    args = _run(fake, db, "test-key", "--notify", target.url)
    args[args.index("campaigns,segments")] = "campains"

    one_line_error(omniload(*args), 2)

    [report] = target.payloads()
    assert report["message"].startswith("bad input (UsageError), exit status 2 after ")
    assert "campains" not in report["message"]


def test_notify_on_failure_stays_quiet_after_a_success(
    fake: FakeCustomerIO, target: Target, tmp_path: Path
) -> None:
    loaded(
        omniload(*_run(fake, tmp_path / "x.duckdb", "test-key", "--notify", target.url, "--notify-on", "failure"))
    )

    assert target.received == []


def test_notify_settings_are_checked_before_anything_is_read(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db, before = tmp_path / "x.duckdb", len(fake.log)
    token = "nosuchservice://TOKEN-1234@example.com"

    unknown = one_line_error(omniload(*_run(fake, db, "test-key", "--notify", token)), 2)
    missing = one_line_error(omniload(*_run(fake, db, "test-key", "--notify-config", str(tmp_path / "no.yml"))), 2)
    when = one_line_error(omniload(*_run(fake, db, "test-key", "--notify-on", "sometimes")), 2)

    assert unknown == "error: --notify: URL number 1 is not one Apprise knows (see its list of services)"
    assert "TOKEN" not in unknown and missing.endswith("no.yml: no such file")
    assert when == "error: unknown --notify-on 'sometimes'; use always or failure"
    assert len(fake.log) == before and not db.exists()


def test_a_target_that_cannot_be_reached_is_a_warning(fake: FakeCustomerIO, tmp_path: Path) -> None:
    closed = Target()
    closed.server.server_close()  # bound once, now nothing listens there

    ran = loaded(omniload(*_run(fake, tmp_path / "x.duckdb", "test-key", "--notify", closed.url)))

    assert "warning: --notify: the job report could not be delivered to every target" in ran.stderr
    assert "127.0.0.1" not in ran.stderr
