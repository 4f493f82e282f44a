"""A server that answers every read with the example of Customer.io's own OpenAPI document, over real HTTP on
loopback: each table beyond the 31 must load against it with exit 0 (issue 11, "Done when").

The bundled fake serves what the contract says; this server serves what the document shows, so a field the
document spells differently, a type it gives that the fake does not, or a response shape the source did not expect
fails a load here. A response's example is the one the document gives, else one built from its schema: each
property's `example` (or enum's first value, or a placeholder of its type), `$ref`s resolved, the first of a
`oneOf`, `allOf` merged. The document is not in the repository (docs/contract/customerio/README.md, "The OpenAPI
copy"), so the examples of the paths omniload reads are kept in `openapi_examples.json` beside this module;
`python -m omniload.testing.customerio.examples DOCUMENT` writes that file again from a copy of the document.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import orjson

EXAMPLES = Path(__file__).with_name("openapi_examples.json")
#: Reads documented since the project's copy of the document (issue 20; docs/contract/customerio/extra-tables.md
#: marks each such fact), each with an example built from the public docs' description of its answer, as
#: estuary's `source-customer-io` probes recorded it (2026-09): the document has none to give.
LATER: Mapping[str, Any] = {
    "/v1/optouts": {
        "optouts": [{"cio_id": "d9c106000001", "customer_id": "42",
                     "optouts": [{"channel": "sms", "from": "+15551234567"}]}],
    },
    "/v1/subscription_channels": {
        "channels": [{"id": 1, "name": "Text messages", "description": "SMS from our numbers", "type": "sms",
                      "subscribed_by_default": False}],
    },
    "/v1/design_studio/emails": {
        "emails": [{"id": "11111111-1111-4111-8111-111111111111", "name": "Example Code Editor Email",
                    "is_template": False, "is_linked": False, "has_translations": False, "parent_folder_id": None,
                    "created": 1789071558, "updated": 1789071558}],
        "folders": [],
        "meta": {"pagination": {"page": 1, "limit": 1000, "total": 1}},
    },
    "/v1/design_studio/components": {
        "components": [{"id": "33333333-3333-4333-8333-333333333333", "name": "Footer", "tag": "footer",
                        "parent_folder_id": None, "created": 1789071558, "updated": 1789071558}],
        "folders": [],
        "meta": {"pagination": {"page": 1, "limit": 1000, "total": 1}},
    },
    "/v1/design_studio/folders": {
        "folders": [{"id": "9621d6dd-a4ae-4420-a50c-c4aaa0df822d", "name": "Onboarding", "parent_folder_id": None,
                     "created": 1789071558, "updated": 1789071558}],
        "meta": {"pagination": {"page": 1, "limit": 1000, "total": 1}},
    },
}  # fmt: skip
#: A placeholder per JSON type, for a property the document gives no example of.
PLACEHOLDERS: Mapping[str, Any] = {"string": "string", "integer": 1, "number": 1, "boolean": False}


def example_body(document: Mapping[str, Any], path: str, method: str = "get") -> Any:
    """The example the document gives for a 200 answer to `GET path` (path as the document spells it), or to
    another method's."""
    answer = document["paths"][path][method]["responses"]["200"]
    media = _resolve(document, answer).get("content", {}).get("application/json", {})
    if "example" in media:
        return media["example"]
    named = media.get("examples") or {}
    if named:
        return _resolve(document, next(iter(named.values()))).get("value")
    return _from_schema(document, media.get("schema") or {})


def _resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        found: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def _from_schema(document: Mapping[str, Any], schema: Mapping[str, Any], depth: int = 0) -> Any:
    schema = _resolve(document, schema)
    if "example" in schema:
        return schema["example"]
    if depth > 12:  # a schema that refers to itself
        return None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _from_schema(document, part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for choice in ("oneOf", "anyOf"):
        if choice in schema:
            return _from_schema(document, schema[choice][0], depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "array":
        return [_from_schema(document, schema.get("items") or {}, depth + 1)]
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _from_schema(document, prop, depth + 1) for name, prop in properties.items()}
    return PLACEHOLDERS.get(str(kind))


def extract(document: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The examples of `paths` (templates as the source's catalog writes them, e.g. `/v1/segments/{segment_id}`;
    `POST /v1/objects` for a read by POST), matched to the document's templates whatever their placeholders are
    named."""
    examples = {}
    for key in sorted(set(paths)):
        method, _, path = key.rpartition(" ")
        method = (method or "GET").lower()
        documented = {_shape(p): p for p, item in document["paths"].items() if method in item}
        examples[key] = example_body(document, documented[_shape(path)], method)
    return examples


def _shape(template: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", template)


def _pattern(template: str) -> re.Pattern[str]:
    """The template as a regular expression: each placeholder matches one path segment."""
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in _shape(template).split("{}")) + "$")


class ExampleServer:
    """Answers `GET` on every path of `examples` (a placeholder matches any one path segment), and `POST` on each
    `POST <path>` of them, with its example; anything else is 404. Use as a context manager; `base_url` is where
    it listens."""

    def __init__(self, examples: Mapping[str, Any]) -> None:
        routes = [(key.rpartition(" ")[0] or "GET", _pattern(key.rpartition(" ")[2]), body)
                  for key, body in examples.items()]  # fmt: skip
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server dispatches to)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                server.requests.append(path)
                found = (b for method, pattern, b in routes if method == self.command and pattern.match(path))
                body = next((orjson.dumps(b) for b in found), None)
                self.send_response(404 if body is None else 200)
                self.send_header("Content-Type", "application/json")
                payload = body if body is not None else b'{"errors":[{"detail":"not found"}]}'
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        server = self
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> ExampleServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._http.shutdown()
        self._http.server_close()


def read_paths() -> list[str]:
    """Every `GET` path the Customer.io source's catalog reads that the document has (the tables' own, their
    parents' lists and the workspace-wide passes), and `POST <path>` for a search (the people, the objects of
    each type); the later ones are in `LATER`."""
    from omniload.sources.customerio.catalog import (
        PASS_READS,
        TABLES,
        Budgeted,
        Contents,
        FromPass,
        Listing,
        Metrics,
        PerParent,
        Usage,
    )

    paths = []
    for table in TABLES:
        read = table.read
        if isinstance(read, FromPass):
            paths.append(PASS_READS[read.name].endpoint.path)
        elif isinstance(read, Budgeted):
            paths += [read.listing.path, read.detail.path]
        elif isinstance(read, Listing | PerParent):
            endpoints = read.endpoints if isinstance(read, Listing) else (read.endpoint,)
            paths += [e.path if e.method == "GET" else f"{e.method} {e.path}" for e in endpoints]
        elif isinstance(read, Metrics | Contents | Usage):
            paths.append(read.path)
    return [path for path in paths if path not in LATER]


def main(argv: list[str]) -> int:
    """Write `openapi_examples.json` from the OpenAPI document at argv[0]."""
    document = orjson.loads(Path(argv[0]).read_bytes())
    EXAMPLES.write_bytes(orjson.dumps(extract(document, read_paths()), option=orjson.OPT_INDENT_2) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
