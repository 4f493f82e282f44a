"""The auth hook (omniload/http/auth.py), against the fake over real HTTP: a key as a `BearerToken`, and an
`httpx.Auth` of a source's own that fetches a new token on a 401, as an OAuth source would."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import httpx
import pytest

from omniload.errors import ApiError
from omniload.http import BearerToken, HttpClient, RetryPolicy
from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec

KEY = "auth-key"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(WorkspaceSpec(people=5, deliveries=5)), api_key=KEY, rate_limit=None) as fake:
        yield fake


def client(fake: FakeCustomerIO, auth: httpx.Auth) -> HttpClient:
    return HttpClient(fake.base_url, auth=auth, rate_limit=None, retry=RetryPolicy(total_seconds=10))


def test_a_bearer_token_signs_every_request_and_never_shows_the_key(server: FakeCustomerIO) -> None:
    assert client(server, BearerToken(KEY)).get("/v1/segments")["segments"]
    with pytest.raises(ApiError, match=r"\(401\)"):
        client(server, BearerToken("not-the-key")).get("/v1/segments")
    assert KEY not in repr(BearerToken(KEY))


class Refreshing(httpx.Auth):
    """Starts with an expired token; on a 401 gets a fresh one (here: the fake's key) and sends again."""

    def __init__(self) -> None:
        self.token = "expired"
        self.refreshed = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token, self.refreshed = KEY, self.refreshed + 1
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


def test_an_auth_of_the_source_s_own_can_refresh_its_token_on_a_401(server: FakeCustomerIO) -> None:
    auth = Refreshing()
    http = client(server, auth)
    assert http.get("/v1/segments")["segments"] and http.get("/v1/campaigns")["campaigns"]
    assert auth.refreshed == 1
    assert [r.status for r in server.requests("/v1/segments")][-2:] == [401, 200]
