"""Issue 13, point 3: the API key never reaches the output (log and JSON progress), an error message, what the
dlt working folder leaves behind, the destination's state tables (decoded) or the DuckDB file's bytes, whether
the key comes in the URI or from dlt's secrets (README "Secrets and the environment")."""

from __future__ import annotations

import os
from pathlib import Path

import dlt
import duckdb
import pytest
from dlt.common.versioned_state import decompress_state

from omniload.sources.customerio.dlt_source import customerio_source
from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import omniload, source_uri

KEY = "sk-LEAKCHECK-7f3a9b2c"


@pytest.fixture
def keyed(fake: FakeCustomerIO) -> FakeCustomerIO:
    fake.add_key(KEY)
    return fake


def isolated(tmp_path: Path) -> dict[str, str]:
    """A temporary folder, home and dlt data folder of the run's own, to see what the run leaves behind."""
    folders = {name: tmp_path / name for name in ("tmp", "home", "dlt")}
    for folder in folders.values():
        folder.mkdir()
    return {"TMPDIR": str(folders["tmp"]), "HOME": str(folders["home"]), "DLT_DATA_DIR": str(folders["dlt"])}


def files_holding_key(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]


def state_tables(db: Path, schema: str) -> str:
    """dlt's own tables as text, the pipeline state decoded from its compressed form."""
    with duckdb.connect(str(db), read_only=True) as connection:
        states = connection.sql(f"select state from {schema}._dlt_pipeline_state").fetchall()
        tables = [connection.sql(f"select * from {schema}.{t}").fetchall() for t in ("_dlt_loads", "_dlt_version")]
    assert states, "the run saved its state"
    return repr([decompress_state(state) for (state,) in states]) + repr(tables)


@pytest.mark.parametrize("mode", ["log", "json"])
def test_a_load_leaves_the_key_nowhere(keyed: FakeCustomerIO, tmp_path: Path, mode: str) -> None:
    env = isolated(tmp_path)
    db = tmp_path / "load.duckdb"

    ran = omniload(
        "ingest",
        "--source-uri",
        source_uri(keyed, KEY),
        "--source-table",
        "campaigns,campaign_messages",
        "--dest-uri",
        f"duckdb:///{db}",
        "--dest-table",
        "cio",
        "--progress",
        mode,
        env=env,
    )

    assert ran.code == 0, ran.output
    assert '"rows"' in ran.stdout if mode == "json" else "campaign_messages" in ran.stderr
    assert KEY not in ran.output
    assert KEY not in state_tables(db, "cio")
    assert files_holding_key(tmp_path) == []  # the DuckDB file, and whatever the run left in its folders


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_an_error_does_not_show_the_key(keyed: FakeCustomerIO, tmp_path: Path, debug: list[str]) -> None:
    ran = omniload(
        "ingest",
        "--source-uri",
        source_uri(keyed, KEY),
        "--source-table",
        "campaigns",
        "--dest-uri",
        f"duckdb:///{tmp_path / 'missing' / 'folder' / 'x.duckdb'}",
        *debug,
        env=isolated(tmp_path),
    )

    assert ran.code != 0 and "error:" in ran.stderr
    assert KEY not in ran.output


def test_a_rejected_key_is_not_echoed(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = omniload(
        "ingest",
        "--source-uri",
        source_uri(fake, KEY + "-revoked"),
        "--source-table",
        "campaigns",
        "--dest-uri",
        f"duckdb:///{tmp_path / 'x.duckdb'}",
        env=isolated(tmp_path),
    )

    assert (ran.code, ran.stderr.count("rejected the API key")) == (1, 1)
    assert KEY not in ran.output


def test_the_dlt_source_leaves_the_key_out_of_traces_and_state(
    keyed: FakeCustomerIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTOMERIO_API_KEY", raising=False)
    monkeypatch.setenv("SOURCES__CUSTOMERIO__API_KEY", KEY)  # from dlt's secrets
    db = tmp_path / "user.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="leak_check",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="cio",
        pipelines_dir=str(tmp_path / "pipelines"),
    )

    info = pipeline.run(customerio_source(base_url=keyed.base_url, tables=["campaigns", "campaign_messages"]))

    assert info.loads_ids
    assert KEY not in repr(pipeline.last_trace.asdict()) + str(pipeline.last_trace) + str(info)
    assert KEY not in repr(pipeline.state) + state_tables(db, "cio")
    assert files_holding_key(tmp_path) == []  # the pipeline's working folder (trace, state, schemas), the file
    assert os.environ["SOURCES__CUSTOMERIO__API_KEY"] == KEY  # where the key lives, and only there
