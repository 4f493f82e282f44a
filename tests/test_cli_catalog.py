"""`omniload example-uris` and `omniload version` (issue 21, point 1): the product page's commands, read from the
registries (omniload/sources/__init__.py, omniload/destinations.py), through the real CLI."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from omniload.destinations import SCHEMES, supported_schemes
from omniload.sources import BUILT_IN
from tests.conftest import omniload
from tests.sources.tiny.source import SOURCE as TINY

TINY_ENV = {"OMNILOAD_SOURCES": "tests.sources.tiny.source:SOURCE"}


def _listed(stdout: str) -> dict[str, dict[str, str]]:
    """The output as {section: {scheme: example}}."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in stdout.splitlines():
        if not line.startswith(" "):
            current = sections.setdefault(line, {})
            continue
        scheme, example = line.split(maxsplit=1)
        current[scheme] = example
    return sections


def test_example_uris_names_every_registered_source_and_destination_scheme() -> None:
    ran = omniload("example-uris", env=TINY_ENV)

    assert ran.code == 0, ran.output
    listed = _listed(ran.stdout)
    assert list(listed) == ["sources", "destinations"]
    assert listed["sources"] == {
        **{f"{source.name}://": source.uri_example for source in BUILT_IN},
        "tiny://": TINY.uri_example,
    }
    assert listed["destinations"] == {
        shown: SCHEMES[name].example for name, shown in zip(SCHEMES, supported_schemes(), strict=True)
    }
    assert "duckdb://" in listed["destinations"] and "md:" in listed["destinations"]


def test_version_and_the_version_flag_print_the_installed_version() -> None:
    try:
        expected = version("omniload")
    except PackageNotFoundError:  # a source tree that was never installed (omniload/__init__.py)
        expected = "0.0.0"

    command, flag = omniload("version"), omniload("--version")

    assert (command.code, flag.code) == (0, 0)
    assert command.stdout == flag.stdout == f"omniload {expected}\n"
