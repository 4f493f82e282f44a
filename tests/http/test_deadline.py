"""The one place omniload reaches into httpx and httpcore (omniload/http/deadline.py): these tests fail, naming
the attribute and the versions, the day an upgrade moves what it sets; tests/test_http.py shows the deadline
holding against servers that dribble their answers."""

from __future__ import annotations

import httpx
import pytest

from omniload.http.deadline import DeadlineUnsupported, bound_reads_by_deadline


def test_every_pool_of_a_client_gets_deadline_bound_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The direct pool and the pool of each proxy httpx builds from the environment; a NO_PROXY host has none."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    with httpx.Client(trust_env=True) as client:
        assert bound_reads_by_deadline(client) == 2
    with httpx.Client(trust_env=False) as client:
        assert bound_reads_by_deadline(client) == 1


@pytest.mark.parametrize("attribute", ["_mounts", "_transport"])
def test_an_httpx_that_moved_an_attribute_is_named_in_one_line(attribute: str) -> None:
    """What a user sees if the installed httpx no longer has what this module sets: no client without deadlines."""
    client = httpx.Client()
    kept = getattr(client, attribute)
    delattr(client, attribute)
    try:
        with pytest.raises(
            DeadlineUnsupported,
            match=rf"^httpx \S+ / httpcore \S+: Client\.{attribute} is missing, "
            r"not a \w+; omniload/http/deadline.py must be updated",
        ):
            bound_reads_by_deadline(client)
    finally:
        setattr(client, attribute, kept)
        client.close()
