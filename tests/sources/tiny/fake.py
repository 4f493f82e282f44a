"""The tiny source's fake API over real HTTP on loopback, and its truth: what a complete load holds."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

NOTES = [
    {"id": n, "text": f"note {n}", "updated": 1_700_000_000 + n, "tags": ["a", "b"][: n % 3]} for n in range(1, 6)
]
AUTHORS = [{"name": "Ada"}, {"name": "Grace"}]
PAGE_SIZE = 2


def truth(name: str, period: str | None, end: int) -> set[tuple[Any, ...]]:
    """The keys of a complete load: every note id, every author name."""
    rows = NOTES if name == "notes" else AUTHORS
    return {(row["id"],) if name == "notes" else (row["name"],) for row in rows}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        parts = urlsplit(self.path)
        if parts.path == "/notes":
            start = int(parse_qs(parts.query).get("cursor", ["0"])[-1])
            body: dict[str, Any] = {"notes": NOTES[start : start + PAGE_SIZE]}
            if start + PAGE_SIZE < len(NOTES):
                body["next"] = str(start + PAGE_SIZE)
        elif parts.path == "/authors":
            body = {"authors": AUTHORS}
        else:
            self.send_error(404)
            return
        content = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """Quiet: the tests read omniload's output, not the server's."""


@contextmanager
def tiny_api() -> Iterator[str]:
    """The fake's base URL while it serves."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
