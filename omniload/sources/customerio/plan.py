"""`omniload ingest --plan` for Customer.io: what each table's read will cost, from the catalog's declarations, the
cheap parent lists and the counts the API gives (README "A plan before the run").

The plan reads the small lists that tables fan out over (campaigns, broadcasts, newsletters, transactional
messages, segments, collections, object types, and the actions inside campaigns and broadcasts) through one
run's `ParentLists`, so each is read once, and counts the requests each took; where the catalog names a count
(a segment's customer count), it reads that too, once per parent. It never reads the people listing
(a request per 1,000 people, and Customer.io gives no count of people) nor the delivery and activity passes
(docs/contract/customerio/tables.md section 5): a table whose cost grows with those is unknown, and its note gives
the rule its cost follows. Like a run, the first table that needs a list pays for reading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from omniload.errors import NotFound
from omniload.source import Estimate, TableRequest
from omniload.sources.customerio.catalog import (
    CATALOG,
    PARENT_LISTS,
    PASS_READS,
    Batched,
    Budgeted,
    Contents,
    Feed,
    FromPass,
    Listing,
    Metrics,
    Parents,
    PerParent,
    Table,
    Usage,
)
from omniload.sources.customerio.changes import ChangeFeed
from omniload.sources.customerio.engine import Reader, budget_memory
from omniload.sources.customerio.passes import WINDOW_SECONDS, windows
from omniload.sources.rest.pager import fill
from omniload.sources.rest.parents import Parent

Request = TableRequest[Table]


def plan(requests: list[Request], reader: Reader) -> list[Estimate]:
    """One estimate per request, in their order. Tables fed by a pass are estimated last, so the parent lists a
    delivery pass reads for its windows are counted by the tables that are those lists. Tables the change feed
    refreshes are estimated as the night will read them (`Nightly`)."""
    planner, nightly = Planner(reader), Nightly(reader)
    nightly.read(requests)
    ordered = sorted(requests, key=lambda r: isinstance(r.table.read, FromPass))
    estimates = {id(request): nightly.estimate(request, planner.estimate(request)) for request in ordered}
    return [estimates[id(request)] for request in requests]


@dataclass
class Nightly:
    """The change feed's part of a plan (README "Nightly runs"): where a table has a watermark, the plan reads the
    change pass as the run would (the people listing and the activity pages since the watermark) and gives what
    the night costs beside the full read it replaces; otherwise it says why the table reads whole."""

    reader: Reader
    feed: ChangeFeed = field(init=False)
    pass_requests: int = 0  # the change pass's pages: counted once, by the first table refreshed from it

    def __post_init__(self) -> None:
        reader = self.reader
        self.feed = ChangeFeed(reader.pager, reader.parents, reader.now, reader.full_refresh_days)

    def read(self, requests: list[Request]) -> None:
        """The change pass, as the run reads it; the rows the log tables would take are sorted as the run would,
        to count those that name no person."""
        self.feed.decide(requests)
        if self.feed.needed(requests):
            before = self.reader.http.stats.requests
            logs = [r.table for r in requests if self.feed.logs(r)]
            members = [self.reader.passes.members(table) for table in logs]
            for page in self.feed.pass_pages(requests):
                for table, allowed in zip(logs, members, strict=True):
                    self.reader.passes.rows(table, page, allowed)
            self.pass_requests = self.reader.http.stats.requests - before

    def estimate(self, request: Request, whole: Estimate) -> Estimate:
        """The night's estimate of a feed table, or the full read's with the reason it reads whole."""
        feed = request.table.feed
        reason = self.feed.reason(request) if feed is not None else ""
        if feed is None or feed is Feed.GONE and not reason:
            return whole
        if reason:
            return replace(whole, note=f"{whole.note}; full read: {reason}")
        people = len(self.reader.parents.on_disk("people"))
        spent, self.pass_requests = self.pass_requests, 0
        if feed is Feed.LOG:
            unnamed = self.reader.passes.unnamed_cost(request.table)
            note = f"nightly: the change pass ({spent} pages since the watermark, read by the plan)"
            if unnamed:
                note += f", then at most {unnamed:,} for rows that name no person: {_unnamed_rule(self.reader)}"
            return Estimate(request.load_name, spent + unnamed, note=note)
        changed = len(self.feed.changes.people(feed))
        night, full = (-(-changed // 100), -(-people // 100)) if feed is Feed.ATTRIBUTES else (changed, people)
        typed = f" ({len(self.feed.types)} change types, a typed read each)" if self.feed.types else ""
        pass_note = f" and {spent} for the change pass{typed}" if spent else ""
        return Estimate(
            request.load_name,
            night + spent,
            note=f"nightly: {changed:,} of {people:,} people changed since the watermark: {night:,} requests"
            f"{pass_note}, against {full:,} for the full read it replaces",
        )


@dataclass
class Planner:
    """One plan's estimates, reading the parent lists through `reader` (once each, shared with its passes)."""

    reader: Reader

    def estimate(self, request: Request) -> Estimate:
        read = request.table.read
        if isinstance(read, FromPass):
            return Estimate(request.load_name, None, note=self._pass_rule(read))
        if isinstance(read, Budgeted):
            return self._budgeted(request, read)
        if isinstance(read, Listing):
            return self._listing(request, read)
        if isinstance(read, Batched) or PARENT_LISTS[read.parent].on_disk:
            return Estimate(request.load_name, None, note=_per_member_rule(read))
        return self._fan_out(request, read)

    def _budgeted(self, request: Request, read: Budgeted) -> Estimate:
        """A budgeted read costs the listing pages it walks and what is left of today's allowance, from the
        table's memory (docs/contract/customerio/extra-tables.md, message_contents)."""
        spent, _ = budget_memory(request.memory, self.reader.now)
        daily = min(read.per_day, self.reader.contents_per_day)
        left = max(0, daily - spent)
        note = f"{left} of today's {daily} archived-message requests left, newest deliveries first, after listing"
        return Estimate(request.load_name, left + 1, at_least=True, note=note)

    def _fan_out(self, request: Request, read: PerParent | Metrics | Contents | Usage) -> Estimate:
        """The list (where this plan reads it first), then a request per parent: a floor where a parent's records
        may span pages, unless the API counts them (`PerParent.count`)."""
        parents, listed = self._parents(read.parent)
        each = f"per {_singular(read.parent)} ({len(parents)})"
        requests, at_least, rule = len(parents), False, f"one request {each}"
        if isinstance(read, PerParent) and read.count:
            requests, records = self._counted_pages(read, parents)
            page = f"{read.endpoint.limit or 1:,} a page"
            rule = f"one read {each}, {records:,} {read.endpoint.records} by the API's counts, {page}"
        elif isinstance(read, PerParent):
            at_least, rule = True, f"one read {each}, more where one spans pages"
        outer = PARENT_LISTS[read.parent].within or read.parent
        note = f"{listed} to list {outer.replace('_', ' ')}, then {rule}" if listed else rule
        return Estimate(request.load_name, listed + requests, at_least=at_least, note=note)

    def _counted_pages(self, read: PerParent, parents: list[Parent]) -> tuple[int, int]:
        """The pages of every parent, from the count the API gives of each (`PerParent.count`), at least one
        each: an empty parent still answers one empty page. Also the records counted in all."""
        counts = [self._count(fill(read.count or "", parent.fields)) for parent in parents]
        limit = read.endpoint.limit or 1
        return sum(max(1, -(-count // limit)) for count in counts), sum(counts)

    def _count(self, path: str) -> int:
        """A parent's count; a parent deleted since it was listed has none (its read will answer 404 too)."""
        try:
            body = self.reader.http.get(path)
        except NotFound:
            return 0
        count = body.get("count") if isinstance(body, dict) else None
        return count if isinstance(count, int) else 0

    def _listing(self, request: Request, read: Listing) -> Estimate:
        """A parent list is read now and costs the pages it took; the people listing is unknown; any other
        listing is not read ahead and costs a request per endpoint, more where the endpoint pages."""
        table = request.table
        if table.name in self.reader.catalog.shared_tables:
            before = self._sent()
            rows = sum(len(self.reader.parents.listing(endpoint)) for endpoint in read.endpoints)
            sent = self._sent() - before
            note = f"{rows} rows, read by the plan" if sent else "read already for a table before it"
            return Estimate(request.load_name, sent, note=note)
        on_disk = next((p for p in self.reader.catalog.on_disk if p.table == table.name), None)
        if on_disk:
            return Estimate(request.load_name, None, note=f"{_listing_rule(on_disk)}; {_no_count(on_disk.name)}")
        paged = any(endpoint.limit for endpoint in read.endpoints)
        note = "one request a page, not read ahead" if paged else "one request, not read ahead"
        if read.detail and self.reader.details:  # a request per record, which the plan cannot count
            note += f", then one request per {read.detail.records} for its detail"
            return Estimate(request.load_name, None, note=note)
        return Estimate(request.load_name, len(read.endpoints), at_least=paged, note=note)

    def _parents(self, name: str) -> tuple[list[Parent], int]:
        """A cheap parent list and the requests reading it took now: none when this run's plan read it already."""
        before = self._sent()
        parents = list(self.reader.parents.parents(name))
        return parents, self._sent() - before

    def _pass_rule(self, read: FromPass) -> str:
        """How a pass's cost grows: a request per page of records, in time windows from the oldest parent."""
        workspace_pass = PASS_READS[read.name]
        endpoint = workspace_pass.endpoint
        rule = f"one request per {endpoint.limit or 1:,} {endpoint.records}"
        if workspace_pass.windows_from:
            start = self.reader.passes.earliest_parent(workspace_pass)
            count = sum(1 for _ in windows(start, self.reader.now))
            since = datetime.fromtimestamp(start, UTC).date().isoformat()
            rule += f", in {count} windows of {WINDOW_SECONDS // 86400} days since {since} (at least one each)"
        if read.member_of and PARENT_LISTS[read.member_of].on_disk:
            rule += f", after {_listing_rule(PARENT_LISTS[read.member_of])}"
        rule = f"{rule}; {_no_count(endpoint.records)}; one read for every table it feeds"
        return f"{rule}; {_unnamed_rule(self.reader)}" if read.unnamed else rule

    def _sent(self) -> int:
        return self.reader.http.stats.requests


def _listing_rule(on_disk: Parents) -> str:
    """The cost of listing an on-disk parent list (the people, docs/contract/customerio/tables.md 4.13)."""
    read = CATALOG[on_disk.table or ""].read
    assert isinstance(read, Listing)
    return f"listing the {on_disk.name}: one request per {read.endpoints[0].limit or 1:,}"


def _per_member_rule(read: PerParent | Batched | Metrics | Contents | Usage) -> str:
    """A read over an on-disk list: a request per batch of members, or at least one per member."""
    on_disk = PARENT_LISTS[read.parent]
    each = f"one request per {read.size}" if isinstance(read, Batched) else "at least one request for each"
    return f"{each} of the {on_disk.name}, after {_listing_rule(on_disk)}; {_no_count(on_disk.name)}"


def _unnamed_rule(reader: Reader) -> str:
    """The cost of the rows that name no person (docs/contract/customerio/changes.md section 5)."""
    return (f"rows naming no person, nor the email of one without an id, cost a read of each person without an "
            f"id, at most {reader.unnamed_budget:,} requests for this table (unnamed_budget)")


def _no_count(what: str) -> str:
    return f"Customer.io gives no count of {what}"


def _singular(name: str) -> str:
    """A list's name for one of its members: `sender_identities` → `sender identity`."""
    words = name.replace("_", " ")
    return words[:-3] + "y" if words.endswith("ies") else words.removesuffix("s")
