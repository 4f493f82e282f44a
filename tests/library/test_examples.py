"""The README's section "Use it from Python / Dagster / Airflow" shows the files under examples/ verbatim, and
the Python examples run as a user runs them, pointed at the fake (the Dagster one runs in test_dagster.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, ingest
from tests.library.support import rows

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text().split("\n## Use it from Python / Dagster / Airflow\n", 1)[1]
SECTION = SECTION.split("\n## ", 1)[0]
EXAMPLES = sorted((ROOT / "examples").rglob("*.py"))
#: Variables that would configure an example behind the test's back: the key's, dlt's sources', omniload's.
SETTINGS = ("CUSTOMERIO_", "SOURCES__", "OMNILOAD_")


def run_example(name: str, project: Path, env: dict[str, str], region: str = "", at_fake: str = "") -> str:
    """The example in a child Python, run from the folder `project` as a user runs it, with `env` as the only
    settings of ours or dlt's in its environment (and, where given, its one region setting pointed at the fake)."""
    text = (ROOT / "examples" / name).read_text()
    if region:
        assert text.count(region) == 1, name
        text = text.replace(region, at_fake)
    script = project / Path(name).name
    script.write_text(text)
    clean = {var: value for var, value in os.environ.items() if not var.startswith(SETTINGS)}
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**clean, **env, "DLT_DATA_DIR": str(project / "dlt"), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readme_shows_each_example_file_verbatim() -> None:
    blocks = re.findall(r"```python\n(.*?)```", SECTION, flags=re.S)

    assert [path.relative_to(ROOT).as_posix() for path in EXAMPLES] == [
        "examples/dagster/definitions.py",
        "examples/python/dlt_pipeline.py",
        "examples/python/ingest.py",
    ]
    assert sorted(blocks) == sorted(path.read_text() for path in EXAMPLES)


def test_the_ingest_example_prints_each_tables_figures(fake: FakeCustomerIO, tmp_path: Path) -> None:
    at_fake = f"region=us&base_url={fake.base_url}&rate_limit=1000"
    printed = run_example("python/ingest.py", tmp_path, {"CUSTOMERIO_API_KEY": API_KEY}, "region=us", at_fake)

    db = tmp_path / "warehouse.duckdb"
    assert printed.splitlines() == [
        f"{table}: {len(rows(db, table, 'customerio')) - 1} rows into customerio.{table}"
        for table in ("customers", "campaigns", "campaign_messages")
    ]


def dlt_project(folder: Path, fake: FakeCustomerIO) -> Path:
    """A user's project: the source's settings in `.dlt/config.toml`, its key in `.dlt/secrets.toml`."""
    (folder / ".dlt").mkdir(parents=True)
    (folder / ".dlt" / "config.toml").write_text(
        f'[sources.customerio]\nbase_url = "{fake.base_url}"\nrate_limit = 1000\n'
    )
    (folder / ".dlt" / "secrets.toml").write_text(f'[sources.customerio]\napi_key = "{API_KEY}"\n')
    return folder


def test_the_dlt_example_in_a_project_configured_only_in_its_dlt_folder(
    fake: FakeCustomerIO, tmp_path: Path
) -> None:
    printed = run_example("python/dlt_pipeline.py", dlt_project(tmp_path, fake), {})

    assert "1 load package(s) were loaded" in printed
    for table in ("customers", "campaigns", "campaign_messages", "campaign_metrics_days"):
        assert len(rows(tmp_path / "warehouse.duckdb", table, "customerio")) > 1, table


def test_the_dlt_example_under_an_external_schedulers_interval(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """dlt's switch for external schedulers (`DLT_ALLOW_EXTERNAL_SCHEDULERS`, README "Airflow") with an interval
    in dlt's own variables: the incremental tables read and load that interval only, the others whole."""
    assert ingest(fake, "customers,campaign_messages", tmp_path / "cli.duckdb", "cio").code == 0
    everything = rows(tmp_path / "cli.duckdb", "campaign_messages", "cio")
    at = everything[0].index("created")
    created = sorted(row[at] for row in everything[1:])
    start, end = created[len(created) // 3], created[2 * len(created) // 3]
    interval = {
        "DLT_ALLOW_EXTERNAL_SCHEDULERS": "true",
        "DLT_INTERVAL_START": datetime.fromtimestamp(start, UTC).isoformat(),
        "DLT_INTERVAL_END": datetime.fromtimestamp(end, UTC).isoformat(),
    }
    windows_before = len(fake.requests("/v1/messages"))

    run_example("python/dlt_pipeline.py", dlt_project(tmp_path / "project", fake), interval)

    windows = fake.requests("/v1/messages")[windows_before:]
    assert min(int(r.query["start_ts"][0]) for r in windows) == start
    assert max(int(r.query["end_ts"][0]) for r in windows) <= end
    db = tmp_path / "project" / "warehouse.duckdb"
    loaded = rows(db, "campaign_messages", "customerio")
    that_interval = [row for row in everything[1:] if start <= row[at] < end]
    assert len(loaded) - 1 == len(that_interval) > 0
    assert all(start <= row[loaded[0].index("created")] < end for row in loaded[1:])
    assert rows(db, "customers", "customerio") == rows(tmp_path / "cli.duckdb", "customers", "cio")
