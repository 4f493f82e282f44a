"""A set of record keys, and a map of keys, that live on disk, so a run's memory does not grow with a
workspace's people.

A run needs sets as large as a table in two places: the keys already loaded, for the tables whose pages may
repeat records (de-duplicated within the run), and the people themselves, whom several tables fan out over.
It needs one map as large: a second identifier of each person → the key the tables fan out over, for the
records that name their person only by that identifier. Held in Python, a million people cost over 100 MB;
here they cost SQLite's page cache (2 MB). A page's keys are looked up in one query, so a million keys take
about two seconds, against the minutes the API needs to return them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

_CHUNK = 900  # host parameters per statement: under the 999 of older SQLite builds


class KeySet:
    """Keys in the order first added. Keys are str, int or tuples of them; they are stored as JSON."""

    def __init__(self) -> None:
        self._db = _temporary("CREATE TABLE keys (key BLOB UNIQUE)")
        self._lock = threading.Lock()

    def add_new(self, keys: Sequence[Any]) -> list[bool]:
        """Add `keys`; for each, whether it was new (a key repeated within `keys` is new only the first time)."""
        encoded = [_encode(key) for key in keys]
        with self._lock:
            known = self._known(encoded)
            new: dict[bytes, None] = {}
            flags = []
            for key in encoded:
                fresh = key not in known and key not in new
                if fresh:
                    new[key] = None
                flags.append(fresh)
            self._db.executemany("INSERT INTO keys VALUES (?)", ((key,) for key in new))
        return flags

    def intersection(self, keys: Iterable[Any]) -> set[Any]:
        """The given keys that are in the set (the same question a Python set answers by this name)."""
        wanted = {_encode(key): key for key in keys}
        with self._lock:
            return {wanted[key] for key in self._known(list(wanted))}

    def batches(self, size: int) -> Iterator[list[Any]]:
        """Every key, `size` at a time, in the order added."""
        last = 0
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT rowid, key FROM keys WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, size)
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [_decode(key) for _, key in rows]

    def sorted_after(self, after: Any, size: int) -> Iterator[list[Any]]:
        """Every key greater than `after` (None: every key), `size` at a time, in the order of their encoded
        form: an order that does not depend on the order they were added in."""
        last = None if after is None else _encode(after)
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT key FROM keys WHERE ? IS NULL OR key > ? ORDER BY key LIMIT ?", (last, last, size)
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [_decode(key) for (key,) in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM keys").fetchone()[0])

    def __iter__(self) -> Iterator[Any]:
        for batch in self.batches(1000):
            yield from batch

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _known(self, encoded: list[bytes]) -> set[bytes]:
        return {row[0] for row in _select(self._db, "SELECT key FROM keys WHERE key IN ({})", encoded)}


class KeyMap:
    """Text keys mapped to text values (identifiers, so stored as they are). A key added again keeps its first
    value."""

    def __init__(self) -> None:
        self._db = _temporary("CREATE TABLE pairs (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID")
        self._lock = threading.Lock()

    def update(self, pairs: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO pairs VALUES (?, ?)", pairs)

    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        """The value of each given key that is in the map (one query per 900 keys)."""
        with self._lock:
            return dict(_select(self._db, "SELECT key, value FROM pairs WHERE key IN ({})", list(set(keys))))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _temporary(schema: str) -> sqlite3.Connection:
    # "" is a private temporary database: spilled to a file SQLite deletes when the connection closes
    db = sqlite3.connect("", check_same_thread=False)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute(schema)
    return db


def _select(db: sqlite3.Connection, query: str, encoded: Sequence[bytes | str]) -> list[Any]:
    """The rows of `query`, whose `{}` takes the placeholders of `encoded`, sent a chunk of keys at a time."""
    rows: list[Any] = []
    for start in range(0, len(encoded), _CHUNK):
        chunk = encoded[start : start + _CHUNK]
        rows += db.execute(query.format(", ".join("?" * len(chunk))), chunk).fetchall()
    return rows


def _encode(key: Any) -> bytes:
    return orjson.dumps(key)


def _decode(stored: bytes) -> Any:
    value = orjson.loads(stored)
    return tuple(value) if isinstance(value, list) else value
