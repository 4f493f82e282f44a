"""Bad input ends with one clear line, a non-zero exit, no traceback, and never the API key."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, ingest, omniload, source_uri


def _one_clean_line(output: str, secret: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    assert secret not in output
    return lines[0]


def test_wrong_key(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = omniload("ingest", "--source-uri", source_uri(fake, key="not-a-key"), "--source-table", "campaigns",
                   "--dest-uri", f"duckdb:///{tmp_path}/x.duckdb", "--dest-table", "cio.campaigns")
    assert ran.code == 1
    line = _one_clean_line(ran.output, "not-a-key")
    assert "401" in line and "region 'us'" in line


def test_wrong_region(fake: FakeCustomerIO, tmp_path: Path) -> None:
    fake.add_key("eu-account-key", other_region=True)
    ran = omniload("ingest", "--source-uri", source_uri(fake, key="eu-account-key"), "--source-table",
                   "segments", "--dest-uri", f"duckdb:///{tmp_path}/x.duckdb", "--dest-table", "cio.segments")
    assert ran.code == 1
    line = _one_clean_line(ran.output, "eu-account-key")
    assert "region" in line and "401" in line


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("campains", "did you mean 'campaigns'"),
        ("broadcast_metrics", "needs a period"),
        ("broadcast_metrics:years", "needs a period"),
        ("campaigns:days", "takes no period"),
    ],
)
def test_bad_table(table: str, expected: str, fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = ingest(fake, table, tmp_path / "x.duckdb", "cio.t")
    assert ran.code == 2
    line = _one_clean_line(ran.output, API_KEY)
    assert expected in line
    if "did you mean" in expected:
        assert "workspaces" in line, "the valid tables are listed"
    assert not (tmp_path / "x.duckdb").exists(), "nothing is written for bad input"
