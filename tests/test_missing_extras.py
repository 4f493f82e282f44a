"""Issue 15, point 1: every destination whose driver is an extra says, in a virtualenv without that extra, the
command that installs it: one line, exit code 2, before anything is read. The command names this omniload (issue
21: the name omniload on PyPI is another project): run from a checkout, as here, the checkout's path with
`pip install -e`; the wheel install's command is checked by tests/test_wheel.py.

"A virtualenv without the extra" is this one with the extra's own distributions made unimportable: the real CLI
runs in a child Python whose meta path refuses their modules. What an extra adds to the base install is read
from the package metadata (pyproject's extras, dlt's extras they name, and everything those require), never
from omniload's own table of drivers, so a driver that table forgets fails here.
"""

from __future__ import annotations

import importlib.metadata
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from omniload.destinations import SCHEMES, Destination, resolve

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

#: `python -c LAUNCHER "mod1,mod2" ingest ...`: the CLI with those top-level modules unimportable.
LAUNCHER = """
import importlib.abc, runpy, sys
blocked = set(sys.argv[1].split(","))
class Without(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Without())
sys.argv = ["omniload", *sys.argv[2:]]
runpy.run_module("omniload", run_name="__main__", alter_sys=True)
"""


def _installs(requirements: Iterable[str]) -> set[str]:
    """Every distribution `pip install` brings for these requirements (transitively, for those installed here)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            needs = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in needs:
            need = Requirement(text)
            if need.marker is None or any(need.marker.evaluate({"extra": e}) for e in ["", *extras]):
                todo.append(need)
    return {name for name, _ in seen}


@cache
def _base() -> frozenset[str]:
    return frozenset(_installs(PROJECT["dependencies"]))


def _extra_only(extra: str) -> set[str]:
    """The distributions an extra adds to the base install."""
    return _installs(PROJECT["optional-dependencies"][extra]) - _base()


def _modules(distributions: set[str]) -> list[str]:
    """The top-level modules that only these distributions provide (of those installed here)."""
    providers = importlib.metadata.packages_distributions()
    return sorted(
        module
        for module, dists in providers.items()
        if dists and all(canonicalize_name(d) in distributions for d in dists)
    )


WITH_EXTRA = [name for name, scheme in SCHEMES.items() if scheme.extra]


def test_every_scheme_but_the_base_ones_names_an_extra() -> None:
    assert sorted(set(SCHEMES) - set(WITH_EXTRA)) == ["duckdb", "file"]


@pytest.mark.parametrize("name", WITH_EXTRA)
def test_without_its_extra_a_destination_names_the_install_command(name: str, tmp_path: Path) -> None:
    scheme = SCHEMES[name]
    assert scheme.extra is not None
    adds = _extra_only(scheme.extra)
    example = scheme.example.split(" or ")[0].split(" (")[0]
    uri = name + example[example.index(":") :]  # postgres:// has postgresql://'s example
    if not adds:  # MotherDuck needs only DuckDB and pyarrow: the base install is enough
        assert isinstance(resolve(uri, check_drivers=True), Destination)
        return
    blocked = _modules(adds)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LAUNCHER,
            ",".join(blocked) or "-",
            "ingest",
            "--source-uri",
            "customerio://?api_key=k",
            "--source-table",
            "customers",
            "--dest-uri",
            uri,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    install = f"pip install -e {shlex.quote(f'{ROOT}[{scheme.extra}]')}"  # this checkout, not PyPI's namesake
    assert done.stderr.splitlines() == [
        f"error: destination {name}:// needs the {scheme.package} driver: {install}"
    ]


def test_the_blocker_removes_what_an_extra_installs() -> None:
    """The SQL extras installed for the tests are really hidden: the check above is not vacuous here."""
    assert {"sqlalchemy", "pymysql"} <= set(_modules(_extra_only("mysql")))
    assert "psycopg2" in _modules(_extra_only("postgres"))
    assert "duckdb" not in _modules(_extra_only("motherduck"))
