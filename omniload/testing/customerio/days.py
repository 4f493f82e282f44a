"""How the fake workspace changes from one day to the next, and the activity records that log each change.

docs/contract/customerio/changes.md section 6: each day, deterministically from the seed and the day number,
about 2% of people change 1-3 attributes, 0.5% change a device, 0.5% new people arrive, 0.2% are deleted, 0.1%
are merged into another person, 1% gain or lose a relationship, 0.5% see a relationship attribute change; an
object is created (and every second day one is deleted, its relationships going with it); a campaign,
broadcast, newsletter or segment is updated (and every third day one is deleted). Each person change and each
object change is logged in the activity log with the record shapes of changes.md section 1, at a time inside
the day; ``unlogged`` leaves a share of the day's attribute changes out of the log (imports that leave no
record), so tests can prove the weekly full read repairs the drift.

A day's changes are drawn from a generator seeded by (seed, day) and kept as overlays on the people and
objects rules (``People``, ``Objects``): time and memory grow with the changes, never with the people.
"""

from __future__ import annotations

import copy
import random
from typing import TYPE_CHECKING, Any, NamedTuple

from .clock import DAY
from .hashing import mix
from .people import FIRST_NAMES, PLANS

if TYPE_CHECKING:
    from .workspace import Workspace

#: Share of today's people each kind of person change touches in a day (changes.md section 6); in a workspace
#: with people each kind happens at least once a day.
PERSON_RATES = {
    "profile_create": 0.005,
    "profile_delete": 0.002,
    "profile_merge": 0.001,
    "attribute_change": 0.02,
    "device_change": 0.005,
    "relationship": 0.01,
    "relationship_attribute_change": 0.005,
}
#: The attributes a day changes, and the values they take.
CHANGEABLE: dict[str, tuple[str, ...]] = {
    "first_name": FIRST_NAMES,
    "plan": PLANS,
    "seats": tuple(str(n) for n in range(1, 51)),
}
ROLES = ("owner", "member", "admin")
#: The catalog lists a day updates or deletes from: kind (as ``Workspace.update_records`` names it) and list.
CATALOG_KINDS = (
    ("campaign", "campaigns"),
    ("broadcast", "broadcasts"),
    ("newsletter", "newsletters"),
    ("segment", "segments"),
)
#: Changes lie this far inside their day, so that a clock ticking through a test never moves one across the
#: 30-day cut-off, which moves by whole days (as ``deliveries._CUTOFF_GAP``).
EDGE = 2 * 3600
#: People deletions and merges stop while the workspace has no more than this many people.
MIN_PEOPLE = 8
#: The first people hold identifier cases the fake's checklist needs (person 1's ``id`` is person 2's cio_id,
#: person 4 is related to every object: ``People``); days never delete them or merge them away.
PROTECTED = 5


class LogEntry(NamedTuple):
    """One activity of a day after day 0 (``Activities.add_day``): a generated one (``j`` its generator index,
    as for the seeded activities) or a change record, whose ``data`` is kept compact (``record_data``)."""

    ts: int
    type: str
    #: The person the record names (None: object records, and generated records that belong to nobody).
    person: int | None
    #: attribute_change: (name, from, to) triples; device_change: the device (never changed in place);
    #: profile_merge: the merged-away cio_id; relationship records: (type id, object id[, from role, to role]);
    #: object records: (type id, object id, cio_object_id); None for the others.
    data: Any = None
    j: int = -1
    #: ``customer_identifiers`` is null (generated records only, as ``deliveries.link_of`` decides).
    bare: bool = False

    def record_data(self) -> dict[str, Any]:
        """The record's ``data``, in the shapes of changes.md section 1."""
        data, atype = self.data, self.type
        if data is None:
            return {}
        if atype == "attribute_change":
            return {name: {"from": old, "to": new} for name, old, new in data}
        if atype == "device_change":
            return copy.deepcopy(data)
        if atype == "profile_merge":
            return {"merged_cio_id": data}
        ref = {"object_type_id": str(data[0]), "object_id": data[1]}
        if atype == "relationship_attribute_change":
            return {**ref, "changes": {"role": {"from": data[2], "to": data[3]}}}
        if atype.startswith("_o:"):
            return {**ref, "cio_object_id": data[2]}
        return ref


