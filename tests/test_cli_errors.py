"""Issue 6, point 5: every bad input in the issue's list ends with one line on stderr saying what is wrong and how
to fix it, exit code 2 for usage errors and 1 for runtime failures, no traceback, and never the API key."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import Ran, omniload, source_uri

SECRET = "sk-omniload-SECRET-0123456789"


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ingest(source: str, table: str, dest: str, *extra: str, env: dict[str, str] | None = None) -> Ran:
    return omniload("ingest", "--source-uri", source, "--source-table", table, "--dest-uri", dest,
                    "--dest-table", "cio.t", *extra, env=env)


def _one_line(ran: Ran, code: int, *secrets: str) -> str:
    """The contract: the exit code, one non-empty line (on stderr, `error: …`), no traceback, no secret."""
    assert ran.code == code, ran.output
    lines = [line for line in ran.output.splitlines() if line.strip()]
    assert len(lines) == 1, ran.output
    assert ran.stdout.strip() == "", "errors go to stderr"
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in ran.output
    for secret in (SECRET, *secrets):
        assert secret not in ran.output
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path}/x.duckdb"


def test_missing_api_key(db: str) -> None:
    line = _one_line(_ingest("customerio://?region=us", "campaigns", db), 2)
    assert "api_key" in line and "API Credentials" in line


def test_empty_api_key(db: str) -> None:
    line = _one_line(_ingest("customerio://?api_key=&region=us", "campaigns", db), 2)
    assert "api_key" in line


def test_unknown_region(db: str) -> None:
    line = _one_line(_ingest(f"customerio://?api_key={SECRET}&region=mars", "campaigns", db), 2)
    assert "'mars'" in line and "region=us or region=eu" in line


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("campains", "did you mean 'campaigns'"),
        ("newsleters", "did you mean 'newsletters'"),
        ("no_such_thing", "tables: activities"),
        ("broadcast_metrics", "needs a period, got no period"),
        ("campaign_metrics:years", "needs a period, got period 'years'"),
        ("campaign_metrics:", "needs a period"),
        ("campaigns:days", "takes no period"),
    ],
)
def test_bad_table(table: str, expected: str, fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = _ingest(source_uri(fake, key=SECRET), table, f"duckdb:///{tmp_path}/x.duckdb")
    assert expected in _one_line(ran, 2)
    assert not (tmp_path / "x.duckdb").exists(), "nothing is written for bad input"


def test_unknown_source_scheme(db: str) -> None:
    line = _one_line(_ingest(f"hubspot://?api_key={SECRET}", "campaigns", db), 2)
    assert "unknown source hubspot://" in line and "customerio://" in line


def test_source_without_scheme_is_not_echoed(db: str) -> None:
    """A key pasted where the URI belongs must not be printed back."""
    ran = _ingest(f"api_key={SECRET}", "campaigns", db)
    assert ran.code == 2
    assert SECRET not in ran.output, "the unknown-source message echoes the input (sources/__init__.py)"


def test_unknown_destination_scheme(fake: FakeCustomerIO) -> None:
    line = _one_line(_ingest(source_uri(fake, key=SECRET), "campaigns", "warehouse://x/y?password=hunter2"), 2,
                     "hunter2")
    assert "unknown destination scheme warehouse://" in line and "duckdb://" in line


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-13-01", None, "--interval-start '2024-13-01' is not a date"),
        ("yesterday", None, "YYYY-MM-DD"),
        (None, "2024-01-01T25:00", "--interval-end '2024-01-01T25:00' is not a date"),
        ("2024-02-01", "2024-01-01", "--interval-start 2024-02-01 is after --interval-end 2024-01-01"),
    ],
)
def test_bad_interval(start: str | None, end: str | None, expected: str, fake: FakeCustomerIO, db: str) -> None:
    extra = [*(["--interval-start", start] if start else []), *(["--interval-end", end] if end else [])]
    assert expected in _one_line(_ingest(source_uri(fake, key=SECRET), "campaigns", db, *extra), 2)


def test_wrong_key_names_the_region(fake: FakeCustomerIO, db: str) -> None:
    line = _one_line(_ingest(source_uri(fake, key=SECRET), "campaigns", db), 1)
    assert "401" in line and "region 'us'" in line


def test_wrong_region_names_the_region(fake: FakeCustomerIO, db: str) -> None:
    key = SECRET + "-eu"
    fake.add_key(key, other_region=True)
    line = _one_line(_ingest(source_uri(fake, key=key, region="eu"), "segments", db), 1, key)
    assert "401" in line and "region 'eu'" in line


def test_key_without_scope(fake: FakeCustomerIO, db: str) -> None:
    key = SECRET + "-403"
    fake.add_key(key, forbidden_paths=("/v1/",))
    line = _one_line(_ingest(source_uri(fake, key=key), "campaigns", db), 1, key)
    assert "403" in line and "/v1/campaigns" in line and "read access" in line


def test_host_unreachable(db: str) -> None:
    port = _closed_port()
    uri = f"customerio://?api_key={SECRET}&base_url=http://127.0.0.1:{port}"
    line = _one_line(_ingest(uri, "campaigns", db), 1)
    assert "cannot reach 127.0.0.1" in line


def test_proxy_refusing(db: str) -> None:
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = {name: proxy for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")}
    env.update(NO_PROXY="", no_proxy="")
    ran = _ingest(f"customerio://?api_key={SECRET}&region=us", "campaigns", db, env=env)
    line = _one_line(ran, 1)
    assert "cannot reach" in line


def test_plain_http_is_refused_off_loopback(db: str) -> None:
    uri = f"customerio://?api_key={SECRET}&base_url=http://api.example.com"
    line = _one_line(_ingest(uri, "campaigns", db), 2)
    assert "plain http" in line and "https" in line


def test_destination_folder_missing(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = _ingest(source_uri(fake, key=SECRET), "campaigns", f"duckdb:///{tmp_path}/missing/x.duckdb")
    line = _one_line(ran, 2)
    assert "does not exist" in line and str(tmp_path / "missing") in line


def test_destination_not_writable(fake: FakeCustomerIO, tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes through file modes; /proc refuses new files even to root
        target = Path("/proc/omniload-test.duckdb")
    else:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        target = folder / "x.duckdb"
    ran = _ingest(source_uri(fake), "campaigns", f"duckdb:///{target}")
    line = _one_line(ran, 1)
    assert str(target) in line


def test_click_usage_errors_are_one_line_too(fake: FakeCustomerIO) -> None:
    missing = omniload("ingest", "--source-uri", source_uri(fake, key=SECRET), "--source-table", "campaigns")
    assert "--dest-uri" in _one_line(missing, 2)
    bad_mode = _ingest(source_uri(fake, key=SECRET), "campaigns", "duckdb:///x.duckdb", "--progress", "fancy")
    line = _one_line(bad_mode, 2)
    assert "fancy" in line and "interactive" in line


def test_debug_shows_the_traceback_but_not_the_key(fake: FakeCustomerIO, db: str) -> None:
    ran = _ingest(source_uri(fake, key=SECRET), "campaigns", db, "--debug")
    assert ran.code == 1
    assert "Traceback" in ran.output
    assert SECRET not in ran.output


def test_duckdb_out_of_memory_names_the_fix(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """DuckDB's out-of-memory is a transient error to dlt, which retries the job and logs each traceback: none of
    that reaches the user, only the last line and how to raise the limit."""
    ran = _ingest(source_uri(fake), "messages", f"duckdb:///{tmp_path}/x.duckdb?memory_limit=1MB")
    assert ran.code == 1, ran.output
    assert "Traceback" not in ran.output
    last = ran.output.strip().splitlines()[-1]
    assert last.startswith("error: load failed: Out of Memory Error") and "?memory_limit=1GB" in last
