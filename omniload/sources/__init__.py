"""The source registry: the one place that knows which sources exist (README "Adding a source").

Each source is an `omniload.source.Source` registered under its name, which is also its URI scheme. Sources
outside this package (a plugin, a test's tiny source) are named in `OMNILOAD_SOURCES`, a comma-separated list
of `module:attribute`, and join the built-in ones.
"""

from __future__ import annotations

import importlib
import os
from urllib.parse import urlsplit

from omniload.errors import UsageError
from omniload.source import Source
from omniload.sources.customerio.source import SOURCE as CUSTOMERIO

BUILT_IN: tuple[Source, ...] = (CUSTOMERIO,)


def sources() -> dict[str, Source]:
    """Every registered source by name, the built-in ones first."""
    found = {source.name: source for source in BUILT_IN}
    for entry in filter(None, (part.strip() for part in os.environ.get("OMNILOAD_SOURCES", "").split(","))):
        module, _, attribute = entry.partition(":")
        try:
            source = getattr(importlib.import_module(module), attribute or "SOURCE")
        except (ImportError, AttributeError) as error:
            raise UsageError(f"OMNILOAD_SOURCES names {entry!r}, which cannot be loaded: {error}") from None
        found[source.name] = source
    return found


def find_source(name: str) -> Source:
    """A source by name (`omniload tables NAME`); an unknown name is a one-line usage error."""
    known = sources()
    source = known.get(name.split(":")[0].lower())
    if source is None:
        raise UsageError(f"unknown source {name!r}; sources: {', '.join(known)}")
    return source


def source_for_uri(uri: str) -> Source:
    """The source a `--source-uri` names by its scheme; the rest of the URI is never echoed (it holds keys)."""
    scheme = urlsplit(uri).scheme.lower()
    known = sources()
    source = known.get(scheme)
    if source is None:
        shown = f"{scheme}://" if scheme else repr(uri.split("?")[0])
        raise UsageError(f"unknown source {shown}; supported: {', '.join(s + '://' for s in known)}")
    return source
