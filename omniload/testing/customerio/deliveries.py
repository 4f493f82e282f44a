"""Deliveries and activities generated lazily from their index.

Delivery ``i`` is created at a monotonic time (denser towards "now"), so a time window is an index range found
by bisection. The timeline is cut into segments in which the set of sending parents is constant; inside a
segment the parent is chosen round-robin, so one parent's deliveries form an arithmetic progression. Likewise
the person of delivery ``i`` is an affine function of ``i`` modulo the number of people. Both make per-parent
and per-person pages, and per-period metric counts, cost time proportional to the answer, not to the
workspace, which is what lets the benchmarks ask for a million deliveries.

Days after day 0 (``days``, docs/contract/customerio/changes.md section 6) append to both: ``Timeline.extend``
adds a fixed number of deliveries a day after the seeded ones, spread evenly over each day and sent by the
parents still sending at day 0; ``Activities.add_day`` appends a day's records (generated ones like the seeded
activities, and the change records of ``days``) to the log, which stays in time order. Everything indexed at
day 0 keeps its index, time and person.
"""

from __future__ import annotations

import binascii
import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from math import isqrt
from typing import Any, NamedTuple

import orjson

from .catalog import Parent
from .clock import DAY
from .days import LogEntry
from .hashing import delivery_id, mix, mix_more_many, ulid
from .people import People

_PRIMES = (1_000_003, 7919, 104_729, 1_299_709, 15_485_863)
#: One in this many records with null ``customer_identifiers`` is a deleted person's, linked to nobody.
ORPHAN_EVERY = 4


