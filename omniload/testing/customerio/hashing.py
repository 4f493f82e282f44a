"""Cheap deterministic hashing and id formats, so records can be built from an index alone."""

from __future__ import annotations

import binascii
import sys
from array import array

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: All 1024 two-character Crockford strings, indexed by their 10-bit value: ``ulid`` encodes 10 bits a step.
_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)
_PAIR_SHIFTS = tuple(range(120, -1, -10))
_MASK64 = (1 << 64) - 1
_MASK80 = (1 << 80) - 1
_MIX_START = 0x9E3779B97F4A7C15


def mix(*values: int) -> int:
    """SplitMix64-style hash of a few integers; stable across runs and platforms."""
    h = _MIX_START
    for v in values:
        h = (h ^ (v & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & _MASK64
        h ^= h >> 29
    return h


def mix_more(h: int, v: int) -> int:
    """One more ``mix`` round: ``mix_more(mix(*vs), v) == mix(*vs, v)``.

    Hot loops hash ``(seed, i, salt)`` for several salts; keeping the state after ``(seed, i)`` saves the
    rounds the salts share.
    """
    h = (h ^ (v & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
    h = (h ^ (h >> 31)) * 0x94D049BB133111EB & _MASK64
    return h ^ (h >> 29)


def ulid(ts: int, *salt: int) -> str:
    """ULID-like id whose first 10 characters encode ``ts`` in milliseconds, like real ones."""
    value = ((ts * 1000) << 80) | (mix(ts, *salt) & _MASK80)
    # 26 Crockford characters: the low 130 bits, most significant first
    pairs = _PAIRS
    return "".join([pairs[(value >> s) & 1023] for s in _PAIR_SHIFTS])


def delivery_id(index: int, seed: int) -> str:
    """Base64-like delivery id; unique per index."""
    return binascii.b2a_base64(b"dlv:%d:%d" % (seed, index), newline=False).decode("ascii")


#: Bits per lane in ``mix_more_many``: a 64-bit lane value times a 64-bit constant stays inside its lane.
_LANE_BYTES = 16


def mix_more_many(states: list[int], v: int | None = None, values: list[int] | None = None) -> list[int]:
    """``[mix_more(s, v) for s in states]`` (or with ``values[k]`` for state ``k``), for a whole page at once.

    The states are packed into one big integer, 128 bits per lane, and each step of the round runs once on
    it in C instead of once per state in the interpreter: several times faster for pages of hundreds.
    """
    n = len(states)
    if n == 0:
        return []
    h = _pack(states)
    ones = _ones(n)
    mask = ones * _MASK64
    if values is not None:
        h ^= _pack(values)
    elif v is not None:
        h ^= ones * (v & _MASK64)
    h = h * 0xBF58476D1CE4E5B9 & mask
    h = ((h ^ (h >> 31)) & mask) * 0x94D049BB133111EB & mask
    h ^= (h >> 29) & mask
    return _unpack(h, n)


_ONES: dict[int, int] = {}


def _ones(n: int) -> int:
    """The integer with a 1 at the bottom of each of ``n`` lanes."""
    found = _ONES.get(n)
    if found is None:
        if len(_ONES) > 64:
            _ONES.clear()
        found = _ONES[n] = int.from_bytes(b"\x01" + bytes(_LANE_BYTES - 1), "little") * sum(
            1 << (8 * _LANE_BYTES * k) for k in range(n)
        )
    return found


def _pack(values: list[int]) -> int:
    lanes = array("Q", bytes(_LANE_BYTES * len(values)))
    try:
        lanes[0::2] = array("Q", values)
    except OverflowError:  # like mix(): negative or wider values count by their low 64 bits
        lanes[0::2] = array("Q", [v & _MASK64 for v in values])
    if sys.byteorder != "little":
        lanes.byteswap()
    return int.from_bytes(lanes.tobytes(), "little")


def _unpack(h: int, n: int) -> list[int]:
    lanes = array("Q", h.to_bytes(_LANE_BYTES * n, "little"))
    if sys.byteorder != "little":
        lanes.byteswap()
    return lanes[0::2].tolist()