class Day:
    """One day's changes to a workspace (its day number already moved on), applied and logged."""

    def __init__(self, ws: Workspace, day: int, unlogged: float) -> None:
        self.ws, self.people, self.objects = ws, ws.people, ws.objects
        self.day = day
        self.unlogged = unlogged
        self.rng = random.Random(mix(ws.spec.seed, day, 0xDA75))
        end = ws.start + day * DAY
        self.first, self.last = end - DAY + EDGE, end - EDGE
        self.log: list[LogEntry] = []

    def apply(self) -> None:
        """Draw and apply the day's changes, then log them with the day's generated activities."""
        counts = self._counts()
        chosen = self.pick(sum(counts.values()) - counts["profile_create"] + counts["profile_merge"])
        for _ in range(counts["profile_create"]):
            self.create()
        for kind in list(PERSON_RATES)[1:]:  # every kind but creation, each on people of its own
            take = counts[kind] * (2 if kind == "profile_merge" else 1)
            group, chosen = chosen[:take], chosen[take:]
            self._apply_group(kind, group)
        self.objects_day()
        self.catalog_day()
        acts = self.ws.activities
        self.log.extend(acts.generated_day(self.first, self.last, self.day))
        acts.add_day(self.log)

    def _counts(self) -> dict[str, int]:
        live = self.people.count - len(self.people.gone)
        counts = {kind: max(1, round(rate * live)) if live else 0 for kind, rate in PERSON_RATES.items()}
        if live <= MIN_PEOPLE:
            counts["profile_delete"] = counts["profile_merge"] = 0
        return counts

    def _apply_group(self, kind: str, group: list[int]) -> None:
        if kind == "profile_merge":
            for away, survivor in zip(group[0::2], group[1::2], strict=False):
                self.merge(away, survivor)
            return
        apply = {
            "profile_delete": self.delete,
            "attribute_change": self.change_attributes,
            "device_change": self.change_device,
            "relationship": self.change_relationship,
            "relationship_attribute_change": self.change_relationship_attribute,
        }[kind]
        for i in group:
            apply(i)

    # -- helpers -------------------------------------------------------------------------------------------------
    def stamp(self) -> int:
        """A time inside the day."""
        return self.first + int(self.rng.random() * (self.last - self.first + 1))

    def pick(self, k: int) -> list[int]:
        """``k`` distinct people in the workspace at the day's start, in draw order (fewer if it has fewer)."""
        p = self.people
        live = p.count - len(p.gone)
        k = min(k, live)
        spare = 16 + 2 * k * len(p.gone) // max(1, p.count)
        chosen = [i for i in self.rng.sample(range(p.count), min(p.count, k + spare)) if i not in p.gone][:k]
        if len(chosen) < k:  # most of the index range is gone: draw from the people left
            chosen = self.rng.sample(list(p.live()), k)
        return chosen

    def note(self, atype: str, person: int | None, data: Any, ts: int) -> None:
        """Log a change (``data`` in the compact form of ``LogEntry.data``)."""
        self.log.append(LogEntry(ts, atype, person, data))

    # -- people --------------------------------------------------------------------------------------------------
    def create(self) -> None:
        """A new person; every second one starts related to an object of type 1."""
        p, ts = self.people, self.stamp()
        i = p.count
        p.count += 1
        p.born[i] = ts
        if i % 2 and self.objects.types:
            j = self.rng.randrange(self.objects.per_type + self.objects.added.get(1, 0))
            if self.objects.exists(1, j):
                p.related[i] = {(1, j): True}
        self.note("profile_create", i, None, ts)

    def delete(self, i: int) -> None:
        if i < PROTECTED:
            return
        self.people.gone.add(i)
        self.note("profile_delete", i, None, self.stamp())

    def merge(self, away: int, survivor: int) -> None:
        """``away`` is merged into ``survivor``, who takes over its relationships; logged on the survivor."""
        p = self.people
        if away < PROTECTED:
            away, survivor = survivor, away
        if away < PROTECTED:
            return
        mine = set(p.relationships(survivor))
        delta = p.related.setdefault(survivor, {})
        for rel in p.relationships(away):
            if rel not in mine:
                delta[rel] = True
        p.gone.add(away)
        self.note("profile_merge", survivor, p.cio_id(away), self.stamp())

    def change_attributes(self, i: int) -> None:
        """1-3 of the ``CHANGEABLE`` attributes take a new value; a share ``unlogged`` is not logged."""
        p, ts = self.people, self.stamp()
        current = p.profile(i)
        data = []
        changed = p.changed.setdefault(i, {})
        for name in self.rng.sample(sorted(CHANGEABLE), 1 + self.rng.randrange(len(CHANGEABLE))):
            old = current.get(name, "")
            new = self.rng.choice([v for v in CHANGEABLE[name] if v != old])
            changed[name] = (new, ts)
            data.append((name, old, new))
        if mix(self.ws.spec.seed, self.day, i, 0x5E) % 1_000_000 >= self.unlogged * 1_000_000:
            self.note("attribute_change", i, tuple(data), ts)

    def change_device(self, i: int) -> None:
        """The person's device (a new one if they had none) is used again, on a new app version."""
        p, ts = self.people, self.stamp()
        devices = p.attributes(i)["devices"]
        h = mix(self.ws.spec.seed, self.day, i, 0xDE)
        device = copy.deepcopy(devices[0]) if devices else _new_device(h)
        device["last_used"] = ts
        device["attributes"]["app_version"] = f"3.{h % 5}.{2 + self.day % 7}"
        p.devices[i] = device
        self.note("device_change", i, device, ts)

    def change_relationship(self, i: int) -> None:
        """The person loses one of their relationships, or gains one to a random object."""
        p, objs = self.people, self.objects
        if not objs.types:
            return
        rels = p.relationships(i)
        if rels and self.rng.random() < 0.5:
            rel, atype = self.rng.choice(rels), "delete_relationship"
            p.related.setdefault(i, {})[rel] = False
        else:
            t = self.rng.randint(1, objs.types)
            j = self.rng.randrange(objs.per_type + objs.added.get(t, 0))
            rel, atype = (t, j), "add_relationship"
            if rel in rels or not objs.exists(t, j):
                return
            p.related.setdefault(i, {})[rel] = True
        self.note(atype, i, (rel[0], self.objects.object_id(*rel)), self.stamp())

    def change_relationship_attribute(self, i: int) -> None:
        """The ``role`` of one of the person's relationships changes."""
        p = self.people
        rels = p.relationships(i)
        if not rels:
            return
        t, j = self.rng.choice(rels)
        old = p.relationship_record(i, t, j, self.objects)["attributes"]["role"]
        new, ts = self.rng.choice([r for r in ROLES if r != old]), self.stamp()
        p.roles[(i, t, j)] = (new, ts)
        self.note("relationship_attribute_change", i, (t, self.objects.object_id(t, j), old, new), ts)

    # -- objects and catalog -------------------------------------------------------------------------------------
    def objects_day(self) -> None:
        """An object is created every day, and one deleted every second day (its relationships go)."""
        objs = self.objects
        if not objs.types:
            return
        t = 1 + self.day % objs.types
        j = objs.per_type + objs.added.get(t, 0)
        objs.added[t] = objs.added.get(t, 0) + 1
        self.note(f"_o:{t}:create", None, (t, objs.object_id(t, j), objs.cio_object_id(t, j)), self.stamp())
        if self.day % 2 == 0:
            t = 1 + (self.day // 2) % objs.types
            live = objs.live(t)
            if live:
                j = self.rng.choice(live)
                objs.gone.add((t, j))
                self.note(
                    f"_o:{t}:delete", None, (t, objs.object_id(t, j), objs.cio_object_id(t, j)), self.stamp()
                )

    def catalog_day(self) -> None:
        """A campaign, broadcast, newsletter or segment is updated every day; one is deleted every third day
        (never the last of its kind). The lists are read whole, so neither is logged (changes.md section 4)."""
        kind, name = CATALOG_KINDS[self.day % len(CATALOG_KINDS)]
        items = getattr(self.ws.catalog, name)
        if items:
            self.ws.update_records(touch=[(kind, self.rng.choice(items)["id"])], at=self.stamp())
        if self.day % 3 == 0:
            kind, name = CATALOG_KINDS[(self.day // 3) % len(CATALOG_KINDS)]
            items = getattr(self.ws.catalog, name)
            if len(items) > 1:
                items.remove(self.rng.choice(items[1:]))


def _new_device(h: int) -> dict[str, Any]:
    android = bool(h & 4)
    return {
        "id": f"{'fcm' if android else 'apns'}:{h >> 8 & 0xFFFFFF:06x}",
        "platform": "android" if android else "ios",
        "last_used": 0,
        "attributes": {
            "app_version": "3.0.0",
            "push_enabled": "true",
            "device_os": "14" if android else "17.2",
            "cio_sdk_version": "2.1.0",
            "device_locale": "en-US",
            "_last_status": "delivered",
        },
    }
