"""What a REST source declares, as typed data: the endpoints it reads, how each table is read from them, and the
lists its tables fan out over.

A source built on the REST layer (README "Adding a source") is mostly a table of these declarations: a table is
an `omniload.source.TableSpec` plus its read (`Listing`, `PerParent`, `Batched`, `Contents`, or a read of the
source's own, a `SourceRead`), the rule that shapes a record into a row, and whether pages may repeat records.
The parent lists are declared once (`Parents`), the way dlt's rest_api names a parent resource's field in a
child's path, and resolved once per run by `parents.py`. Nothing here reads anything: `reader.py` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from omniload.source import TableSpec
from omniload.sources.rest.paginators import PAGINATORS, Paginator

#: A record's row, None to drop it, or several rows where one record holds several (a person's opt-outs).
Shape = Callable[[dict[str, Any]], dict[str, Any] | list[dict[str, Any]] | None]
#: An endpoint's paging: a paginator, or the name of a common one (`paginators.PAGINATORS`).
Paging = Paginator | Literal["cursor", "offset", "page", "none"]


@dataclass(frozen=True)
class Endpoint:
    """One API read. `path` may name parent fields (`{parent_id}`); `records` is the key of the body holding the
    rows; `limit` is the page size asked for (None: the API's own, which `--page-size` cannot change);
    `paging` how the next page is asked for; `body` the JSON a POST sends, fixed or made from a parent's fields;
    `window` the query parameters of exclusive server-side bounds on the table's incremental key (`updated_after`,
    `updated_before`), sent when a run has an interval."""

    path: str
    records: str
    method: Literal["GET", "POST"] = "GET"
    limit: int | None = None
    paging: Paging = "cursor"
    params: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    window: tuple[str, str] | None = None

    @property
    def paginator(self) -> Paginator:
        return PAGINATORS[self.paging] if isinstance(self.paging, str) else self.paging


@dataclass(frozen=True)
class Listing:
    """Every page of one endpoint, or of several whose union is the table.

    `detail`: each record's own read (its `path` names record fields, `records` the key of the answer's object),
    whose fields join the record's row; a request per record, so made only when the run asks for details (the
    reader's `details`)."""

    endpoints: tuple[Endpoint, ...]
    detail: Endpoint | None = None


@dataclass(frozen=True)
class PerParent:
    """One read per parent; the parent's fields fill the path and are set on every row.

    `count`: a path where the API gives a parent's number of records cheaply (a body `{"count": N}`), which a
    plan may read to count the pages of each parent.
    """

    parent: str
    endpoint: Endpoint
    count: str | None = None


@dataclass(frozen=True)
class Batched:
    """Parents sent `size` at a time in one POST body, as a list under `ids_key`."""

    parent: str
    endpoint: Endpoint
    size: int
    ids_key: str = "ids"


@dataclass(frozen=True)
class Contents:
    """The response itself is the records, one read per parent: an array gives a row per element, an object
    one row; each row is `{<parent key>, item_index, item}` (for answers whose items' fields vary)."""

    parent: str
    path: str


class SourceRead:
    """The base of a read only one source has (periods of metrics, a pass that feeds several tables): the
    source's `RestReader` subclass reads it (`RestReader.own_pages`, `RestReader.shared_read`)."""


Read = Listing | PerParent | Batched | Contents | SourceRead


@dataclass(frozen=True, kw_only=True)
class RestTable(TableSpec):
    """A table of a REST source: the core's `TableSpec` plus how it is read and shaped."""

    read: Read
    shape: Shape | None = None
    dedupe: bool = False  # pages may repeat records: keep each primary key once


@dataclass(frozen=True, kw_only=True)
class Parents:
    """A list other tables fan out over.

    A top-level list is the rows of the table `table` (read once per run and shared with that table); each
    parent is a record's `id_field`, brought to `id_type`, under the name `key` (the path placeholder and the
    field set on every child row); `created` is the record field that anchors the parent's time ranges.
    A nested list (`within`) takes each item of the `items` array of another list's records, keeping that
    list's fields; an item that is not an object is the id itself. A fixed list (`values`) is given here, not
    read. `on_disk`: a list too large for memory (every person of an account), kept in a key set; tables read
    over it go in chunks a killed run resumes after. `alias_fields`: other identifiers of an on-disk list's
    records, each kept on disk as alias → parent id for records that name their parent only by it; a later one
    only for records lacking the earlier ones (a person named by email has no `id`), and the ids of the records
    lacking the first are kept too (`ParentLists.lacking`: the people without an `id`). A list whose
    table is itself read per parent is read once per run too, and `keep` names the record fields its parents
    carry beside their id (the outer id a nested path also needs).
    """

    name: str
    key: str
    table: str | None = None
    within: str | None = None
    items: str | None = None
    id_field: str = "id"
    id_type: type = int
    created: str | None = None
    on_disk: bool = False
    alias_fields: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestCatalog:
    """A source's declarations as one value the REST reader is built with: its tables, the lists they fan out
    over, and the page-size maxima the API documents per endpoint path (`--page-size` above one is refused)."""

    tables: Sequence[RestTable]
    parents: Sequence[Parents] = ()
    page_maxima: Mapping[str, int] = field(default_factory=dict)

    @cached_property
    def table(self) -> Mapping[str, RestTable]:
        return {table.name: table for table in self.tables}

    @cached_property
    def parent_list(self) -> Mapping[str, Parents]:
        return {parents.name: parents for parents in self.parents}

    @cached_property
    def shared_tables(self) -> frozenset[str]:
        """Tables whose rows are an in-memory parent list: read once, whichever table asks first."""
        return frozenset(p.table for p in self.parents if p.table and not p.on_disk)

    @cached_property
    def on_disk(self) -> tuple[Parents, ...]:
        """Lists too large for memory, filled while their table is read; their tables are read first."""
        return tuple(p for p in self.parents if p.on_disk)


def paged_endpoints(read: Read) -> tuple[Endpoint, ...]:
    """The endpoints a read pages through with a `limit` the client chooses (`--page-size` sets it); batched
    bodies and whole answers are not paged by size, and a source's own reads say theirs themselves."""
    if isinstance(read, Listing):
        endpoints = read.endpoints
    elif isinstance(read, PerParent):
        endpoints = (read.endpoint,)
    else:
        endpoints = ()
    return tuple(endpoint for endpoint in endpoints if endpoint.limit)
