"""What a failed request tells the user: one line each, the source's own words where the source has some.

A run that cannot go on ends with one line, `error: <what is wrong and how to fix it>` (README, the paragraph
before "Loading Customer.io"), so every way a request can fail is worded here once: a status that retrying cannot
fix, a host that cannot be reached (naming the proxy when one was in the way), and the small formatting helpers
those lines share. What only a source knows, how its API's error bodies say what went wrong and what a 401 means
for its credentials, comes from the source as an `ErrorDescription` (Customer.io's is
omniload/sources/customerio/errors.py).
"""

from __future__ import annotations

import urllib.request
from typing import Protocol

import httpx

from omniload.errors import ApiError, NotFound
from omniload.text import first_line


class ErrorDescription(Protocol):
    """A source's words for its API's failures, handed to `HttpClient(errors=...)`."""

    def unauthorized(self) -> str:
        """The whole line for a 401: which credentials were refused, and what to check."""
        ...

    def forbidden(self, path: str) -> str:
        """The whole line for a 403 on `path`."""
        ...

    def detail(self, body: bytes) -> str:
        """The server's own reason in a failed answer's body, or "" when it gives none."""
        ...


class GenericErrors:
    """For an API that adds nothing of its own: a 401 and a 403 said plainly, error bodies not read."""

    def unauthorized(self) -> str:
        return "the API rejected the credentials (401)"

    def forbidden(self, path: str) -> str:
        return f"the API key is not allowed to read {path} (403); give the key read access to this data"

    def detail(self, body: bytes) -> str:
        return ""


def status_error(
    errors: ErrorDescription, method: str, path: str, status: int, body: bytes, attempts: int = 1
) -> ApiError:
    """The error for an answer that retrying cannot fix, or that kept failing for `attempts` tries."""
    if status == 401:
        return ApiError(errors.unauthorized(), status)
    if status == 403:
        return ApiError(errors.forbidden(path), status)
    if status == 404:
        return NotFound(f"{method} {path}: not found (404)", status)
    detail = errors.detail(body)
    suffix = f": {detail}" if detail else ""
    if attempts > 1:
        return ApiError(f"{method} {path} answered {status} {attempts} times{suffix}", status)
    return ApiError(f"{method} {path} answered {status}{suffix}", status)


def unreachable(base_url: str, trust_env: bool, exc: Exception) -> str:
    """Name the proxy when one was in the way: "connection refused" alone sends people to the wrong place."""
    url = httpx.URL(base_url)
    host = url.host or base_url
    proxy = None
    if trust_env and not urllib.request.proxy_bypass(host):
        proxy = urllib.request.getproxies().get(url.scheme)
    if proxy:
        shown = httpx.URL(proxy).copy_with(username=None, password=None)
        return (
            f"cannot reach {host} through the proxy {shown} ({url.scheme.upper()}_PROXY): {reason(exc)}; "
            "check the proxy, or NO_PROXY"
        )
    return f"cannot reach {host}: {reason(exc)}; check base_url, the region and the network"


def seconds(value: float) -> str:
    """Durations as people read them: 1.5s, 600s, 27.8 hours."""
    if value >= 3600:
        return f"{value / 3600:.1f} hours"
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def reason(exc: Exception) -> str:
    """The first line of an exception, short enough for a one-line error."""
    return (first_line(exc) or type(exc).__name__)[:200]
