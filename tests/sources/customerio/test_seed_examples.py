"""The product page's commands run verbatim; only the fake's address is added to the source URI."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from omniload.testing.customerio import FakeCustomerIO, Workspace
from tests.conftest import omniload, query

EXAMPLES = [
    shlex.split(block.replace("\\\n", " "), comments=True)
    for block in (Path(__file__).parent / "seed_examples.sh").read_text().split("\n\n")
]
SEED_KEY = "your_api_key"


def _with_fake(argv: list[str], fake: FakeCustomerIO) -> list[str]:
    uri = argv.index("--source-uri") + 1
    return [*argv[1:uri], f"{argv[uri]}&base_url={fake.base_url}", *argv[uri + 1 :]]


@pytest.fixture(scope="module")
def seed_key(fake: FakeCustomerIO) -> str:
    fake.add_key(SEED_KEY)
    return SEED_KEY


@pytest.mark.parametrize("argv", EXAMPLES, ids=[" ".join(a[4:6]) + (" interval" if len(a) > 10 else "")
                                                for a in EXAMPLES])
def test_seed_example_runs(argv: list[str], seed_key: str, fake: FakeCustomerIO, workspace: Workspace,
                           tmp_path: Path) -> None:
    assert argv[0] == "omniload" and seed_key in argv[argv.index("--source-uri") + 1]

    ran = omniload(*_with_fake(argv, fake), cwd=tmp_path)

    assert ran.code == 0, ran.output
    table = argv[argv.index("--dest-table") + 1]
    name = argv[argv.index("--source-table") + 1].split(":")[0]
    # The file's catalog and the schema share the name `customerio`, so DuckDB wants the full path.
    loaded = query(tmp_path / "customerio.duckdb", f"select count(*) from customerio.{table}")[0][0]
    if "--interval-start" in argv:
        start, end = 1704067200, 1706659200  # 2024-01-01 and 2024-01-31 00:00 UTC, both inclusive
        expected = [r for r in workspace.rows(name) if not isinstance(r.get("updated"), int)
                    or start <= r["updated"] <= end]
        assert loaded == len(expected)
    elif name.endswith("metrics"):
        assert loaded > 0
    else:
        assert loaded == len(workspace.rows(name))
    assert "Loaded" in ran.stdout
