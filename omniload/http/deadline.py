"""A total deadline per request, however slowly the server sends: the one place omniload reaches into httpx.

httpx's timeouts bound each wait for the network (connect, each read), not the whole answer: a server sending
one byte every second never trips a 60 s read timeout, in the status line and headers as in the body (README
"Loading Customer.io", `timeout=`). The deadline therefore sits under httpx, in the sockets: every read of a
thread that is sending a request waits at most until that request's deadline. httpcore lets a connection pool
take any `NetworkBackend` (public API), but httpx offers no public way to hand one to the pools it builds
itself, direct and one per proxy from `HTTPS_PROXY` and the rest; building those pools by hand would mean
re-implementing httpx's transport and its reading of the proxy variables. So `bound_reads_by_deadline` sets
the pools' backend through httpx's and httpcore's private attributes, and checks each one first: if an upgrade
renames or retypes one, the client refuses to start with one line naming it (tests/http/test_deadline.py
fails the same way), rather than run without deadlines.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from omniload.errors import OmniloadError


class _Deadline(threading.local):
    """The monotonic time by which this thread's request must be answered in full; None outside a request."""

    at: float | None = None


_deadline = _Deadline()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket read of this thread inside the block ends with `httpcore.ReadTimeout` (httpx's
    `ReadTimeout`) once `seconds` have passed."""
    _deadline.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline.at = None


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read waits at most until the deadline of the request the thread is sending."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if _deadline.at is not None:
            left = _deadline.at - time.monotonic()
            if left <= 0:
                raise httpcore.ReadTimeout("total deadline passed")
            timeout = left if timeout is None else min(timeout, left)
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each wrapped in a `_DeadlineStream`."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineUnsupported(OmniloadError):
    """httpx or httpcore changed where `bound_reads_by_deadline` reaches: this module needs updating (exit 1, one
    line naming the attribute and the installed versions)."""


def bound_reads_by_deadline(client: httpx.Client) -> int:
    """Give every connection pool of a new client (direct and through each proxy) deadline-bound sockets, before
    any connection exists; returns how many pools it bound."""
    mounts = _private(client, "_mounts", dict)
    transports = [_private(client, "_transport", httpx.BaseTransport), *mounts.values()]
    direct = [t for t in transports if isinstance(t, httpx.HTTPTransport)]  # None: a NO_PROXY host
    pools = [_private(transport, "_pool", httpcore.ConnectionPool) for transport in direct]
    for pool in pools:
        backend = _private(pool, "_network_backend", httpcore.NetworkBackend)
        pool._network_backend = _DeadlineBackend(backend)
    return len(pools)


def _private(owner: object, name: str, expected: type) -> Any:
    """`owner.name`, checked to be what this module was written against."""
    value = getattr(owner, name, None)
    if not isinstance(value, expected):
        found = "missing" if value is None else f"a {type(value).__name__}"
        raise DeadlineUnsupported(
            f"httpx {httpx.__version__} / httpcore {httpcore.__version__}: {type(owner).__name__}.{name} is "
            f"{found}, not a {expected.__name__}; omniload/http/deadline.py must be updated, or requests would "
            "have no total deadline"
        )
    return value
