"""Issue 6, points 1-3: the three progress forms, the summary, and the confirmation prompt; issue 15, point 2:
the live view and the summary keep table names whole on an 80-column terminal.

- json: every stdout line parses; a run has one `start`/`end` pair (table null) and exactly one `start` and one
  `end` per table, also when the run fails, and the failed ones carry the error.
- log (the default when stdout is not a terminal): timestamped lines on stderr, the summary on stdout.
- interactive: rendered for real under a pseudo-terminal (the default there), live view and summary.
- the prompt: asked on a terminal, skipped by --yes; declining writes nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time
from collections import Counter
from pathlib import Path
from typing import Any

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, Ran, omniload, query, source_uri

TABLES = "campaigns,broadcast_metrics:days,customers"
OUTPUTS = ["campaigns", "broadcast_metrics_days", "customers"]
STRATEGIES = {"campaigns": "merge", "broadcast_metrics_days": "replace", "customers": "replace"}


def _ingest(fake: FakeCustomerIO, db: Path, *extra: str, key: str = API_KEY, tables: str = TABLES) -> Ran:
    return omniload("ingest", "--source-uri", source_uri(fake, key=key), "--source-table", tables,
                    "--dest-uri", f"duckdb:///{db}", "--dest-table", "cio", *extra)


def _events(ran: Ran) -> list[dict[str, Any]]:
    lines = [line for line in ran.stdout.splitlines() if line.strip()]
    assert lines, ran.output
    return [json.loads(line) for line in lines]  # every line parses, nothing else is on stdout


def _check_stream(events: list[dict[str, Any]], tables: list[str]) -> None:
    """start (run) first, end (run) last, one start and one end per table, progress only between them."""
    assert events[0]["event"] == "start" and events[0]["table"] is None
    assert events[-1]["event"] == "end" and events[-1]["table"] is None
    starts = Counter(e["table"] for e in events if e["event"] == "start")
    ends = Counter(e["table"] for e in events if e["event"] == "end")
    expected: Counter[str | None] = Counter(dict.fromkeys(tables, 1))
    expected[None] = 1
    assert starts == ends == expected
    for table in tables:
        indexes = {e["event"]: i for i, e in enumerate(events) if e["table"] == table}
        assert indexes["start"] < indexes["end"]
        for i, event in enumerate(events):
            if event["table"] == table and event["event"] == "progress":
                assert indexes["start"] < i < indexes["end"]
    for event in events:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])


def test_json_stream_on_success(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = _ingest(fake, tmp_path / "x.duckdb", "--progress", "json")
    assert ran.code == 0, ran.output
    events = _events(ran)
    _check_stream(events, OUTPUTS)
    assert ran.stderr == ""
    progress = [e for e in events if e["event"] == "progress" and e["table"] == "customers"]
    assert progress and {"rows", "pages", "requests", "seconds", "requests_per_second",
                         "rate_limit_wait"} <= set(progress[0])
    ends = {e["table"]: e for e in events if e["event"] == "end"}
    for table in OUTPUTS:
        assert ends[table]["status"] == "ok" and ends[table]["error"] is None
        assert ends[table]["destination_table"] == f"cio.{table}"
        assert ends[table]["strategy"] == STRATEGIES[table], "the contract's: DuckDB merges"
        assert ends[table]["rows"] == query(tmp_path / "x.duckdb", f"SELECT count(*) FROM cio.{table}")[0][0]
        assert ends[table]["requests"] >= 1
    run_end = ends[None]
    assert run_end["rows"] == sum(ends[t]["rows"] for t in OUTPUTS)
    assert run_end["requests"] >= sum(ends[t]["requests"] for t in OUTPUTS) > 0
    assert run_end["destination"] == f"duckdb {tmp_path / 'x.duckdb'}" and run_end["dataset"] == "cio"
    assert not any("Loaded" in line for line in ran.stdout.splitlines()), "json mode prints no summary"


def test_json_stream_on_failure(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """A key that may read campaigns but not the people search: the run fails part-way."""
    key = "key-without-people-scope"
    fake.add_key(key, forbidden_paths=("/v1/customers",))
    ran = _ingest(fake, tmp_path / "x.duckdb", "--progress", "json", key=key)
    assert ran.code == 1
    events = _events(ran)
    _check_stream(events, OUTPUTS)
    for end in (e for e in events if e["event"] == "end"):
        assert end["status"] == "failed" and "403" in end["error"]
    errors = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: ") and "403" in errors[0]
    assert key not in ran.output


def test_json_stream_on_bad_input(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """Input refused before the run: still one start and one end, the end saying why."""
    ran = _ingest(fake, tmp_path / "x.duckdb", "--progress", "json", tables="campains")
    assert ran.code == 2
    events = _events(ran)
    assert [(e["event"], e["table"]) for e in events] == [("start", None), ("end", None)]
    assert "did you mean 'campaigns'" in events[-1]["error"]
    assert len([line for line in ran.stderr.splitlines() if line.strip()]) == 1


def test_log_is_the_default_off_a_terminal(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = _ingest(fake, tmp_path / "x.duckdb")
    assert ran.code == 0, ran.output
    lines = ran.stderr.splitlines()
    assert lines and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line) for line in lines), ran.stderr
    for table in OUTPUTS:
        assert any(f"{table}: reading into cio.{table}" in line for line in lines)
    assert any("loading into duckdb" in line for line in lines)
    # the summary: per table rows, requests, seconds, destination table; and where the data went
    summary = ran.stdout.splitlines()
    assert summary[0].split() == ["table", "rows", "requests", "seconds", "loaded", "into"]
    customers = next(line.split() for line in summary if line.startswith("customers "))
    rows = query(tmp_path / "x.duckdb", "SELECT count(*) FROM cio.customers")[0][0]
    assert customers[1] == f"{rows:,}" and customers[-1] == "cio.customers"
    assert f"into duckdb {tmp_path / 'x.duckdb'} (schema cio)" in summary[-1]
    assert summary[-1].startswith("Loaded ")


# ---- a real terminal ----------------------------------------------------------------------------------------
def _run_in_pty(
    args: list[str], answer: bytes | None = None, timeout: float = 180, columns: int = 160
) -> tuple[int, str]:
    """Run `python -m omniload …` with stdin, stdout and stderr on a pseudo-terminal of `columns`x40; returns its
    exit code and everything it wrote. `answer` is typed once a `[Y/n]` question appears."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec, whatever happens
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
        env["TERM"] = "xterm-256color"
        try:
            os.execve(sys.executable, [sys.executable, "-m", "omniload", *args], env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    output = b""
    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if answer is not None and not answered and b"[Y/n]" in output:
                os.write(fd, answer)
                answered = True
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_interactive_renders_under_a_terminal(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    code, output = _run_in_pty([
        "ingest", "--source-uri", source_uri(fake), "--source-table", TABLES, "--dest-uri", f"duckdb:///{db}",
        "--dest-table", "cio", "--yes",
    ])
    assert code == 0, output
    assert "\x1b[" in output, "Rich drew on the terminal"
    text = _plain(output)
    # the live view: its header and its run line
    assert "req/s" in text and "rate-limit wait" in text, text
    assert "held back by the rate limit" in text and "tables ·" in text, text
    # the summary, as a table
    rows = query(db, "SELECT count(*) FROM cio.customers")[0][0]
    assert re.search(rf"customers\s+{rows:,}\s+\d+\s+[\d.]+\s+cio\.customers", text), text
    assert f"Loaded {rows + 4 + query(db, 'SELECT count(*) FROM cio.broadcast_metrics_days')[0][0]:,} rows" in text
    assert "Traceback" not in text and API_KEY not in text


#: Issue 15, point 2: names that a cut at 80 columns made identical (`broadcast_act…`, `campaign_action…`).
LOOK_ALIKES = ",".join([
    "broadcast_action_metrics:hours", "broadcast_action_metrics:months", "campaign_actions",
    "campaign_action_metrics:days",
])


def test_interactive_at_80_columns_keeps_table_names_whole(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """A narrow terminal drops pages, req/s and the rate-limit wait before it would cut a table name; the summary
    drops its `loaded into` column (the closing sentence names the schema)."""
    db = tmp_path / "x.duckdb"
    code, output = _run_in_pty([
        "ingest", "--source-uri", source_uri(fake), "--source-table", LOOK_ALIKES, "--dest-uri", f"duckdb:///{db}",
        "--dest-table", "cio", "--yes",
    ], columns=80)
    assert code == 0, output
    lines = re.split(r"[\r\n]+", _plain(output))
    assert "…" not in output and max(len(line) for line in lines) <= 80, output
    assert any(line.split() == ["table", "rows", "requests", "time"] for line in lines), "the live view's header"
    for name in ("broadcast_action_metrics_hours", "broadcast_action_metrics_months", "campaign_actions",
                 "campaign_action_metrics_days"):
        rows = query(db, f"SELECT count(*) FROM cio.{name}")[0][0]
        live = rf" {name}\s+[\d,]+\s+[\d,]+\s+[\d.]+s\s+(reading|read|loading)\s*"
        assert any(re.fullmatch(live, line) for line in lines), name
        assert any(re.fullmatch(rf" {name}\s+{rows:,}\s+[\d,]+\s+[\d.]+\s*", line) for line in lines), name


def test_prompt_on_a_terminal_and_declining_writes_nothing(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    code, output = _run_in_pty(
        ["ingest", "--source-uri", source_uri(fake), "--source-table", "campaigns",
         "--dest-uri", f"duckdb:///{db}", "--dest-table", "cio.campaigns"],
        answer=b"n\n",
    )
    text = _plain(output)
    assert f"Load campaigns into duckdb {db} (schema cio)? [Y/n]" in text, text
    assert code == 1 and "error: cancelled" in text
    assert not db.exists()


def test_prompt_accepted(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    code, output = _run_in_pty(
        ["ingest", "--source-uri", source_uri(fake), "--source-table", "campaigns",
         "--dest-uri", f"duckdb:///{db}", "--dest-table", "cio.campaigns", "--progress", "log"],
        answer=b"y\n",
    )
    assert code == 0, output
    assert query(db, "SELECT count(*) FROM cio.campaigns")[0][0] > 0


def test_no_prompt_when_stdin_is_not_a_terminal(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = _ingest(fake, tmp_path / "x.duckdb", tables="campaigns")  # stdin is /dev/null here
    assert ran.code == 0 and "[Y/n]" not in ran.output
