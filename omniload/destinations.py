"""Destination URI → dlt destination. omniload has no loaders of its own: every write goes through dlt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from omniload.errors import UsageError


@dataclass(frozen=True)
class Destination:
    """A dlt destination plus what the summary may print about it (never a password)."""

    dlt_destination: Any
    display: str
    default_dataset: str
    atomic_replace: bool


def resolve(uri: str) -> Destination:
    scheme = urlsplit(uri).scheme.lower()
    builder = _BUILDERS.get(scheme)
    if builder is None:
        raise UsageError(
            f"unknown destination scheme {scheme + '://' if scheme else repr(uri)}; "
            f"supported: {', '.join(s + '://' for s in sorted(_BUILDERS))}"
        )
    return builder(uri)


def redact(uri: str) -> str:
    """The URI with its password and secret-looking query values masked, for printing."""
    parts = urlsplit(uri)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", ":***@")
    query = "&".join(
        f"{k}=***" if any(s in k.lower() for s in ("key", "secret", "token", "password")) else f"{k}={v}"
        for k, _, v in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _duckdb(uri: str) -> Destination:
    import dlt

    path = uri.split("://", 1)[1]
    if path.startswith("/"):
        path = path[1:]  # duckdb:///relative.duckdb → relative.duckdb; duckdb:////abs → /abs
    if not path:
        raise UsageError("duckdb:// needs a file: duckdb:///relative/path.duckdb or duckdb:////absolute/path.duckdb")
    file = Path(path).expanduser().resolve()
    if not file.parent.is_dir():
        raise UsageError(f"cannot write {file}: folder {file.parent} does not exist")
    return Destination(dlt.destinations.duckdb(str(file)), f"duckdb {file}", "main", atomic_replace=True)


def _postgres(uri: str) -> Destination:
    import dlt

    parts = urlsplit(uri)
    if not parts.path.strip("/"):
        raise UsageError("postgres:// needs a database: postgresql://user:password@host:5432/database")
    try:
        parts.port  # noqa: B018 - a bad port raises here, before anything is read
    except ValueError:
        raise UsageError(f"bad port in {redact(uri)}") from None
    credentials = urlunsplit(("postgresql",) + tuple(parts)[1:])
    destination = dlt.destinations.postgres(credentials=credentials)
    return Destination(destination, f"postgres {redact(uri)}", "public", atomic_replace=True)


_BUILDERS = {"duckdb": _duckdb, "postgres": _postgres, "postgresql": _postgres}
