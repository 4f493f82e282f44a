"""A small JSON API over real HTTP on loopback for the REST layer's tests: each route answers from the query it
is sent, and every request is logged, so a test states what it sends and what the layer asks for."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omniload.http import HttpClient

#: A route: the request's query (and JSON body, for a POST) → (status, JSON body).
Route = Callable[[dict[str, str], Any], tuple[int, Any]]


@dataclass
class Api:
    """The base URL, and the path and query of every request, in order."""

    base_url: str
    asked: list[str] = field(default_factory=list)

    def client(self) -> HttpClient:
        return HttpClient(self.base_url, headers={}, rate_limit=None)

    def paths(self, path: str) -> list[dict[str, str]]:
        """The queries sent to `path`, in order."""
        queries = [urlsplit(asked) for asked in self.asked]
        return [_query(parts.query) for parts in queries if parts.path == path]


@contextmanager
def serving(routes: Mapping[str, Route]) -> Iterator[Api]:
    api = Api("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self._answer(None)

        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(json.loads(self.rfile.read(length) or b"null"))

        def _answer(self, body: Any) -> None:
            parts = urlsplit(self.path)
            with lock:
                api.asked.append(self.path)
            route = routes.get(parts.path)
            status, answer = route(_query(parts.query), body) if route else (404, {"errors": ["no route"]})
            content = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            """Quiet: the tests read what the layer asked for, not the server's log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def _query(query: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(query).items()}
