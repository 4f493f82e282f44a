"""Issue 21, point 3: a package that installs anywhere. The wheel is built from this checkout without network,
installed into a fresh virtualenv, and run from there as a user who never saw the checkout runs it: `omniload demo`
in an empty folder (README, command 1), the fake's examples mode (its `openapi_examples.json` is package data),
and the missing-extra hint, which names the wheel omniload came from (the name omniload on PyPI is another
project). Building prints no deprecation warning.

To stay fast the virtualenv has no dependencies of its own: a `.pth` file puts this interpreter's site-packages
after its own, so only the wheel is new; every command runs with no PYTHONPATH, from a folder outside the
checkout, and the test checks the omniload that answered is the installed one.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from omniload.destinations import SCHEMES
from tests.conftest import query
from tests.test_missing_extras import LAUNCHER, _extra_only, _modules

ROOT = Path(__file__).resolve().parents[1]
#: What the wheel is built from: the project's metadata, the files it names, and the package.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "omniload")
WARNING = re.compile(r"[A-Z]\w*Warning\b|deprecat", re.IGNORECASE)


@dataclass(frozen=True)
class Installed:
    """The fresh virtualenv with the wheel in it, and an empty folder to run commands from."""

    wheel: Path
    prefix: Path
    folder: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env |= {"PATH": f"{self.prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}", "COLUMNS": "200"}
        return subprocess.run(
            args, capture_output=True, text=True, cwd=self.folder, env=env, stdin=subprocess.DEVNULL, timeout=300
        )

    def python(self, code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.prefix / "bin" / "python"), "-c", code, *args)


def build_wheel(tmp: Path) -> tuple[Path, str]:
    """The wheel and pip's verbose build log. Built from a copy of the sources: setuptools writes `build/` and
    an egg-info beside them, and a stale `build/` of a checkout would put deleted modules in the wheel."""
    source = tmp / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(tmp / "dist"), str(source)],
        capture_output=True, text=True, cwd=tmp, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("omniload-*.whl")
    return wheel, built.stdout + built.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel, _ = build_wheel(tmp)
    prefix = tmp / "venv"
    venv.create(prefix, with_pip=False)
    (purelib,) = (prefix / "lib").glob("python3*/site-packages")
    (purelib / "test-interpreter.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(prefix / "bin" / "python"), "install",
         "--no-deps", "--no-index", "--ignore-installed", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    folder = tmp / "empty"
    folder.mkdir()
    return Installed(wheel, prefix, folder)


def test_the_build_warns_of_nothing_and_the_wheel_holds_the_data_and_license(tmp_path: Path) -> None:
    wheel, log = build_wheel(tmp_path)
    assert [line for line in log.splitlines() if WARNING.search(line)] == []
    names = zipfile.ZipFile(wheel).namelist()
    assert "omniload/testing/customerio/openapi_examples.json" in names
    assert "omniload-0.1.0.dist-info/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read("omniload-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata.splitlines()


def test_the_installed_omniload_is_the_wheels(installed: Installed) -> None:
    ran = installed.python("import omniload; print(omniload.__file__)")
    assert ran.returncode == 0, ran.stderr
    assert Path(ran.stdout.strip()).is_relative_to(installed.prefix), ran.stdout
    assert shutil.which("omniload", path=str(installed.prefix / "bin")) is not None


def test_demo_runs_from_the_wheel(installed: Installed) -> None:
    ran = installed.run("omniload", "demo", "--rate-limit", "1000")
    assert ran.returncode == 0, ran.stderr
    db = installed.folder / "demo.duckdb"
    last = ran.stdout.splitlines()[-1]
    assert last.startswith("Loaded ") and f" rows in 46 table(s) into duckdb {db} (schema customerio)" in last
    assert query(db, "select count(*) from customerio.customers")[0][0] > 0


#: The fake's examples mode, from the installed package: its OpenAPI examples served on loopback, one table read.
EXAMPLES_RUN = """
import subprocess, sys, orjson
from omniload.testing.customerio.examples import EXAMPLES, ExampleServer
with ExampleServer(orjson.loads(EXAMPLES.read_bytes())) as server:
    uri = f"customerio://?api_key=example&base_url={server.base_url}"
    sys.exit(subprocess.run(["omniload", "ingest", "--source-uri", uri, "--source-table",
                             "campaign_link_metrics:weeks", "--dest-uri", "duckdb:///links.duckdb",
                             "--dest-table", "cio.links"]).returncode)
"""


def test_the_fakes_examples_mode_runs_from_the_wheel(installed: Installed) -> None:
    """The example: campaign 5 has link 1234 to https://docs.customer.io, clicked 1, 3, 5 and 7 times."""
    ran = installed.python(EXAMPLES_RUN)
    assert ran.returncode == 0, ran.stderr
    rows = query(installed.folder / "links.duckdb", "select campaign_id, link_id, href, clicked from cio.links")
    assert sorted(rows) == [(5, 1234, "https://docs.customer.io", clicked) for clicked in (1, 3, 5, 7)]


def test_a_missing_extra_names_the_wheel_it_came_from(installed: Installed) -> None:
    """The wheel's own install command while pip's record of it is there (direct_url.json); without it, a line
    saying to install the extra from where omniload came."""
    blocked = ",".join(_modules(_extra_only("bigquery")))
    args = ["ingest", "--source-uri", "customerio://?api_key=k", "--source-table", "customers",
            "--dest-uri", SCHEMES["bigquery"].example]  # fmt: skip
    driver = "error: destination bigquery:// needs the google-cloud-bigquery driver:"

    ran = installed.python(LAUNCHER, blocked, *args)
    assert (ran.returncode, ran.stderr.splitlines()) == (
        2, [f"{driver} pip install 'omniload[bigquery] @ {installed.wheel.as_uri()}'"]
    )  # fmt: skip

    (record,) = installed.prefix.glob("lib/python3*/site-packages/omniload-*.dist-info/direct_url.json")
    record.unlink()
    ran = installed.python(LAUNCHER, blocked, *args)
    assert (ran.returncode, ran.stderr.splitlines()) == (
        2, [f"{driver} install omniload's bigquery extra from where this omniload came (pip install "
            "'omniload[bigquery] @ <its wheel, checkout or URL>'; the omniload on PyPI is another project)"]
    )  # fmt: skip
