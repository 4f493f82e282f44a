"""How a source proves who it is: an `httpx.Auth` the source hands to `HttpClient(auth=...)`.

httpx runs an `Auth` for every request it sends, retries included, and its flow can answer a 401 by fetching a
new token and sending again: a source with keys passes `BearerToken`, an OAuth source passes its own `Auth`
(README "Adding a source"). The key lives in the `Auth` object, never in the client's headers or its `repr`, so
no log line or traceback shows it (README: "The API key is never printed").
"""

from __future__ import annotations

from collections.abc import Generator

import httpx


class BearerToken(httpx.Auth):
    """`Authorization: Bearer <token>` on every request (Customer.io's App API keys, and most SaaS keys)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerToken(<hidden>)"
