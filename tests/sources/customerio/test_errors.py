"""Customer.io's words for its failures (omniload/sources/customerio/errors.py): the reason in each error-body
shape the contract lists (/work/shared/customerio/README.md, "Errors"), and a 401 that says what to check; then
both through the source's own client, against the fake over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omniload.errors import ApiError
from omniload.http import HttpClient
from omniload.sources.customerio.config import parse_uri
from omniload.sources.customerio.errors import CustomerIOErrors
from omniload.sources.customerio.source import SOURCE
from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec

KEY = "errors-key"
ERRORS = CustomerIOErrors(parse_uri("customerio://?api_key=k&region=eu"))


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"errors":[{"detail":"id must be a number","status":"400"}]}', "id must be a number"),
        (b'{"meta":{"error":"version is required"}}', "version is required"),
        (b'{"meta":{"errors":[{"detail":"bad period"}]}}', "bad period"),
        (b'{"errors":["a string, not an object"]}', ""),
        (b'{"meta":"not an object"}', ""),
        (b"<html>Bad Gateway</html>", ""),
        (b"[]", ""),
        (b"", ""),
        (b'{"errors":[{"detail":"' + b"x" * 500 + b'"}]}', "x" * 200),
    ],
    ids=["errors", "meta.error", "meta.errors", "strings", "meta-string", "html", "list", "empty", "long"],
)
def test_the_reason_is_read_from_each_body_shape_or_left_out(body: bytes, detail: str) -> None:
    assert ERRORS.detail(body) == detail


def test_a_401_names_the_region_and_the_host_when_it_is_not_the_region_s() -> None:
    assert ERRORS.unauthorized() == (
        "Customer.io rejected the API key (401) in region 'eu': check that it is an App API key and that the "
        "account lives in this region (region=us or region=eu)"
    )
    gateway = CustomerIOErrors(parse_uri("customerio://?api_key=k&base_url=https://gateway.example/cio"))
    assert "(401) in region 'us' at https://gateway.example/cio: check" in gateway.unauthorized()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(WorkspaceSpec(people=5, deliveries=5)), api_key=KEY, rate_limit=None) as fake:
        yield fake


def reader_http(fake: FakeCustomerIO, key: str = KEY) -> HttpClient:
    return SOURCE.connect(f"customerio://?api_key={key}&base_url={fake.base_url}").reader().http


def test_the_source_s_client_says_what_customer_io_answered(server: FakeCustomerIO) -> None:
    server.inject("/v1/segments", status=400, times=1)
    with pytest.raises(ApiError, match=r"^GET /v1/segments answered 400: injected fault$"):
        reader_http(server).get("/v1/segments")
    with pytest.raises(ApiError, match=r"^Customer.io rejected the API key \(401\) in region 'us' at http://127"):
        reader_http(server, key="wrong").get("/v1/segments")
    assert reader_http(server).get("/v1/segments")["segments"]
