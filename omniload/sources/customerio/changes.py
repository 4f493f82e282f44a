"""The change feed: nightly runs that cost what changed (docs/contract/customerio/changes.md, README "Nightly
runs").

The App API has no "changed since" filter for people, but its activity log records each change. One read of
`GET /v1/activities`, newest first, from now back past the stored watermark, names the people whose attributes
or relationships changed, who was created, deleted or merged away, and which objects went. The per-person
tables then re-read only those people (`source.Partial`) and the rows of people gone are removed
(`source.Removal`), on any table the catalog marks with a `Feed`. The same read feeds `activities` and
`customer_activities`, so they cost nothing more. A table reads whole, saying why in one line, whenever the log
cannot vouch for every change (changes.md section 3).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from omniload.source import Interval, Page, Partial, Removal, Row, Strategy, TableRequest
from omniload.sources.customerio.catalog import PASS_READS, Feed, Table
from omniload.sources.customerio.passes import cio_id_of, person_id_of
from omniload.sources.rest.pager import Pager
from omniload.sources.rest.parents import ParentLists

log = logging.getLogger("omniload")

DAY = 86400
#: A table's memory (`TableRequest.memory`): the time the table was last brought up to date through, and the
#: time it was last read whole.
WATERMARK, FULL_AT = "watermark", "full_at"
#: Events can be backdated (imports): the pass stops only after a whole page lies below watermark - overlap.
OVERLAP = DAY
#: The log keeps 30 days; a watermark older than this margin cannot be trusted to find every change.
LOG_DAYS, MAX_WATERMARK_DAYS = 30, 28
#: The tables re-read per person, and the tables the log itself feeds.
PER_PERSON = (Feed.ATTRIBUTES, Feed.RELATIONSHIPS, Feed.PREFERENCES)
#: The activities that change a person's subscription preferences (issue 20): an unsubscribe of any kind, and an
#: attribute change of the attribute that holds the preferences.
UNSUBSCRIBE_TYPES = re.compile(r"^(unsubscribed_[a-z_]+|topic_unsubscribed_email)$")
PREFERENCES_ATTRIBUTE = "cio_subscription_preferences"
RELATIONSHIP_TYPES = re.compile(r"^(add_relationship|delete_relationship|relationship_attribute_change"
                                r"|_o:[^:]+:(add|delete)_relationship|_r:[^:]+:(relationship_)?attribute_change)$")
OBJECT_DELETE = re.compile(r"^_o:(?P<type_id>[^:]+):delete$")
SHORT_LOG = "the activity log did not reach back to the watermark (overlap not proven)"
#: The change types each feed needs, read one typed pass each when the run loads no activity table (changes.md
#: section 1, the OpenAPI `listActivities` type enum); `{t}` stands for each object type's id. The `_r:` change
#: is read in both of its spellings (the OpenAPI's and the `relationship_` one the log also writes).
PEOPLE_CHANGES = ("profile_create", "profile_merge", "profile_delete")
TYPED: dict[Feed, tuple[str, ...]] = {
    Feed.ATTRIBUTES: ("attribute_change", "device_change", *PEOPLE_CHANGES),
    Feed.RELATIONSHIPS: (
        "add_relationship", "delete_relationship", "relationship_attribute_change", *PEOPLE_CHANGES,
        "_o:{t}:add_relationship", "_o:{t}:delete_relationship", "_r:{t}:attribute_change",
        "_r:{t}:relationship_attribute_change", "_o:{t}:delete",
    ),
    Feed.PREFERENCES: (
        "attribute_change", "unsubscribed_email", "unsubscribed_action", "topic_unsubscribed_email",
        *PEOPLE_CHANGES,
    ),
    Feed.GONE: ("profile_merge", "profile_delete"),
}  # fmt: skip


@dataclass
class Changes:
    """What the log says changed since the watermark: people by cio_id, objects by (type id, object id)."""

    attributes: set[str] = field(default_factory=set)
    relationships: set[str] = field(default_factory=set)
    preferences: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    objects_gone: set[tuple[str, str]] = field(default_factory=set)

    def note(self, record: Row, person: str | None) -> None:
        """One activity record, per the table of changes.md section 1."""
        kind = str(record.get("type") or "")
        data = record.get("data") if isinstance(record.get("data"), dict) else {}
        assert isinstance(data, dict)
        if deleted := OBJECT_DELETE.match(kind):
            object_id = data.get("object_id", data.get("id"))
            if object_id is not None:
                self.objects_gone.add((deleted["type_id"], str(object_id)))
            return
        if person is None:
            return
        if kind in ("attribute_change", "device_change"):
            self.attributes.add(person)
            if kind == "attribute_change" and PREFERENCES_ATTRIBUTE in data:
                self.preferences.add(person)
        elif UNSUBSCRIBE_TYPES.match(kind):
            self.preferences.add(person)
        elif kind in ("profile_create", "profile_merge"):
            self.attributes.add(person)
            self.relationships.add(person)
            self.preferences.add(person)
            if kind == "profile_merge" and data.get("merged_cio_id"):
                self.gone.add(str(data["merged_cio_id"]))
        elif kind == "profile_delete":
            self.gone.add(person)
        elif RELATIONSHIP_TYPES.match(kind):
            self.relationships.add(person)

    def people(self, feed: Feed) -> set[str]:
        """The people a per-person table re-reads: changed and still there."""
        by_feed = {Feed.ATTRIBUTES: self.attributes, Feed.PREFERENCES: self.preferences}
        changed = by_feed.get(feed, self.relationships)
        return changed - self.gone


@dataclass
class ChangeFeed:
    """One run's change pass and the decisions it drives: which feed tables read part, which read whole."""

    pager: Pager
    parents: ParentLists
    now: int
    full_refresh_days: int
    changes: Changes = field(default_factory=Changes)
    ran: bool = False  # the pass was read this run
    types: list[str] = field(default_factory=list)  # the change types it read, one typed pass each; [] untyped
    read: bool = False  # ... and proved it reached back past the watermark
    _whole: dict[str, str] = field(default_factory=dict)  # load_name → why it reads whole

    def decide(self, requests: Iterable[TableRequest[Table]]) -> None:
        """Each feed table's mode from its memory alone (changes.md section 3, rules 1, 2 and 5)."""
        for request in requests:
            if request.table.feed is not None:
                reason = self._whole_reason(request)
                if reason:
                    self._whole[request.load_name] = reason

    def needed(self, requests: Iterable[TableRequest[Table]]) -> bool:
        return any(self._refreshes(r) for r in requests)

    def since(self, requests: Iterable[TableRequest[Table]]) -> int:
        """Where the pass must reach back to: the oldest watermark of the tables it refreshes, less the overlap."""
        return min(int((r.memory or {})[WATERMARK]) for r in requests if self._refreshes(r)) - OVERLAP

    def budget(self, requests: Iterable[TableRequest[Table]]) -> int:
        """What the full read of the per-person tables refreshed from the pass would cost (changes.md section 3,
        rule 4): a batch of 100 people for attributes, a request a person for relationships; at least the
        people listing's hundredth, for a pass that only finds who is gone."""
        people = len(self.parents.on_disk("people"))
        cost = {Feed.ATTRIBUTES: -(-people // 100), Feed.RELATIONSHIPS: people, Feed.PREFERENCES: people}
        per_person = sum(cost[r.table.feed] for r in requests if self.takes_part(r) and r.table.feed in cost)
        return max(per_person, -(-people // 100), 1)

    def pass_pages(self, requests: list[TableRequest[Table]]) -> Iterator[Page]:
        """The change pass: every page of the log, newest first, until a whole page lies below the watermark
        less the overlap; its changes noted. A run that loads no activity table reads only the change types its
        tables need, a typed pass each (`types`). Stops early (the feed then unproven) once it costs more than
        the full read it replaces, unless a table takes its rows from it."""
        self.ran = True
        since, budget, spent = self.since(requests), self.budget(requests), 0
        keeps_reading = any(self.logs(r) for r in requests)
        self.types = [] if keeps_reading else self._types(requests)
        passes: list[str | None] = [*self.types] if self.types else [None]  # None: the untyped pass
        for kind in passes:
            reached = False
            params = {"type": kind} if kind else None
            for page in self.pager.pages(PASS_READS["activities"].endpoint, extra_params=params):
                spent += 1
                self._note(page)
                yield page
                if page and all(_timestamp(record) < since for record in page):
                    reached = True
                    break
                if spent >= budget and not keeps_reading:
                    dearer = f"the change pass would cost more than the full read ({budget:,} requests)"
                    self._unproven(requests, dearer)
                    return
            if not reached and kind is None:  # a typed pass at its end has read every record of its type
                self._unproven(requests, SHORT_LOG)
                return
        self.read = True
        if self.types:
            log.info("change pass: %d change types, a typed read each (the run loads no activity table): %d "
                     "requests", len(self.types), spent)

    def _types(self, requests: list[TableRequest[Table]]) -> list[str]:
        """The change types the refreshed tables need, each once, with `{t}` made each object type's id."""
        wanted = [kind for r in requests if r.table.feed and self._refreshes(r) for kind in TYPED[r.table.feed]]
        kinds = [kind for kind in wanted if "{t}" not in kind]
        per_object_type = [kind for kind in wanted if "{t}" in kind]
        if per_object_type:  # the object types are read only when a table needs them
            object_types = [str(p.fields["object_type_id"]) for p in self.parents.parents("object_types")]
            kinds += [kind.format(t=t) for kind in per_object_type for t in object_types]
        return list(dict.fromkeys(kinds))

    def takes_part(self, request: TableRequest[Table]) -> bool:
        """A per-person table refreshed from the feed (once the pass has run)."""
        return request.table.feed in PER_PERSON and request.load_name not in self._whole

    def reason(self, request: TableRequest[Table]) -> str:
        """Why a feed table reads whole this run (changes.md section 3), or "" when the change feed refreshes
        it. A log table takes the pass's records however far it read; the others need its overlap proven."""
        if request.load_name in self._whole:
            return self._whole[request.load_name]
        if request.table.feed is not Feed.LOG and not self.read:
            return "the change pass did not prove its overlap" if self.ran else "the change pass did not run"
        return ""

    def start(self, request: TableRequest[Table]) -> None:
        """Before a feed table's first page: its mode set on the request and said in one line. A table read as
        usual whose people gone since the watermark are unknown (GONE) is read over its whole history and
        replaces what is there."""
        feed, name = request.table.feed, request.load_name
        assert feed is not None
        reason = self.reason(request)
        if reason:
            refreshed_before = WATERMARK in (request.memory or {})
            request.memory = None if request.memory is None else {WATERMARK: self.now, FULL_AT: self.now}
            if feed is Feed.GONE and not refreshed_before:  # never refreshed: read as usual
                return
            log.info("%s: full read: %s", name, reason)
            if feed is Feed.GONE:  # rows of people gone since the watermark may be anywhere in its history
                request.interval, request.replace = Interval(), True
            return
        request.memory = {WATERMARK: self.now, FULL_AT: (request.memory or {}).get(FULL_AT, self.now)}
        if feed in PER_PERSON:
            people = self.changes.people(feed)
            request.partial = Partial("customer_id", f"{len(people):,} people changed, re-read")
        elif feed is Feed.LOG:
            request.partial = Partial("id", "the activities since the watermark, merged")
        if request.partial is not None:
            log.info("%s: nightly: %s", name, request.partial.summary)

    def finish(self, request: TableRequest[Table], seen: set[str]) -> None:
        """After a feed table's last page: the rows it must lose (people gone; re-read people with no rows left;
        relationship rows of deleted objects; activities past the log's 30 days)."""
        feed, changes = request.table.feed, self.changes
        if self.reason(request) or not self.ran:
            return
        gone = changes.gone
        if feed in PER_PERSON:
            gone = gone | (changes.people(feed) - seen)  # re-read with nothing left: their old rows go
        if gone and (feed is not Feed.LOG or request.table.name.startswith("customer_")):
            request.removals.append(Removal(("customer_id",), tuple((person,) for person in sorted(gone))))
        if feed is Feed.RELATIONSHIPS and changes.objects_gone:
            objects = tuple(sorted(changes.objects_gone))
            request.removals.append(Removal(("object_type_id", "object_id"), objects))
        if feed is Feed.LOG and request.strategy is Strategy.REPLACE:  # merge keeps history past the log
            request.removals.append(Removal(("timestamp",), before=self.now - LOG_DAYS * DAY))

    def _whole_reason(self, request: TableRequest[Table]) -> str:
        memory = request.memory
        if memory is None or request.partial_refused:
            return request.partial_refused or "no memory of earlier runs is kept"
        watermark = memory.get(WATERMARK)
        if watermark is None:
            return "no watermark yet (first run)"
        age = (self.now - int(watermark)) / DAY
        if age > MAX_WATERMARK_DAYS:
            return f"the watermark is {age:.0f} days old, past the log's {MAX_WATERMARK_DAYS}-day margin"
        full_age = (self.now - int(memory.get(FULL_AT, 0))) / DAY
        if request.table.feed in PER_PERSON and full_age > self.full_refresh_days:
            return f"the last full read is {full_age:.0f} days old (full_refresh_days={self.full_refresh_days})"
        return ""

    def _refreshes(self, request: TableRequest[Table]) -> bool:
        """A feed table this run refreshes from the change pass."""
        return request.table.feed is not None and request.load_name not in self._whole

    def logs(self, request: TableRequest[Table]) -> bool:
        """A table whose rows are the pass's own records, read from it this run."""
        return request.table.feed is Feed.LOG and request.load_name not in self._whole

    def _unproven(self, requests: list[TableRequest[Table]], reason: str) -> None:
        for request in requests:
            if request.table.feed in PER_PERSON:
                self._whole.setdefault(request.load_name, reason)

    def _note(self, page: Page) -> None:
        """The changes of one page; a record naming its person only by `id` is found in the people listing."""
        by_id = self.parents.aliases("people", "id").lookup(
            person_id for record in page if not cio_id_of(record) and (person_id := person_id_of(record))
        )
        for record in page:
            person_id = person_id_of(record)
            self.changes.note(record, cio_id_of(record) or (by_id.get(person_id) if person_id else None))


def _timestamp(record: Any) -> float:
    value = record.get("timestamp") if isinstance(record, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else float("inf")
