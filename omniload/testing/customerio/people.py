"""People, segment membership, person attributes and relationships, all computed from a person's index.

Nothing is stored per person, so a workspace of a few hundred thousand people costs no memory. The index
rules below deliberately mix the identifier cases the client must survive: email-only people, id-only people,
people whose ``id`` equals their own ``cio_id``, and person 1 whose ``id`` is person 2's ``cio_id`` (a client
that forgets ``id_type=cio_id`` gets the wrong person there).

The workspace evolves by days (``days``, docs/contract/customerio/changes.md section 6): what a day changes is
kept here as small overlays on the rules, so memory grows with the changes, never with the people. People
created after day 0 take the next indices (``count`` grows past ``base``); deleted and merged-away people stay
in ``gone`` and vanish from every listing and lookup.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import orjson

from .hashing import mix
from .spec import WorkspaceSpec

CIO_BASE = 0x3000001
DAY = 86400
_EMAIL_RE = re.compile(r"^p(\d+)(\+news)?@example\.org$")
FIRST_NAMES = ("Mara", "Jon", "Ana", "Li", "Sam", "Noor", "Eli", "Ida", "Kai", "Zoe")
PLANS = ("trial", "pro", "free", "team")
#: People whose identifiers ``identity`` keeps; bounds the cache's memory (about 0.5 kB a person) for
#: workspaces of hundreds of thousands of people, while the benchmark workspaces fit entirely.
IDENTITY_CACHE_SIZE = 8192


def segment_ids(count: int) -> list[int]:
    return [5 + k for k in range(count)]


class People:
    """Identifier, attribute and relationship rules for ``spec.people`` people."""

    def __init__(self, spec: WorkspaceSpec, now: int) -> None:
        self.spec = spec
        #: The people the seed made; deliveries and activities of day 0 are spread over these.
        self.base = spec.people
        #: Indices in use: the seeded people, then those created day by day.
        self.count = spec.people
        self.now = now
        self.t0 = now - spec.history_days * DAY
        self.seg_ids = segment_ids(spec.segments)
        self._identities: dict[int, tuple[dict[str, Any], str | None, str | None]] = {}
        #: Day overlays (``days``): deleted or merged-away people; creation times of people created after
        #: day 0; attribute values set by a day (value, timestamp); replaced devices; relationships added
        #: (True) or removed (False) per person; relationship roles set by a day (role, timestamp); objects
        #: deleted, whose relationships go.
        self.gone: set[int] = set()
        self.born: dict[int, int] = {}
        self.changed: dict[int, dict[str, tuple[str, int]]] = {}
        self.devices: dict[int, dict[str, Any]] = {}
        self.related: dict[int, dict[tuple[int, int], bool]] = {}
        self.roles: dict[tuple[int, int, int], tuple[str, int]] = {}
        self.objects_gone: set[tuple[int, int]] = set()

    def exists(self, i: int) -> bool:
        """Person ``i`` is in the workspace today (created, and neither deleted nor merged away)."""
        return 0 <= i < self.count and i not in self.gone

    def live(self, start: int = 0) -> Iterator[int]:
        """The people in the workspace today, from index ``start`` up."""
        gone = self.gone
        return (i for i in range(start, self.count) if i not in gone)

    # -- identifiers -------------------------------------------------------------------------------------------
    def cio_id(self, i: int) -> str:
        return format(CIO_BASE + i, "x")

    def person_id(self, i: int) -> str | None:
        if i == 1 and self.base > 2:
            return self.cio_id(2)
        if i % 23 == 7:
            return self.cio_id(i)
        if i % 17 == 3 and not self.spec.id_only:
            return None
        return f"u-{1000 + i}"

    def email(self, i: int) -> str | None:
        if self.spec.id_only:
            return None
        if i % 19 == 5 and self.person_id(i) is not None:
            return None
        if i % 11 == 4:
            return f"p{i}+news@example.org"
        return f"p{i}@example.org"

    def identifiers(self, i: int) -> dict[str, Any]:
        if self.spec.id_only:
            return {"id": self.person_id(i), "cio_id": self.cio_id(i)}
        return {"email": self.email(i), "id": self.person_id(i), "cio_id": self.cio_id(i)}

    def identity(self, i: int) -> tuple[dict[str, Any], str | None, str | None]:
        """``(identifiers(i), person_id(i), email(i))``, cached: every delivery page needs them for each record.

        The identifiers dict is shared between calls; callers that hand it out must copy it.
        """
        found = self._identities.get(i)
        if found is None:
            if len(self._identities) >= IDENTITY_CACHE_SIZE:
                self._identities.clear()
            idents = self.identifiers(i)
            found = self._identities[i] = (idents, idents["id"], self.email(i))
        return found

    def created_at(self, i: int) -> int:
        if i >= self.base:
            return self.born[i]
        return self.t0 + (i * (self.now - self.t0 - DAY)) // max(1, self.base)

    def resolve(self, value: str, id_type: str) -> int | None:
        """Person index for a path value under ``id_type``; ``None`` when nobody matches (or they are gone)."""
        i = self._resolve(value, id_type)
        return None if i is None or i in self.gone else i

    def _resolve(self, value: str, id_type: str) -> int | None:
        if id_type == "cio_id":
            return self._from_cio(value)
        if id_type == "email":
            m = _EMAIL_RE.match(value)
            if not m:
                return None
            i = int(m.group(1))
            return i if 0 <= i < self.count and self.email(i) == value else None
        candidates: list[int] = []
        if value.startswith("u-") and value[2:].isdigit():
            candidates.append(int(value[2:]) - 1000)
        j = self._from_cio(value)
        if j is not None:
            candidates.append(j)
        candidates.append(1)
        for i in candidates:
            if 0 <= i < self.count and self.person_id(i) == value:
                return i
        return None

    def _from_cio(self, value: str) -> int | None:
        try:
            i = int(value, 16) - CIO_BASE
        except ValueError:
            return None
        if 0 <= i < self.count and self.cio_id(i) == value:
            return i
        return None

    # -- segments ------------------------------------------------------------------------------------------------
    def in_segment(self, i: int, seg_id: int) -> bool:
        k = seg_id - 5
        if k < 0 or k >= len(self.seg_ids) or i % 10 == 0:
            return False  # every tenth person is in no segment at all
        if k == 0:
            return i % 10 <= 5
        if k == 1:
            return i % 10 >= 4
        if k == 2:
            return i % 97 == 1
        if k == 3:
            return False  # the empty manual segment
        return i % (k + 3) == 1

    # -- ESP suppressions ----------------------------------------------------------------------------------------
    #: suppression type of ``GET /v1/esp/suppression/{type}`` -> (``category`` it answers with, every how many
    #: people, offset, Mailgun reason): the OpenAPI enum (``getSuppressionByType``) and its example
    SUPPRESSIONS = {
        "bounces": ("bounces", 7, 3, "550 5.1.1 The email account that you tried to reach does not exist"),
        "spam_reports": ("spam", 53, 8, "Uploaded manually via api.customer.io"),
    }

    def suppressed(self, kind: str) -> list[int]:
        """The people whose email the ESP suppressed for ``kind``, in the order the endpoint lists them."""
        _, every, offset, _ = self.SUPPRESSIONS[kind]
        return [i for i in range(offset, self.count, every) if self.email(i) is not None]

    def suppression(self, kind: str, i: int) -> dict[str, Any]:
        return {
            "created": self.created_at(i) + DAY,
            "email": self.email(i),
            "reason": self.SUPPRESSIONS[kind][3],
            "status": "550",
        }

    # -- attributes ----------------------------------------------------------------------------------------------
    def attributes(self, i: int) -> dict[str, Any]:
        """The ``customer`` object of the attribute endpoints: string values, integer timestamps."""
        h = mix(self.spec.seed, i, 11)
        created = self.created_at(i)
        changed = created if i >= self.base else min(self.now - 60, created + DAY * (1 + h % 90))
        attrs: dict[str, str] = {"cio_id": self.cio_id(i)}
        ts: dict[str, int] = {"cio_id": created}
        pid, email = self.person_id(i), self.email(i)
        if pid is not None:
            attrs["id"], ts["id"] = pid, created
        if email is not None:
            attrs["email"], ts["email"] = email, created
        attrs["created_at"], ts["created_at"] = str(created), created
        first_name, plan, seats = self._profile(h)
        attrs["first_name"], ts["first_name"] = first_name, created
        attrs["plan"], ts["plan"] = plan, changed
        attrs["seats"], ts["seats"] = seats, changed
        if h % 3 == 0:
            attrs["_last_emailed"], ts["_last_emailed"] = str(changed), changed
        prefs = {"topics": {"topic_1": bool(h & 1), "topic_2": bool(h & 2)}}
        attrs["cio_subscription_preferences"] = orjson.dumps(prefs).decode()
        ts["cio_subscription_preferences"] = changed
        attrs["_cio_subscription_preferences_computed"] = orjson.dumps(prefs).decode()
        ts["_cio_subscription_preferences_computed"] = 0
        devices: list[dict[str, Any]] = []
        if i % 5 == 0:
            android = bool(h & 4)
            devices.append(
                {
                    "id": f"{'fcm' if android else 'apns'}:{h & 0xFFFFFF:06x}",
                    "platform": "android" if android else "ios",
                    "last_used": changed,
                    "attributes": {
                        "app_version": f"3.{h % 5}.1",
                        "push_enabled": "true" if h & 8 else "false",
                        "device_os": "14" if android else "17.2",
                        "cio_sdk_version": "2.1.0",
                        "device_locale": "en-US",
                        "_last_status": "delivered",
                    },
                }
            )
        if i in self.devices:
            devices = [copy.deepcopy(self.devices[i])]
        for name, (value, stamp) in self.changed.get(i, {}).items():
            attrs[name], ts[name] = value, stamp
        return {
            "id": None,  # filled by the caller with the value the request referenced
            "identifiers": self.identifiers(i),
            "attributes": attrs,
            "timestamps": ts,
            "unsubscribed": h % 13 == 0,
            "devices": devices,
        }

    @staticmethod
    def _profile(h: int) -> tuple[str, str, str]:
        """The seeded ``first_name``, ``plan`` and ``seats`` of the person whose attribute hash is ``h``."""
        return FIRST_NAMES[h % len(FIRST_NAMES)], PLANS[(h >> 8) % len(PLANS)], str(1 + (h >> 12) % 20)

    def profile(self, i: int) -> dict[str, str]:
        """``first_name``, ``plan`` and ``seats`` today (the attributes days change), without the whole record."""
        first_name, plan, seats = self._profile(mix(self.spec.seed, i, 11))
        values = {"first_name": first_name, "plan": plan, "seats": seats}
        for name, (value, _) in self.changed.get(i, {}).items():
            values[name] = value
        return values

    def attribute(self, i: int, field: str) -> str | None:
        """One attribute value, for search filters, without building the whole record when possible."""
        if field == "cio_id":
            return self.cio_id(i)
        if field == "id":
            return self.person_id(i)
        if field == "email":
            return self.email(i)
        value = self.attributes(i)["attributes"].get(field)
        return value if isinstance(value, str) else None

    # -- relationships -----------------------------------------------------------------------------------------
    def rich_person(self) -> int:
        """The person related to every object, i.e. more relationships than a maximum page holds."""
        return 4 if self.base > 4 else 0

    def relationships(self, i: int) -> list[tuple[int, int]]:
        """(object type id, object index) pairs of person ``i`` today, in a stable order: the seeded ones
        less those a day removed, then those days added; never a deleted object's."""
        seeded = self._seeded_relationships(i) if i < self.base else []
        delta = self.related.get(i)
        if delta:
            kept = set(seeded)
            added = [r for r, on in delta.items() if on and r not in kept]
            seeded = [r for r in seeded if delta.get(r, True)] + added
        if self.objects_gone:
            seeded = [r for r in seeded if r not in self.objects_gone]
        return seeded

    def _seeded_relationships(self, i: int) -> list[tuple[int, int]]:
        types, per = self.spec.object_types, self.spec.objects_per_type
        if types == 0 or per == 0:
            return []
        if i == self.rich_person():
            return [(t, j) for t in range(1, types + 1) for j in range(per)]
        if i % 4 == 0:
            return []
        out = [(1, (i * 7 + self.spec.seed) % per)]
        if types >= 2 and i % 3 == 0:
            out.append((2, (i * 13) % per))
        return out

    def relationship_record(self, i: int, type_id: int, j: int, objects: Objects) -> dict[str, Any]:
        h = mix(self.spec.seed, i, type_id, j)
        created = self.created_at(i)
        ts = created if i >= self.base else min(self.now - 60, created + DAY * (h % 30))
        role = ("owner" if h % 5 == 0 else "member", ts)
        role = self.roles.get((i, type_id, j), role)
        return {
            "object_type_id": type_id,
            "identifiers": {
                "object_id": objects.object_id(type_id, j),
                "cio_object_id": objects.cio_object_id(type_id, j),
            },
            "attributes": {"role": role[0]},
            "timestamps": {"role": role[1]},
        }


