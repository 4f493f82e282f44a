"""The lists tables fan out over, resolved from their declarations (`reads.Parents`) once per run.

One `ParentLists` serves one run and reads each list at most once, so tables loaded together share a list, and
a table that is itself a list reads it through here too, a list read per parent (each broadcast's triggers) as
well. A list too large for memory (`on_disk`) lives in a `KeySet`, and its other identifiers (`alias_fields`)
each in a `KeyMap` to the parent id, filled by the same read, with the ids of the records lacking the first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from omniload.arrow import coerce
from omniload.disk_sets import KeyMap, KeySet
from omniload.errors import NotFound
from omniload.source import Page, Row
from omniload.sources.rest.pager import Pager
from omniload.sources.rest.reads import Endpoint, Listing, Parents, PerParent, RestCatalog, RestTable

log = logging.getLogger("omniload")


@dataclass(frozen=True)
class Parent:
    """A fan-out parent: `fields` fill the path and are set on every row; `created` anchors time ranges."""

    fields: Mapping[str, Any]
    created: int | None = None

    def describe(self) -> str:
        """The parent in a warning: `list_id 3, item_id 7`."""
        return ", ".join(f"{key} {value}" for key, value in self.fields.items())


@dataclass
class ParentLists:
    pager: Pager
    catalog: RestCatalog
    _lists: dict[str, list[Row]] = field(default_factory=dict)  # by endpoint and query, or by table name
    _on_disk: dict[str, KeySet] = field(default_factory=dict)
    _aliases: dict[tuple[str, str], KeyMap] = field(default_factory=dict)  # (list, field): alias → parent id
    _lacking: dict[str, KeySet] = field(default_factory=dict)  # ids of a list's records lacking its first alias
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def list_table(self, table: RestTable) -> Iterator[Page]:
        """Every page of a listed table; a table that is an on-disk parent list fills that list as it goes."""
        assert isinstance(table.read, Listing)
        filling = next(
            (p for p in self.catalog.on_disk if p.table == table.name and p.name not in self._on_disk), None
        )
        found = _OnDisk(filling) if filling else None
        shared = table.name in self.catalog.shared_tables
        for endpoint in table.read.endpoints:
            for page in [self.listing(endpoint)] if shared else self.pager.pages(endpoint):
                rows = shaped_rows(table, page, None)
                if found:
                    found.add(rows)
                yield rows
        if found:  # only once complete: a read stopped half-way leaves no list
            name = found.declared.name
            self._aliases.update({(name, alias): links for alias, links in found.aliases.items()})
            self._lacking[name] = found.lacking
            self._on_disk[name] = found.keys

    def parents(self, name: str) -> Iterable[Parent]:
        """Every parent of a declared list, in the order the API returned them."""
        declared = self.catalog.parent_list[name]
        if declared.on_disk:  # made one at a time: a million Parent objects would cost 300 MB
            return (Parent({declared.key: value}) for value in self.on_disk(name))
        if declared.within:
            return self._nested(declared)
        if declared.values:
            return [Parent({declared.key: value}) for value in declared.values]
        found = (_parent(declared, record) for record in self._records(declared))
        return list({tuple(p.fields.values()): p for p in found if p is not None}.values())  # listed once each

    def fanned(self, table: RestTable) -> list[Row]:
        """Every row of a table read per parent that is itself a parent list (a broadcast's triggers), read once
        per run and shared with the table: one read per parent, whose fields are set on its rows; a parent gone
        since it was listed (404) is skipped with a warning."""
        with self._lock:
            cached = self._lists.get(table.name)
        if cached is None:
            read = table.read
            assert isinstance(read, PerParent)
            cached = []
            for parent in self.parents(read.parent):
                try:
                    cached += [
                        row
                        for page in self.pager.pages(read.endpoint, parent.fields)
                        for row in shaped_rows(table, page, parent)
                    ]
                except NotFound:
                    log.warning("%s: %s answered 404 (deleted mid-run?); skipped", table.name, parent.describe())
            with self._lock:
                self._lists[table.name] = cached
        return cached

    def on_disk(self, name: str) -> KeySet:
        """The ids of a list kept on disk, read through its table the first time they are asked for."""
        if name not in self._on_disk:
            for _ in self.list_table(self.catalog.table[self.catalog.parent_list[name].table or ""]):
                pass
        return self._on_disk[name]

    def aliases(self, name: str, alias: str) -> KeyMap:
        """The `alias` → parent id map of a list kept on disk (one of its `alias_fields`), read with its list."""
        self.on_disk(name)
        return self._aliases[name, alias]

    def lacking(self, name: str) -> KeySet:
        """The ids of a list kept on disk whose records lack its first alias (the people without an `id`)."""
        self.on_disk(name)
        return self._lacking[name]

    def listing(self, endpoint: Endpoint) -> list[Row]:
        """A small parent list, read once per run and shared by every table that needs it."""
        key = endpoint.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(endpoint.params.items()))  # hidden=…
        with self._lock:
            cached = self._lists.get(key)
        if cached is None:
            cached = [row for page in self.pager.pages(endpoint) for row in page]
            with self._lock:
                self._lists[key] = cached
        return cached

    def _records(self, declared: Parents) -> list[Row]:
        """The records of a listed table (every endpoint's: sender identities, hidden or not), or the rows of a
        table read per parent."""
        table = self.catalog.table[declared.table or ""]
        if isinstance(table.read, PerParent):
            return self.fanned(table)
        assert isinstance(table.read, Listing)
        return [row for endpoint in table.read.endpoints for row in self.listing(endpoint)]

    def _nested(self, declared: Parents) -> list[Parent]:
        """One parent per item of the outer list's records, keeping the outer fields."""
        outer = self.catalog.parent_list[declared.within or ""]
        pairs: dict[tuple[Any, ...], Parent] = {}
        for record in self._records(outer):
            parent = _parent(outer, record)
            if parent is None:
                continue
            for item in record.get(declared.items or "") or []:
                value = item.get(declared.id_field) if isinstance(item, dict) else item
                item_id = coerce(value, declared.id_type)
                if item_id is not None:
                    fields = {**parent.fields, declared.key: item_id}
                    pairs.setdefault(tuple(fields.values()), Parent(fields, parent.created))
        return list(pairs.values())


def shaped_rows(table: RestTable, records: list[Any], parent: Parent | None) -> Page:
    """Records → rows: the parent's fields set on each, then the table's shape (which may drop a record, or make
    several rows of one)."""
    rows: Page = []
    for record in records:
        row = record
        if parent:  # a record that is not an object (a trigger's error, a bare string) goes under `value`
            row = {**record, **parent.fields} if isinstance(record, dict) else {"value": record, **parent.fields}
        shaped = table.shape(row) if table.shape else row
        if isinstance(shaped, list):
            rows.extend(shaped)
        elif shaped is not None:
            rows.append(shaped)
    return rows


def _parent(declared: Parents, record: Row) -> Parent | None:
    if declared.id_field not in record:
        return None
    created = record.get(declared.created) if declared.created else None
    kept = {name: record.get(name) for name in declared.keep}
    return Parent({**kept, declared.key: coerce(record.get(declared.id_field), declared.id_type)}, created)


@dataclass
class _OnDisk:
    """An on-disk list as its pages go by: its ids, a map per alias field (each filled only from the records
    lacking the fields before it), and the ids of the records lacking the first."""

    declared: Parents
    keys: KeySet = field(default_factory=KeySet)
    aliases: dict[str, KeyMap] = field(init=False)
    lacking: KeySet = field(default_factory=KeySet)

    def __post_init__(self) -> None:
        self.aliases = {alias: KeyMap() for alias in self.declared.alias_fields}

    def add(self, rows: Page) -> None:
        id_field = self.declared.id_field
        self.keys.add_new([row[id_field] for row in rows])
        for index, alias in enumerate(self.declared.alias_fields):
            named = [row for row in rows if row.get(alias) not in (None, "")]
            self.aliases[alias].update((str(coerce(row[alias], str)), str(row[id_field])) for row in named)
            rows = [row for row in rows if row.get(alias) in (None, "")]
            if index == 0:
                self.lacking.add_new([row[id_field] for row in rows])
