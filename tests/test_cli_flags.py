"""The product page's flags (issue 21, point 1): `--dry-run` and the loader's settings, each through the real CLI
against the fake over real HTTP, into real DuckDB files; a flag that cannot apply is refused in one line."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from omniload.testing.customerio import FakeCustomerIO
from omniload.testing.faults import VARIABLE
from tests import launcher
from tests.conftest import ingest, omniload, source_uri
from tests.state.support import Dest, ingest_args, loaded, one_line_error


def test_dry_run_prints_the_plan_and_writes_nothing(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "dry.duckdb"
    before = len(fake.log)

    dry = ingest(fake, "campaigns,customers", db, "cio", "--dry-run")
    planned = len(fake.log) - before
    plan = ingest(fake, "campaigns,customers", db, "cio", "--plan")

    assert (dry.code, plan.code) == (0, 0), dry.output + plan.output
    assert dry.stdout.splitlines()[0].split()[:2] == ["table", "requests"]
    assert [line.split()[0] for line in dry.stdout.splitlines()[1:3]] == ["campaigns", "customers"]
    assert dry.stdout == plan.stdout  # --plan is the same flag
    assert planned == 1 and not [r for r in fake.log[before:] if r.path == "/v1/customers"]
    assert not db.exists()


def test_dry_run_from_the_environment(fake: FakeCustomerIO, tmp_path: Path) -> None:
    db = tmp_path / "dry.duckdb"
    args = (
        "ingest",
        "--source-uri",
        source_uri(fake),
        "--source-table",
        "campaigns",
        "--dest-uri",
        f"duckdb:///{db}",
    )

    runs = [omniload(*args, env={name: "true"}) for name in ("OMNILOAD_DRY_RUN", "OMNILOAD_PLAN")]

    assert [ran.code for ran in runs] == [0, 0]
    assert all(ran.stdout.startswith("table ") and "nothing was written" in ran.stdout for ran in runs)
    assert not db.exists()


def test_dry_run_checks_the_input_as_a_run_does(fake: FakeCustomerIO, tmp_path: Path) -> None:
    ran = ingest(fake, "campains", tmp_path / "x.duckdb", "cio", "--dry-run")

    assert ran.code == 2
    [line] = ran.stderr.strip().splitlines()
    assert line.startswith("error: unknown Customer.io table 'campains'; did you mean 'campaigns'?")
    assert ran.stdout == "" and not (tmp_path / "x.duckdb").exists()


# ---- the loader's settings (README "Loader settings") ------------------------------------------------------


def _dest(tmp_path: Path, name: str = "warehouse.duckdb") -> Dest:
    return Dest("duckdb", f"duckdb:///{tmp_path / name}", "cio", tmp_path / name)


def _data(dest: Dest, table: str) -> list[tuple[object, ...]]:
    """A table's rows without what differs between two loads of the same data (dlt's ids, the load time)."""
    columns = [
        name
        for (name,) in dest.sql(f"select column_name from information_schema.columns where table_name = '{table}'")
        if not name.startswith(("_dlt", "_omniload"))
    ]
    return dest.rows(table, ", ".join(f'"{c}"' for c in columns))


def test_loader_file_format_and_pipelines_dir(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """A run killed during its load leaves its working folder, with the package in the chosen format, in
    --pipelines-dir (not in the temporary folder); the next run with the same folder removes it and loads."""
    work, temp, dest = tmp_path / "work", tmp_path / "temp", _dest(tmp_path)
    work.mkdir()
    temp.mkdir()
    args = [*ingest_args(fake, dest, "customers"), "--loader-file-format", "jsonl", "--pipelines-dir", str(work)]

    killed = launcher.run(
        args, env={**os.environ, "TMPDIR": str(temp), VARIABLE: '"_dlt_pipeline_state"('}, timeout=300
    )
    assert killed.returncode == -9, killed.stderr
    [left] = list(work.iterdir())
    assert left.name.startswith("omniload-") and not list(temp.iterdir())
    jobs = [f.name.split(".") for f in left.rglob("customers.*") if "normalized" in f.parts]  # the load package
    assert {job[3] for job in jobs} - {"sql"} == {"jsonl"}  # table.id.retry.format[.gz]; sql: the replace's

    loaded(omniload(*args, env={"TMPDIR": str(temp)}))
    assert not list(work.iterdir()) and not list(temp.iterdir())
    assert dest.count("customers") == len(fake.ws.rows("customers"))


def test_each_file_format_loads_the_same_table(fake: FakeCustomerIO, tmp_path: Path) -> None:
    default, values = _dest(tmp_path, "default.duckdb"), _dest(tmp_path, "values.duckdb")

    loaded(omniload(*ingest_args(fake, default, "campaigns")))
    loaded(omniload(*ingest_args(fake, values, "campaigns", "--loader-file-format", "insert_values")))

    assert _data(values, "campaigns") == _data(default, "campaigns") and len(_data(default, "campaigns")) > 1


def test_a_file_format_the_destination_cannot_load_is_refused(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest = _dest(tmp_path)
    line = one_line_error(omniload(*ingest_args(fake, dest, "campaigns", "--loader-file-format", "csv")), 2)
    assert line == (
        "error: destination duckdb does not load csv files; --loader-file-format takes jsonl, parquet, "
        "insert_values here"
    )
    files = ingest_args(fake, dest, "campaigns", "--loader-file-format", "csv")
    files[files.index(dest.uri)] = f"file://{tmp_path}/files?format=parquet"
    assert "?format=" in one_line_error(omniload(*files), 2)
    assert not dest.path.exists()


def test_loader_file_size_rotates_the_files(fake: FakeCustomerIO, tmp_path: Path) -> None:
    def files_of(folder: str, *extra: str) -> list[Path]:
        uri = f"file://{tmp_path / folder}?format=jsonl"
        args = ["--source-table", "customers", "--dest-table", "cio.customers", "--page-size", "100", *extra]
        loaded(omniload("ingest", "--source-uri", source_uri(fake), "--dest-uri", uri, *args))
        return sorted((tmp_path / folder / "cio" / "customers").iterdir())

    rotated, whole = files_of("rotated", "--loader-file-size", "100"), files_of("whole")

    people = len(fake.ws.rows("customers"))
    assert len(rotated) == people // 100 and len(whole) < len(rotated)
    assert sum(_lines(f) for f in rotated) == sum(_lines(f) for f in whole) == people


def _lines(path: Path) -> int:
    with gzip.open(path, "rt") as text:
        return sum(1 for _ in text)


def test_schema_naming_direct_keeps_the_names_given(fake: FakeCustomerIO, tmp_path: Path) -> None:
    direct, default = _dest(tmp_path, "direct.duckdb"), _dest(tmp_path, "default.duckdb")
    args = ["--source-table", "campaign_metrics:days", "--dest-table", "MySchema.My-Table"]

    ran = loaded(
        omniload(
            "ingest",
            "--source-uri",
            source_uri(fake),
            "--dest-uri",
            direct.uri,
            *args,
            "--schema-naming",
            "direct",
        )
    )
    loaded(omniload("ingest", "--source-uri", source_uri(fake), "--dest-uri", default.uri, *args))

    assert "MySchema.My-Table" in ran.stdout
    assert {"2xx", "5xx"} <= _columns(direct, "MySchema", "My-Table")
    assert {"_2xx", "_5xx"} <= _columns(default, "my_schema", "my_table")
    line = one_line_error(
        omniload(
            "ingest",
            "--source-uri",
            source_uri(fake),
            "--dest-uri",
            default.uri,
            *args,
            "--schema-naming",
            "camel",
        ),
        2,
    )
    assert line == "error: unknown --schema-naming 'camel'; use default or direct"


def test_a_schema_keeps_its_naming(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest = _dest(tmp_path)
    loaded(omniload(*ingest_args(fake, dest, "campaign_metrics:days")))
    before = dest.rows("campaign_metrics")

    switched = omniload(*ingest_args(fake, dest, "campaign_metrics:days", "--schema-naming", "direct"))

    assert "changing naming conventions is disallowed" in one_line_error(switched, 1)
    assert dest.rows("campaign_metrics") == before and "_2xx" in _columns(dest, "cio", "campaign_metrics")


def _columns(dest: Dest, schema: str, table: str) -> set[str]:
    query = (
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}'"
    )
    return {name for (name,) in dest.sql(query)}


def test_extract_parallelism_is_refused_before_anything_is_read(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest, before = _dest(tmp_path), len(fake.log)

    line = one_line_error(omniload(*ingest_args(fake, dest, "campaigns", "--extract-parallelism", "4")), 2)

    assert line.startswith("error: --extract-parallelism does not apply to an API source")
    assert len(fake.log) == before and not dest.path.exists()


def test_yield_limit_loads_part_of_a_table_and_moves_no_cursor(fake: FakeCustomerIO, tmp_path: Path) -> None:
    """messages, read in 90-day windows side by side: one page of 10 is loaded, the windows' reads are closed
    (about one request per window, not the whole history), and the run-time cursor stays where it was."""
    dest, before = _dest(tmp_path), len(fake.log)

    quick = loaded(omniload(*ingest_args(fake, dest, "messages", "--yield-limit", "1", "--page-size", "10")))
    limited = len(fake.log) - before
    loaded(omniload(*ingest_args(fake, dest, "messages", "--page-size", "10")))  # the next run reads everything
    whole = len(fake.log) - before - limited

    assert "warning: --yield-limit 1: each table stops after 1 page(s) and is loaded with merge" in quick.stderr
    assert " 10 " in quick.stdout.splitlines()[1]  # one page of rows
    assert limited < whole / 10
    assert dest.count("messages") == len(fake.ws.rows("messages"))
    assert "messages" in dest.cursors()


def test_yield_limit_saves_no_cursor(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest = _dest(tmp_path)

    loaded(omniload(*ingest_args(fake, dest, "messages,campaigns", "--yield-limit", "1", "--page-size", "10")))

    assert dest.count("messages") == 10 and dest.count("campaigns") == len(fake.ws.rows("campaigns"))
    assert dest.cursors() == {}


def test_yield_limit_never_replaces_a_table(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest = _dest(tmp_path)
    loaded(omniload(*ingest_args(fake, dest, "customers")))
    whole = _data(dest, "customers")

    quick = loaded(omniload(*ingest_args(fake, dest, "customers", "--yield-limit", "1", "--page-size", "100")))

    assert "customers" in quick.stdout and " 100 " in quick.stdout.splitlines()[1]
    assert _data(dest, "customers") == whole  # merged by cio_id: every row kept


def test_yield_limit_refuses_what_would_drop_rows(fake: FakeCustomerIO, tmp_path: Path) -> None:
    dest = _dest(tmp_path)
    refused = [
        ("--incremental-strategy", "replace"),
        ("--full-refresh",),
    ]
    for extra in refused:
        line = one_line_error(omniload(*ingest_args(fake, dest, "campaigns", "--yield-limit", "2", *extra)), 2)
        assert line.startswith("error: --yield-limit"), line
    files = ingest_args(fake, dest, "campaigns", "--yield-limit", "2")
    files[files.index(dest.uri)] = f"file://{tmp_path}/files"
    line = one_line_error(omniload(*files), 2)
    assert "cannot merge: pass --incremental-strategy append" in line
    assert not dest.path.exists()
