"""Source URI → source. One folder per source; each exposes `select` (tables) and `reader` (a run's reads)."""

from __future__ import annotations

from urllib.parse import urlsplit

from omniload.errors import UsageError
from omniload.sources.customerio.source import CustomerIOSource

SOURCES = {"customerio": CustomerIOSource.from_uri}


def resolve_source(uri: str) -> CustomerIOSource:
    scheme = urlsplit(uri).scheme.lower()
    factory = SOURCES.get(scheme)
    if factory is None:
        shown = f"{scheme}://" if scheme else repr(uri.split("?")[0])
        raise UsageError(f"unknown source {shown}; supported: {', '.join(s + '://' for s in SOURCES)}")
    return factory(uri)