_TYPES = (
    ("Accounts", "Account", "accounts", "account", "building"),
    ("Projects", "Project", "projects", "project", "folder"),
    ("Teams", "Team", "teams", "team", "users"),
    ("Stores", "Store", "stores", "store", "shop"),
)


class Objects:
    """Object types and their objects; object ``j`` of type ``t`` is computed, not stored.

    Days (``days``) create objects after the seeded ``per_type`` (indices counted in ``added``) and delete some
    (``gone``, the set ``People.objects_gone`` shares so that their relationships go too).
    """

    def __init__(self, spec: WorkspaceSpec) -> None:
        self.types = spec.object_types
        self.per_type = spec.objects_per_type
        self.seed = spec.seed
        self.added: dict[int, int] = {}
        self.gone: set[tuple[int, int]] = set()

    def live(self, t: int) -> list[int]:
        """The objects of type ``t`` in the workspace today."""
        return [j for j in range(self.per_type + self.added.get(t, 0)) if (t, j) not in self.gone]

    def exists(self, t: int, j: int) -> bool:
        return 1 <= t <= self.types and 0 <= j < self.per_type + self.added.get(t, 0) and (t, j) not in self.gone

    def type_records(self) -> list[dict[str, Any]]:
        out = []
        for t in range(1, self.types + 1):
            name, singular, slug, singular_slug, icon = _TYPES[(t - 1) % len(_TYPES)]
            suffix = "" if t <= len(_TYPES) else f" {t}"
            out.append(
                {
                    "id": str(t),
                    "name": name + suffix,
                    "singular_name": singular + suffix,
                    "slug": slug + suffix.strip(),
                    "singular_slug": singular_slug + suffix.strip(),
                    "enabled": t != 3,
                    "icon": icon,
                }
            )
        return out

    def slug(self, t: int) -> str:
        return _TYPES[(t - 1) % len(_TYPES)][3]

    def object_id(self, t: int, j: int) -> str:
        return f"{self.slug(t)}-{100 + j}"

    def cio_object_id(self, t: int, j: int) -> str:
        return f"ob{t:x}{j:05x}"

    def resolve(self, t: int, value: str) -> int | None:
        prefix = f"{self.slug(t)}-"
        if value.startswith(prefix) and value[len(prefix) :].isdigit():
            j = int(value[len(prefix) :]) - 100
            if self.exists(t, j) and self.object_id(t, j) == value:
                return j
        return None

    def attributes(self, t: int, j: int) -> dict[str, str]:
        h = mix(self.seed, t, j, 3)
        return {
            "object_id": self.object_id(t, j),
            "cio_object_id": self.cio_object_id(t, j),
            "name": f"{self.slug(t).title()} {j}",
            "plan": ("basic", "pro", "enterprise")[h % 3],
            "seats": str(1 + h % 50),
        }
