"""Cheap deterministic hashing and id formats, so records can be built from an index alone."""

from __future__ import annotations

import base64

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MASK64 = (1 << 64) - 1


def mix(*values: int) -> int:
    """SplitMix64-style hash of a few integers; stable across runs and platforms."""
    h = 0x9E3779B97F4A7C15
    for v in values:
        h = (h ^ (v & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & _MASK64
        h ^= h >> 29
    return h


def ulid(ts: int, *salt: int) -> str:
    """ULID-like id whose first 10 characters encode ``ts`` in milliseconds, like real ones."""
    value = ((ts * 1000) << 80) | (mix(ts, *salt) & ((1 << 80) - 1))
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def delivery_id(index: int, seed: int) -> str:
    """Base64-like delivery id; unique per index."""
    raw = f"dlv:{seed}:{index}".encode()
    return base64.b64encode(raw).decode("ascii")
