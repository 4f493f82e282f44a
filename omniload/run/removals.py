"""Removing rows a source says are gone (people deleted or merged away, activities past the log's 30 days), and
marking the rows of keys a complete read no longer found (`_omniload_deleted_at`).

A nightly run reads part of a table (`source.Partial`), so the rows that vanished from the API would stay in the
destination; the source names them as `source.Removal`s (README "Nightly runs", docs/contract/customerio/
changes.md sections 2 and 4). They are applied through the destination's SQL client once the load that carries
them is committed, and kept in the run's state with it: a run killed between the two applies them again at its
next start (a removal applied twice changes nothing), so no cursor moves past rows that should be gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from omniload.source import Present, Removal

#: Values per DELETE statement: long IN lists stay well under every destination's statement size.
BATCH = 500


#: The column a row gets when its key vanished from a complete read of its table (`source.Present`).
DELETED_AT = "_omniload_deleted_at"


def to_state(removals: Iterable[Removal | Present]) -> list[dict[str, Any]]:
    """Removals and key sets as JSON-friendly dicts for the run's state."""
    return [
        {"present": list(r.keys), "key": r.key, "at": r.at}
        if isinstance(r, Present)
        else {"columns": list(r.columns), "values": [list(v) for v in r.values], "before": r.before}
        for r in removals
    ]


def from_state(saved: Iterable[Mapping[str, Any]]) -> list[Removal | Present]:
    return [
        Present(r["key"], tuple(r["present"]), int(r["at"]))
        if "present" in r
        else Removal(tuple(r["columns"]), tuple(tuple(v) for v in r.get("values") or ()), r.get("before"))
        for r in saved
    ]


def apply(pipeline: Any, table: str, removals: Iterable[Removal | Present]) -> int:
    """Delete the rows `removals` name from `table` of the pipeline's dataset, and mark or unmark the rows a
    `Present` speaks of, in one transaction; the number of statements run. A table that does not exist yet has
    nothing to remove."""
    removals = [r for r in removals if isinstance(r, Present) or r.values or r.before is not None]
    if not removals:
        return 0
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(table)
        try:
            client.execute_sql(f"SELECT 1 FROM {name} WHERE 1 = 0")
        except Exception:  # no such table (or dataset) yet: nothing of it to remove
            return 0
        statements = [sql for r in removals for sql in _statements(r, name, client.escape_column_name)]
        with client.begin_transaction():
            for sql in statements:
                client.execute_sql(sql)
    return len(statements)


def _statements(removal: Removal | Present, name: str, quote: Callable[[str], str]) -> Iterator[str]:
    if isinstance(removal, Removal):
        for where in _conditions(removal, quote):
            yield f"DELETE FROM {name} WHERE {where}"
        return
    key, mark = quote(removal.key), quote(DELETED_AT)
    at = datetime.fromtimestamp(removal.at, UTC).strftime("'%Y-%m-%d %H:%M:%S+00:00'")
    batches = [removal.keys[i : i + BATCH] for i in range(0, len(removal.keys), BATCH)]
    absent = " AND ".join(f"{key} NOT IN ({', '.join(map(_literal, batch))})" for batch in batches)
    yield f"UPDATE {name} SET {mark} = {at} WHERE {mark} IS NULL" + (f" AND {absent}" if absent else "")
    for batch in batches:
        present = ", ".join(map(_literal, batch))
        yield f"UPDATE {name} SET {mark} = NULL WHERE {mark} IS NOT NULL AND {key} IN ({present})"


def _conditions(removal: Removal, quote: Callable[[str], str]) -> Iterator[str]:
    """WHERE conditions covering a removal, `BATCH` values at a time."""
    columns = [quote(column) for column in removal.columns]
    if removal.before is not None:
        yield f"{columns[0]} < {int(removal.before)}"
    for start in range(0, len(removal.values), BATCH):
        batch = removal.values[start : start + BATCH]
        if len(columns) == 1:
            yield f"{columns[0]} IN ({', '.join(_literal(v[0]) for v in batch)})"
        else:
            yield " OR ".join(
                "(" + " AND ".join(f"{c} = {_literal(v)}" for c, v in zip(columns, row, strict=True)) + ")"
                for row in batch
            )


def _literal(value: Any) -> str:
    """A SQL literal for an id: numbers as they are, everything else a quoted string."""
    if isinstance(value, bool):
        raise TypeError("a removal names ids, not booleans")
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
