"""The commands that read no data: `tables`, `docs`, `example-uris` and `version` (README "Loading
Customer.io", "Destinations"), each from the registries (omniload/sources/__init__.py,
omniload/destinations.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table as RichTable

from omniload import __version__
from omniload.cli.output import failing, out
from omniload.source import Source
from omniload.sources import BUILT_IN, find_source, sources
from omniload.text import aligned

_SOURCE = typer.Argument(help=f"Source name, e.g. {BUILT_IN[0].name}; without it, the sources.")


def tables(
    source: Annotated[str | None, _SOURCE] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
) -> None:
    """List a source's tables with their primary key, incremental key, strategy and what each holds."""
    from omniload.source import tables_markdown

    if source is None:
        _list_sources("tables")
        return
    found = _known_source(source)
    if markdown:
        out.out(tables_markdown(found.tables), end="", highlight=False)
        return
    header = ("table", "primary key", "incremental key", "strategy", "holds")
    rows: list[tuple[str, ...]] = [
        (t.display_name, ", ".join(t.primary_key), t.incremental_key or "-", t.strategy, t.description)
        for t in found.tables
    ]
    if out.is_terminal:
        listing = RichTable(*header, box=None, header_style="bold")
        for row in rows:
            listing.add_row(*row)
        out.print(listing)
        return
    for line in aligned([header, *rows]):  # plain text when piped: never cut to a terminal's width
        out.out(line, highlight=False)


def docs_page(source: Annotated[str | None, _SOURCE] = None) -> None:
    """Print a source's documentation page (Markdown), generated from its table catalog."""
    if source is None:
        _list_sources("docs")
        return
    out.out(_known_source(source).docs_page(), end="", highlight=False)


def _list_sources(command: str) -> None:
    """`omniload tables` or `omniload docs` without a name: the registered sources, and how to ask for one."""
    with failing(False):
        registered = sources().values()
    for found in registered:
        out.out(f"{found.name:<12} {len(found.tables):>3} tables   {found.uri_example}", highlight=False)
    out.out(f"`omniload {command} NAME` for one of them.", highlight=False)


def _known_source(name: str) -> Source:
    with failing(False):
        return find_source(name)


def example_uris() -> None:
    """Print an example URI of every registered source and destination scheme."""
    from omniload.destinations import SCHEMES, supported_schemes

    with failing(False):
        registered = sources()
    rows = [("sources", "", "")]
    rows += [("", f"{name}://", found.uri_example) for name, found in registered.items()]
    rows += [("destinations", "", "")]
    rows += [("", shown, SCHEMES[name].example) for name, shown in zip(SCHEMES, supported_schemes(), strict=True)]
    width = max(len(scheme) for _, scheme, _ in rows)
    for heading, scheme, example in rows:
        out.out(heading or f"  {scheme:<{width}}  {example}", highlight=False)


def version() -> None:
    """Print omniload's version."""
    out.out(f"omniload {__version__}", highlight=False)
