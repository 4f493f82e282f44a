"""Stateless paging tokens.

Each token carries its own position and a keyed checksum, so the server keeps no cursor state and any altered,
truncated or foreign token is detected (and answered with 400, keeping client bugs visible). The base64 form
always contains ``+``, ``/`` and ``=`` so that a client that forgets to URL-encode ``start`` breaks in tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import orjson

_PREFIX = b"\xfb\xff\xbf"  # base64 "+/+/": forces characters that need URL-encoding
_SECRET = b"omniload-fake-cio"


class BadCursor(ValueError):
    """The token was not issued by this fake for this listing."""


def _mac(scope: str, payload: bytes) -> bytes:
    return hashlib.blake2b(
        payload, key=_SECRET, person=scope.encode()[:16].ljust(16, b"\0"), digest_size=6
    ).digest()


def encode(scope: str, state: dict[str, Any]) -> str:
    """Base64-like token for ``state`` valid only for ``scope`` (e.g. the route and parent)."""
    body = orjson.dumps(state, option=orjson.OPT_SORT_KEYS)
    raw = _PREFIX + body
    # Keep the length off a multiple of 3 so the token always ends in padding ("=").
    while (len(raw) + 6) % 3 == 0:
        raw += b" "
    raw += _mac(scope, raw)
    return base64.b64encode(raw).decode("ascii")


def decode(scope: str, token: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(token.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise BadCursor("malformed start token") from exc
    if len(raw) < len(_PREFIX) + 6 or not raw.startswith(_PREFIX):
        raise BadCursor("malformed start token")
    payload, mac = raw[:-6], raw[-6:]
    if _mac(scope, payload) != mac:
        raise BadCursor("unknown start token")
    try:
        state = orjson.loads(payload[len(_PREFIX) :])
    except orjson.JSONDecodeError as exc:
        raise BadCursor("malformed start token") from exc
    if not isinstance(state, dict):
        raise BadCursor("malformed start token")
    return state


def encode_digits(scope: str, position: int) -> str:
    """Long all-digit token, as the activity endpoints use."""
    body = f"{position:012d}"
    check = int.from_bytes(_mac(scope, body.encode()), "big") % 10**9
    return f"1{body}{check:09d}"


def decode_digits(scope: str, token: str) -> int:
    if len(token) != 22 or not token.isdigit() or token[0] != "1":
        raise BadCursor("malformed start token")
    body, check = token[1:13], int(token[13:])
    if int.from_bytes(_mac(scope, body.encode()), "big") % 10**9 != check:
        raise BadCursor("unknown start token")
    return int(body)