def link_of(test: int, null_every: int, forced: bool, person: int, people: People) -> tuple[int | None, bool]:
    """(person or None, whether ``customer_identifiers`` is null) of a delivery or activity.

    ``test`` is the record's hash; one record in ``null_every`` has null ``customer_identifiers`` (observed live
    on about 1.3% of deliveries). Such a record still belongs to its person, and the per-person reads return
    it: its ``customer_id`` holds the person's ``id`` (README fact 15), or is null too for a person without an
    ``id`` (changes.md section 5; an email delivery's ``recipient`` still names them). One in ``ORPHAN_EVERY``
    of them belongs to nobody (``customer_id`` null, in no per-person read), standing for deleted people.
    ``forced`` makes a record linked by ``id`` whatever its hash (the person-1 trap of ``Timeline``).
    """
    if not forced and not (null_every and test % null_every == 0):
        return person, False
    if not forced and (test // null_every) % ORPHAN_EVERY == 0:
        return None, True
    return person, True


def newest_of(person: int, count: int, people: People, affine: tuple[int, int, int]) -> int | None:
    """The newest index whose person is ``person`` under ``affine`` (None if that person has no index)."""
    m = people.count
    _, b, inverse = affine
    first = ((person - b) * inverse) % m
    return first + ((count - 1 - first) // m) * m if first < count else None


def trap_of(count: int, people: People, affine: tuple[int, int, int], null_every: int) -> int | None:
    """The index forced to null ``customer_identifiers``: person 1's newest record. Person 1's ``id`` is person
    2's cio_id (``People``), so a client that reads such a row's ``customer_id`` as a cio_id links it to the
    wrong person."""
    if not null_every or people.count <= 2:
        return None
    return newest_of(1, count, people, affine)


def _affine(count: int, seed: int, salt: int) -> tuple[int, int, int]:
    """(multiplier, offset, inverse) of an invertible map i -> (a*i + b) mod count."""
    if count <= 1:
        return 1, 0, 1
    a = next(p for p in _PRIMES if count % p)
    return a, mix(seed, salt) % count, pow(a, -1, count)


@dataclass(frozen=True)
class Segment:
    lo: int
    hi: int  # exclusive
    parents: tuple[Parent, ...]


class Timeline:
    """Delivery index <-> time, parent and person."""

    def __init__(
        self, count: int, t0: int, now: int, parents: list[Parent], people: People, seed: int, null_every: int
    ) -> None:
        #: Deliveries in the workspace: the seeded ``base``, then ``per_day`` more each day after day 0.
        self.count = self.base = count
        self.t0 = t0
        self.now0 = now
        self.span = max(1, now - 60 - t0)
        self.per_day = max(1, round(2 * count * DAY / self.span))  # the rate at day 0's end
        self.seed = seed
        self.people = people
        #: The seeded people, over whom the deliveries are spread (``People.base``).
        self.m = people.base
        self.null_every = null_every
        self.pa, self.pb, self.pinv = _affine(self.m, seed, 1)
        self.trap = trap_of(count, people, (self.pa, self.pb, self.pinv), null_every)
        bounds = sorted({p.start for p in parents} | {p.end + 1 for p in parents} | {t0})
        self.segments: list[Segment] = []
        for k, b in enumerate(bounds):
            lo = self.first_at_or_after(b)
            hi = self.first_at_or_after(bounds[k + 1]) if k + 1 < len(bounds) else count
            if hi <= lo:
                continue
            active = tuple(p for p in parents if p.start <= b <= p.end)
            if not active:
                raise ValueError("deliveries exist at a time no parent is sending")
            self.segments.append(Segment(lo, hi, active))
        self._seg_lo = [s.lo for s in self.segments]

    # -- time ----------------------------------------------------------------------------------------------------
    def time(self, i: int) -> int:
        if i >= self.base:
            day, k = divmod(i - self.base, self.per_day)
            return self.now0 + day * DAY + 60 + k * (DAY - 120) // self.per_day
        return self.t0 + isqrt(i * self.span * self.span // self.base)

    def extend(self, days: int) -> None:
        """The deliveries of ``days`` days after day 0: the last segment's parents keep sending."""
        self.count = self.base + days * self.per_day
        last = self.segments[-1]
        self.segments[-1] = Segment(last.lo, self.count, last.parents)

    def first_at_or_after(self, ts: int) -> int:
        """Smallest index whose time is >= ts (``count`` if none)."""
        return bisect.bisect_left(range(self.count), ts, key=self.time)

    def index_range(self, start: int, end: int) -> tuple[int, int]:
        """Half-open index range of deliveries created in [start, end] (both inclusive)."""
        return self.first_at_or_after(start), self.first_at_or_after(end + 1)

    # -- parent / person -----------------------------------------------------------------------------------------
    def segment_index(self, i: int) -> int:
        """Position in ``segments`` of the segment holding index ``i``."""
        return bisect.bisect_right(self._seg_lo, i) - 1

    def segment_of(self, i: int) -> Segment:
        return self.segments[self.segment_index(i)]

    def link_of(self, i: int) -> tuple[int | None, bool]:
        """(person index or None, whether ``customer_identifiers`` is null): see ``link_of``."""
        person = (self.pa * i + self.pb) % self.m
        return link_of(mix(self.seed, i, 9), self.null_every, i == self.trap, person, self.people)

    def person_of(self, i: int) -> int | None:
        """Person index, or None for the deliveries that belong to nobody."""
        return self.link_of(i)[0]

    # -- iteration (newest first) --------------------------------------------------------------------------------
    def iter_all(self, lo: int, hi: int) -> Iterator[int]:
        return iter(range(hi - 1, lo - 1, -1))

    def iter_parent(self, parent: Parent, lo: int, hi: int) -> Iterator[int]:
        for seg in reversed(self.segments):
            if seg.lo >= hi:
                continue
            if seg.hi <= lo:
                break
            try:
                pos = seg.parents.index(parent)
            except ValueError:
                continue
            n = len(seg.parents)
            top = min(hi, seg.hi) - 1
            bottom = max(lo, seg.lo)
            if top < seg.lo + pos:
                continue
            i = seg.lo + pos + ((top - seg.lo - pos) // n) * n
            while i >= bottom:
                yield i
                i -= n

    def iter_person(self, person: int, lo: int, hi: int) -> Iterator[int]:
        m = self.m
        r = ((person - self.pb) * self.pinv) % m
        if hi - 1 < r or person >= m:
            return
        i = r + ((hi - 1 - r) // m) * m
        while i >= lo:
            if self.person_of(i) is not None:
                yield i
            i -= m

    # -- metrics -------------------------------------------------------------------------------------------------
    def count_parent(self, parent: Parent, sub_id: int | None, lo: int, hi: int) -> int:
        """Deliveries of ``parent`` (optionally of one action/content) with index in [lo, hi)."""
        total = 0
        subs = len(parent.subs)
        sub_pos = None
        if sub_id is not None:
            ids = [s for s, _ in parent.subs]
            if sub_id not in ids:
                return 0
            sub_pos = ids.index(sub_id)
        for seg in self.segments:
            if seg.hi <= lo or seg.lo >= hi or parent not in seg.parents:
                continue
            pos = seg.parents.index(parent)
            n = len(seg.parents)
            a, b = max(lo, seg.lo) - seg.lo - pos, min(hi, seg.hi) - seg.lo - pos
            # k-th occurrence is at seg.lo + pos + k*n; count k in [ceil(a/n), ceil(b/n))
            k_lo, k_hi = max(0, -((-a) // n)), max(0, -((-b) // n))
            if k_hi <= k_lo:
                continue
            if sub_pos is None:
                total += k_hi - k_lo
            else:
                total += _count_mod(k_lo, k_hi, subs, sub_pos)
        return total


def _count_mod(lo: int, hi: int, mod: int, rem: int) -> int:
    """How many k in [lo, hi) have k % mod == rem."""

    def upto(x: int) -> int:  # k in [0, x)
        return (x - rem + mod - 1) // mod if x > rem else 0

    return upto(hi) - upto(lo)


_FAILURES = ("Mailbox unavailable", "Invalid phone number", "Device token expired")


class _Sender(NamedTuple):
    """The fields of a delivery fixed by its parent and sub-sender (action or content), built once per pair.

    ``json_template`` is the record's JSON for ``DeliveryFactory.page_json``, with these fields already
    serialised (by orjson, so byte for byte what it writes for the record) and ``%`` slots for the others.
    """

    sub_id: int
    dtype: str
    subject: str
    campaign_id: int | None
    action_id: int | None
    newsletter_id: int | None
    content_id: int | None
    broadcast_id: int | None
    transactional_message_id: int | None
    event: bool
    json_template: bytes


def _sender(parent: Parent, sub_id: int, dtype: str) -> _Sender:
    kind = parent.kind
    subject = f"{kind.title()} {parent.id} message {sub_id}" if dtype == "email" else ""
    parents: dict[str, Any] = {
        "campaign_id": parent.id if kind == "campaign" else None,
        "action_id": sub_id if kind in ("campaign", "broadcast") else None,
        "parent_action_id": None,
        "newsletter_id": parent.id if kind == "newsletter" else None,
        "content_id": sub_id if kind == "newsletter" else None,
        "broadcast_id": parent.id if kind == "broadcast" else None,
    }
    tx_id = parent.id if kind == "transactional" else None
    return _Sender(
        sub_id,
        dtype,
        subject,
        parents["campaign_id"],
        parents["action_id"],
        parents["newsletter_id"],
        parents["content_id"],
        parents["broadcast_id"],
        tx_id,
        parent.event,
        json_template=b"".join(
            (
                b'{"id":"%s","deduplicate_id":"%s:%d",',
                _json_members({"msg_template_id": sub_id}),
                b',%s,"recipient":%s,',  # customer_id and customer_identifiers; recipient
                _json_members({"subject": subject}),
                b',"metrics":%s,"created":%d,"failure_message":%s,',
                _json_members(parents),
                b',"trigger_event_id":%s,',
                _json_members({"transactional_message_id": tx_id, "type": dtype}),
                b',"forgotten":%s}',
            )
        ),
    )


def _json_members(obj: dict[str, Any]) -> bytes:
    """``obj`` serialised without its braces, as a literal part of a %-format."""
    return orjson.dumps(obj)[1:-1].replace(b"%", b"%%")


_NO_PERSON_JSON = (b'"customer_id":null,"customer_identifiers":null', b'""')
_FAILURES_JSON = tuple(orjson.dumps(f) for f in _FAILURES)
#: Bounds ``DeliveryFactory._person_json`` like ``IDENTITY_CACHE_SIZE`` bounds ``People.identity``.
_PERSON_JSON_CACHE_SIZE = 8192
#: Indices hashed together by ``DeliveryFactory._hashed`` (a page is at most 1000).
_HASH_CHUNK = 1024


class DeliveryFactory:
    """Builds the delivery record of index ``i`` as the API would show it at ``metrics_now``.

    A page of a million-delivery workspace is built on every request, so building pages is the hot path of the
    benchmarks. ``_scan`` computes what a record's fields derive from, for a whole page in one loop: it takes
    everything that depends only on the parent and sub-sender from tables built here once (``_senders``), and
    hashes a chunk of indices at once (``_hashed``). ``records`` turns that into dicts (tests, ``rows``);
    ``page_json`` straight into the JSON the server sends, splicing pre-serialised per-sender and per-person
    pieces, which costs about half as much as building the dicts and serialising them.
    """

    def __init__(self, timeline: Timeline, people: People, seed: int) -> None:
        self.tl = timeline
        self.people = people
        self.seed = seed
        self.metrics_now = 0
        self.overrides: dict[int, dict[str, Any]] = {}
        #: per timeline segment, per parent position in the segment: the _Sender of each of its subs
        self._senders = [
            tuple(tuple(_sender(p, sub_id, dtype) for sub_id, dtype in p.subs) for p in seg.parents)
            for seg in timeline.segments
        ]
        self._person_json_cache: dict[int, tuple[bytes, bytes]] = {}

    def record(self, i: int) -> dict[str, Any]:
        return self.records((i,))[0]

    def records(self, indices: Iterable[int], metrics_now: int | None = None) -> list[dict[str, Any]]:
        """The records of ``indices``, in that order (at ``metrics_now``, default: the current one)."""
        identity, recipient_of, seed, overrides = self.people.identity, self._recipient, self.seed, self.overrides
        out = []
        for i, t, sender, h, person, bare, visible, top in self._scan(indices, metrics_now):
            if person is None:
                idents = cust_id = email = None
            else:
                shared, cust_id, email = identity(person)
                idents = None if bare else dict(shared)
            did = delivery_id(i, seed)
            dtype = sender.dtype
            rec: dict[str, Any] = {
                "id": did,
                "deduplicate_id": f"{did}:{top}",
                "msg_template_id": sender.sub_id,
                "customer_id": cust_id,
                "customer_identifiers": idents,
                "recipient": (email or "") if dtype == "email" else recipient_of(dtype, email, person, h),
                "subject": sender.subject,
                "metrics": visible,
                "created": t,
                "failure_message": _FAILURES[h % 3] if "failed" in visible else None,
                "campaign_id": sender.campaign_id,
                "action_id": sender.action_id,
                "parent_action_id": None,
                "newsletter_id": sender.newsletter_id,
                "content_id": sender.content_id,
                "broadcast_id": sender.broadcast_id,
                "trigger_event_id": ulid(t - 1, i) if sender.event else None,
                "transactional_message_id": sender.transactional_message_id,
                "type": dtype,
                "forgotten": h % 97 == 0,
            }
            if overrides:
                extra = overrides.get(i)
                if extra:
                    rec.update(extra)
            out.append(rec)
        return out

    def page_json(self, indices: Iterable[int], metrics_now: int | None = None) -> bytes:
        """``orjson.dumps(self.records(indices))``, byte for byte, built without the dicts.

        ``metrics_now`` (default: the current one) lets a prefetch pin the metrics time it builds for.
        """
        person_cache, person_json = self._person_json_cache, self._person_json
        recipient_of, overrides = self._recipient, self.overrides
        b64, dumps = binascii.b2a_base64, orjson.dumps
        prefix = b"dlv:%d:" % self.seed
        parts = []
        for i, t, sender, h, person, bare, visible, top in self._scan(indices, metrics_now):
            if overrides and overrides.get(i):
                parts.append(dumps(self.records((i,), metrics_now)[0]))
                continue
            if person is None:
                who, email = _NO_PERSON_JSON
            elif bare:
                who, email = self._bare_person_json(person)
            else:
                who, email = person_cache.get(person) or person_json(person)
            did = b64(prefix + b"%d" % i, newline=False)  # same as delivery_id()
            dtype = sender.dtype
            parts.append(
                sender.json_template
                % (
                    did,
                    did,
                    top,
                    who,
                    email if dtype == "email" else dumps(recipient_of(dtype, None, person, h)),
                    dumps(visible),
                    t,
                    _FAILURES_JSON[h % 3] if "failed" in visible else b"null",
                    dumps(ulid(t - 1, i)) if sender.event else b"null",
                    b"true" if h % 97 == 0 else b"false",
                )
            )
        return b"[" + b",".join(parts) + b"]"

    def _person_json(self, person: int) -> tuple[bytes, bytes]:
        """(the "customer_id" and "customer_identifiers" members, the email as a JSON string) of a person."""
        cache = self._person_json_cache
        found = cache.get(person)
        if found is None:
            if len(cache) >= _PERSON_JSON_CACHE_SIZE:
                cache.clear()
            idents, cust_id, email = self.people.identity(person)
            members = _json_members({"customer_id": cust_id, "customer_identifiers": idents})
            found = cache[person] = (members, orjson.dumps(email or ""))
        return found

    def _bare_person_json(self, person: int) -> tuple[bytes, bytes]:
        """``_person_json`` for a delivery whose ``customer_identifiers`` is null (a few percent: not cached)."""
        _, cust_id, email = self.people.identity(person)
        return _json_members({"customer_id": cust_id, "customer_identifiers": None}), orjson.dumps(email or "")

    def _scan(
        self, indices: Iterable[int], metrics_now: int | None = None
    ) -> Iterator[tuple[int, int, _Sender, int, int | None, bool, dict[str, int], int]]:
        """Per index: (index, created, sender, hash, person or None, whether ``customer_identifiers`` is null,
        visible metrics, deduplication time)."""
        if metrics_now is None:
            metrics_now = self.metrics_now
        tl, metrics_of, people = self.tl, self._metrics, self.people
        t0, span2, base = tl.t0, tl.span * tl.span, tl.base
        null_every, trap, pa, pb, pcount = tl.null_every, tl.trap, tl.pa, tl.pb, tl.m
        seg_lo = seg_hi = 0
        table: tuple[tuple[_Sender, ...], ...] = ()
        for chunk, hashes, null_tests in self._hashed(indices):
            for i, h, null_test in zip(chunk, hashes, null_tests, strict=True):
                if not seg_lo <= i < seg_hi:
                    k = tl.segment_index(i)
                    seg_lo, seg_hi, table = tl.segments[k].lo, tl.segments[k].hi, self._senders[k]
                off = i - seg_lo
                subs = table[off % len(table)]
                person: int | None = (pa * i + pb) % pcount
                bare = False
                if (null_every and null_test % null_every == 0) or i == trap:  # == Timeline.link_of
                    person, bare = link_of(null_test, null_every, i == trap, (pa * i + pb) % pcount, people)
                t = t0 + isqrt(i * span2 // base) if i < base else tl.time(i)  # == Timeline.time
                visible = metrics_of(t, h)
                top = max(visible.values())
                if top > metrics_now:
                    visible = {k: v for k, v in visible.items() if v <= metrics_now}
                    top = max(visible.values(), default=t)
                yield i, t, subs[(off // len(table)) % len(subs)], h, person, bare, visible, top

    def _hashed(self, indices: Iterable[int]) -> Iterator[tuple[list[int], list[int], list[int]]]:
        """Chunks of ``indices`` with, per index, ``mix(seed, i, 5)`` and the person test ``mix(seed, i, 9)``.

        Hashing a chunk at once (``mix_more_many``) costs a fraction of hashing index by index, and both
        salts share the rounds of ``(seed, i)``.
        """
        it = iter(indices)
        hash_base, person_base = mix(self.seed), mix(self.tl.seed)
        while chunk := list(islice(it, _HASH_CHUNK)):
            state = mix_more_many([hash_base] * len(chunk), values=chunk)  # mix(seed, i)
            hashes = mix_more_many(state, 5)
            if not self.tl.null_every:
                null_tests = hashes  # unused
            else:
                if person_base != hash_base:
                    state = mix_more_many([person_base] * len(chunk), values=chunk)
                null_tests = mix_more_many(state, 9)
            yield chunk, hashes, null_tests

    @staticmethod
    def _recipient(dtype: str, email: str | None, person: int | None, h: int) -> str:
        if dtype == "email":
            return email or ""
        if dtype == "twilio":
            return f"+1555{h % 10_000_000:07d}"
        if dtype == "push":
            return f"fcm:{h & 0xFFFFFF:06x}"
        if dtype == "webhook":
            return "https://hooks.example.org/cio"
        if dtype == "slack":
            return "#general"
        return "" if person is None else str(person)

    @staticmethod
    def _metrics(t: int, h: int) -> dict[str, int]:
        r = h % 1000
        if r < 10:
            return {"created": t, "failed": t + 3}
        if r < 12:
            return {"created": t, "drafted": t + 1}
        m = {"created": t, "sent": t + 2}
        if r < 30:
            m["bounced"] = t + 8
            return m
        m["delivered"] = t + 6
        if r % 10 < 4:
            opened = t + 600 + (h >> 10) % (2 * DAY)
            m["opened"] = opened
            m["human_opened" if r % 10 else "prefetch_opened"] = opened
            if r % 40 < 4:
                m["clicked"] = m["human_clicked"] = opened + 120 + (h >> 20) % 3600
                if r % 400 < 4:
                    m["converted"] = m["clicked"] + 900
        if r % 500 == 7:
            m["spammed"] = t + 5 * DAY
        if r % 200 == 9:
            m["unsubscribed"] = t + 3 * DAY
        return m


_ACTIVITY_TYPES = (
    "sent_email",
    "delivered_email",
    "opened_email",
    "clicked_email",
    "attribute_change",
    "event",
    "page",
    "sent_push",
    "_o:1:attribute_change",
    "_r:1:relationship_attribute_change",
)
RETENTION = 30 * DAY
#: No activity lies in the two hours after the 30-day cut-off, so a clock that ticks for a test run's duration
#: never moves an activity across it.
_CUTOFF_GAP = 2 * 3600


class Activities:
    """The activity log: seeded activity ``j`` (older than 30 days for the first part of the index range, recent
    for the rest), then the records days after day 0 add (``log``), all in time order.

    A position below ``base`` is a seeded activity, computed from its index; a position from ``base`` on is
    ``log[position - base]``. ``_by_person`` and ``_by_type`` index the log's positions, so the per-person and
    typed reads cost what they return there too.
    """

    def __init__(
        self, count: int, days: int, now: int, people: People, timeline: Timeline, seed: int, null_every: int
    ) -> None:
        self.count = self.base = count
        self.now = now
        self.people = people
        self.tl = timeline
        self.seed = seed
        self.null_every = null_every
        self.start = now - max(days, 31) * DAY
        self.cut = now - RETENTION
        share_recent = (self.now - self.cut) / (self.now - self.start)
        self.recent = min(count, max(int(count * share_recent), min(count, 120)))
        self.old = count - self.recent
        #: Generated activities a day after day 0: the seeded rate.
        self.per_day = max(1, round(self.recent / 30))
        self.m = people.base
        self.pa, self.pb, self.pinv = _affine(self.m, seed, 2)
        self.trap = trap_of(count, people, (self.pa, self.pb, self.pinv), null_every)
        self.log: list[LogEntry] = []
        self._by_person: dict[int, list[int]] = {}
        self._by_type: dict[str, list[int]] = {}

    def time(self, j: int) -> int:
        if j >= self.base:
            return self.log[j - self.base].ts
        if j < self.old:
            return self.start + (j * (self.cut - 1 - self.start)) // max(1, self.old)
        k = j - self.old
        lo = self.cut + _CUTOFF_GAP
        return lo + (k * (self.now - lo)) // max(1, self.recent)

    def first_at_or_after(self, ts: int) -> int:
        return bisect.bisect_left(range(self.count), ts, key=self.time)

    def link_of(self, j: int) -> tuple[int | None, bool]:
        """(person index or None, whether ``customer_identifiers`` is null): see ``link_of``."""
        if j >= self.base:
            entry = self.log[j - self.base]
            return entry.person, entry.bare
        return self._generated_link(j)

    def _generated_link(self, j: int) -> tuple[int | None, bool]:
        person = (self.pa * j + self.pb) % self.m
        return link_of(mix(self.seed, j, 13), self.null_every, j == self.trap, person, self.people)

    def person_of(self, j: int) -> int | None:
        return self.link_of(j)[0]

    def type_of(self, j: int) -> str:
        if j >= self.base:
            return self.log[j - self.base].type
        return _ACTIVITY_TYPES[mix(self.seed, j, 17) % len(_ACTIVITY_TYPES)]

    # -- days after day 0 ----------------------------------------------------------------------------------------
    def generated_day(self, first: int, last: int, day: int) -> list[LogEntry]:
        """The generated activities of ``day``, spread over [first, last]: deliveries, events and page views (the
        change types come only from the changes ``days`` makes, so each names a real change), none for people who
        are gone."""
        out = []
        for k in range(self.per_day):
            j = self.base + (day - 1) * self.per_day + k
            atype = _ACTIVITY_TYPES[mix(self.seed, j, 17) % len(_ACTIVITY_TYPES)]
            person, bare = self._generated_link(j)
            if "attribute_change" in atype or (person is not None and not self.people.exists(person)):
                continue
            out.append(LogEntry(first + k * (last - first) // self.per_day, atype, person, j=j, bare=bare))
        return out

    def add_day(self, entries: list[LogEntry]) -> None:
        """Append a day's records (in any order; all later than every record so far) to the log."""
        for entry in sorted(entries, key=lambda e: e.ts):
            pos = self.base + len(self.log)
            self.log.append(entry)
            if entry.person is not None:
                self._by_person.setdefault(entry.person, []).append(pos)
            self._by_type.setdefault(entry.type, []).append(pos)
        self.count = self.base + len(self.log)

    # -- reading -------------------------------------------------------------------------------------------------
    def positions(self, lo: int, hi: int, *, person: int | None = None, atype: str | None = None) -> Iterator[int]:
        """Positions in [lo, hi), newest first: all, ``person``'s, of type ``atype``, or both."""
        split = max(lo, min(hi, self.base))
        if person is None and atype is None:
            yield from range(hi - 1, lo - 1, -1)
            return
        index = self._by_person.get(person, []) if person is not None else self._by_type.get(atype or "", [])
        for n in range(bisect.bisect_left(index, hi) - 1, bisect.bisect_left(index, split) - 1, -1):
            if atype is None or self.type_of(index[n]) == atype:
                yield index[n]
        if person is not None:
            seeded: Iterator[int] = self._iter_person(person, lo, split)
        elif atype in _ACTIVITY_TYPES:
            seeded = iter(range(split - 1, lo - 1, -1))
        else:
            return
        yield from (j for j in seeded if atype is None or self.type_of(j) == atype)

    def _iter_person(self, person: int, lo: int, hi: int) -> Iterator[int]:
        m = self.m
        r = ((person - self.pb) * self.pinv) % m
        if hi - 1 < r or person >= m:
            return
        j = r + ((hi - 1 - r) // m) * m
        while j >= lo:
            if self.person_of(j) is not None:
                yield j
            j -= m

    def record(self, j: int) -> dict[str, Any]:
        if j < self.base:
            return self._generated(j, self.time(j))
        entry = self.log[j - self.base]
        if entry.j >= 0:
            return self._generated(entry.j, entry.ts)
        person = entry.person
        return {
            "id": ulid(entry.ts, j, self.seed, 1),
            "type": entry.type,
            "timestamp": entry.ts,
            "customer_id": None if person is None else self.people.person_id(person),
            "customer_identifiers": None if person is None else self.people.identifiers(person),
            "data": entry.record_data(),
        }

    def _generated(self, j: int, t: int) -> dict[str, Any]:
        person, bare = self._generated_link(j)
        h = mix(self.seed, j, 17)
        atype = _ACTIVITY_TYPES[h % len(_ACTIVITY_TYPES)]
        rec: dict[str, Any] = {
            "id": ulid(t, j, self.seed),
            "type": atype,
            "timestamp": t,
            "customer_id": None if person is None else self.people.person_id(person),
            "customer_identifiers": None if person is None or bare else self.people.identifiers(person),
        }
        if atype.endswith(("_email", "_push")):
            idx = self.tl.first_at_or_after(t) - 1
            did = delivery_id(max(0, idx), self.seed)
            rec["delivery_id"] = did
            rec["delivery_type"] = "email" if atype.endswith("_email") else ("ios" if h & 1 else "android")
            rec["data"] = {"delivery_id": did, "delivered": t - 30, "opened": atype == "opened_email"}
        elif atype == "attribute_change":
            rec["data"] = {"plan": {"from": "trial", "to": "pro"}}
        elif atype == "event":
            rec["name"] = "purchase"
            rec["data"] = {"amount": str(h % 200), "currency": "EUR"}
        elif atype == "page":
            rec["name"] = "https://example.org/pricing"
            rec["data"] = {"referrer": "https://example.org/"}
        else:
            rec["data"] = {
                "object_type_id": "1",
                "changes": {"plan": {"from": "basic", "to": "pro"}},
                "ip": "203.0.113.17",
            }
        return rec
