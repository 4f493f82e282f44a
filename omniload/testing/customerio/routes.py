"""Endpoint handlers: turn a parsed request into (status, JSON body) from the workspace.

Handlers are pure functions of the request, the workspace and the fake's options/clock/deletions; paging state
lives entirely in the tokens (see ``cursors``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from . import archive, cursors, design_studio, optouts, preferences, surveys, triggers, usage
from .clock import (
    MONTH_SECONDS,
    PERIODS,
    RES_ALIASES,
    TEN_YEARS,
    V1_DEFAULT_STEPS,
    V1_MAX_STEPS,
    period_add,
    period_floor,
    periods_between,
)
from .deliveries import RETENTION
from .filters import object_filter, people_filter
from .metrics import derive
from .options import FakeOptions
from .prefetch import PagePrefetcher
from .workspace import Workspace

ID_TYPES = ("id", "email", "cio_id")


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class Ctx(Protocol):
    options: FakeOptions
    pages: PagePrefetcher | None

    def now(self) -> int: ...

    def is_deleted(self, kind: str, key: int) -> bool: ...

    def spend(self, name: str, per_day: int) -> bool: ...


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    ws: Workspace
    ctx: Ctx
    params: tuple[str, ...] = ()
    #: Work to run once the response has been sent (so it never delays the response), e.g. a prefetch.
    after: list[Callable[[], None]] = field(default_factory=list)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def int_arg(self, name: str) -> int | None:
        raw = self.arg(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"{name} must be an integer") from None

    def int_param(self, k: int) -> int:
        raw = self.params[k]
        if not raw.isdigit():
            raise ApiError(400, f"invalid id {raw!r}: must be an integer")
        return int(raw)

    @property
    def opts(self) -> FakeOptions:
        return self.ctx.options


Handler = Callable[[Req], dict[str, Any] | list[Any]]  # a list only where the API answers with a bare array
ROUTES: list[tuple[str, re.Pattern[str], Handler, str]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"([^/]+)", pattern) + "$")

    def deco(fn: Handler) -> Handler:
        ROUTES.append((method, regex, fn, f"{method} {pattern}"))
        return fn

    return deco


def dispatch(method: str, path: str) -> tuple[Handler, tuple[str, ...], str]:
    """Handler, raw path parameters, and the route name (e.g. ``GET /v1/campaigns/{id}/actions``)."""
    for m, regex, fn, name in ROUTES:
        match = regex.match(path)
        if match and m == method:
            return fn, match.groups(), name
    raise ApiError(404, f"no route for {method} {path}")


# -- paging helpers ---------------------------------------------------------------------------------------------
def page_limit(req: Req, endpoint: str) -> int:
    default, maximum = req.opts.page_sizes[endpoint]
    limit = req.int_arg("limit")
    if limit is None:
        return default if default is not None else req.opts.undocumented_page_size
    if limit < 1:
        raise ApiError(400, "limit must be positive")
    if limit > maximum:
        if req.opts.over_max_limit == "400":
            raise ApiError(400, f"limit must be at most {maximum}")
        return maximum
    return limit


def with_next(req: Req, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        body["next"] = token
    elif req.opts.next_on_last == "empty":
        body["next"] = ""
    elif req.opts.next_on_last == "null":
        body["next"] = None
    return body


def records(req: Req, items: list[Any]) -> list[Any] | None:
    return None if (not items and req.opts.null_records) else items


def read_token(req: Req, scope: str) -> dict[str, Any] | None:
    raw = req.arg("start")
    if not raw:
        return None
    try:
        return cursors.decode(scope, raw)
    except cursors.BadCursor as exc:
        raise ApiError(400, str(exc)) from None


def take(it: Iterator[int], limit: int) -> tuple[list[int], bool]:
    out: list[int] = []
    for i in it:
        if len(out) == limit:
            return out, True
        out.append(i)
    return out, False


def person_index(req: Req, value: str) -> int:
    id_type = req.arg("id_type") or "id"
    if id_type not in ID_TYPES:
        raise ApiError(400, f"unknown id_type {id_type!r}")
    if id_type == "email" and req.ws.spec.id_only:
        raise ApiError(400, "this workspace does not identify people by email")
    i = req.ws.people.resolve(value, id_type)
    if i is None or req.ctx.is_deleted("person", i):
        raise ApiError(404, "person not found")
    return i


# -- delivery windows -------------------------------------------------------------------------------------------
def delivery_window(req: Req, default_span: int, max_span: int, first_month: int | None = None) -> tuple[int, int]:
    start, end = req.int_arg("start_ts"), req.int_arg("end_ts")
    now = req.ctx.now()
    if start is None and end is None:
        if first_month is not None:
            return (first_month, first_month + MONTH_SECONDS) if first_month else (1, 0)
        return now - default_span, now
    if start is None:
        assert end is not None
        return end - default_span, end
    if end is None:
        if max_span == default_span:
            return now - default_span, now  # observed: only start_ts means "the 6 months before now"
        return max(start, now - max_span), now
    if end < start:
        raise ApiError(400, "end_ts must not be before start_ts")
    return max(start, end - max_span), end


def serve_deliveries(
    req: Req,
    scope: str,
    window: tuple[int, int],
    iterate: Callable[[int, int], Iterator[int]],
    endpoint: str,
    empty_pages: bool,
    tracked: bool = False,
) -> dict[str, Any]:
    """A page of deliveries; with ``tracked``, in-app survey answers on those that have some."""
    limit = page_limit(req, endpoint)
    state = read_token(req, scope)
    if state is not None:
        a, b, pos = int(state["a"]), int(state["b"]), int(state["p"])
        if state.get("e"):
            nxt = cursors.encode(scope, {"a": a, "b": b, "p": pos})
            return with_next(req, {"messages": records(req, [])}, nxt)
    else:
        a, b = window
        pos = -1
    tl = req.ws.timeline
    lo, hi = tl.index_range(a, b) if b >= a else (0, 0)
    if pos >= 0:
        hi = min(hi, pos)
    idx, more = take(iterate(lo, hi), limit)
    recs: Any = orjson.Fragment(_page_json(req, idx)) if idx else []  # spliced in as is by orjson
    if tracked and idx:
        recs = [surveys.with_responses(r) for r in orjson.loads(_page_json(req, idx))]
    token = None
    if more:
        pages = req.ctx.pages
        if pages is not None:
            # the next request's state only moves "p" to idx[-1]; build its page while the client reads this one
            factory, last = req.ws.deliveries, idx[-1]
            req.after.append(lambda: pages.prefetch(factory, lambda: take(iterate(lo, last), limit)[0]))
        st: dict[str, Any] = {"a": a, "b": b, "p": idx[-1]}
        if empty_pages:
            st["e"] = 1
        token = cursors.encode(scope, st)
    return with_next(req, {"messages": records(req, recs)}, token)


def _page_json(req: Req, idx: list[int]) -> bytes:
    """The JSON array of the deliveries ``idx``, built directly (the benchmarks' hot path) or prefetched."""
    if req.ctx.pages is not None:
        return req.ctx.pages.page_json(req.ws.deliveries, idx)
    return req.ws.deliveries.page_json(idx)


@route("GET", "/v1/messages")
def list_messages(req: Req) -> dict[str, Any]:
    six = 6 * MONTH_SECONDS
    tl = req.ws.timeline
    tracked = (req.arg("get_tracked_responses") or "false").lower() == "true"  # documented since our copy
    return serve_deliveries(
        req, "messages", delivery_window(req, six, six), tl.iter_all, "messages", req.opts.empty_pages, tracked
    )


@route("GET", "/v1/campaigns/{id}/messages")
def campaign_messages(req: Req) -> dict[str, Any]:
    cid = req.int_param(0)
    campaign_or_404(req, cid)
    parent = req.ws.parent("campaign", cid)
    window = delivery_window(req, 6 * MONTH_SECONDS, 12 * MONTH_SECONDS)
    return serve_deliveries(req, f"cmsg:{cid}", window, _parent_iter(req, parent), "messages", False)


@route("GET", "/v1/broadcasts/{id}/messages")
def broadcast_messages(req: Req) -> dict[str, Any]:
    bid = req.int_param(0)
    bc = broadcast_or_404(req, bid)
    parent = req.ws.parent("broadcast", bid)
    window = delivery_window(req, 6 * MONTH_SECONDS, 12 * MONTH_SECONDS, first_month=bc["first_started"])
    return serve_deliveries(req, f"bmsg:{bid}", window, _parent_iter(req, parent), "broadcast_messages", False)


@route("GET", "/v1/newsletters/{id}/messages")
def newsletter_messages(req: Req) -> dict[str, Any]:
    """``getNewsletterMsgMeta``: without a range, the 6 months from the newsletter's first delivery."""
    nid = req.int_param(0)
    newsletter = newsletter_or_404(req, nid)
    six = 6 * MONTH_SECONDS
    sent = newsletter["sent_at"]
    if req.arg("start_ts") is None and req.arg("end_ts") is None:
        window = (sent, sent + six) if sent else (1, 0)
    else:
        window = delivery_window(req, six, 12 * MONTH_SECONDS)
    parent = req.ws.parent("newsletter", nid)
    return serve_deliveries(req, f"nmsg:{nid}", window, _parent_iter(req, parent), "messages", False)


@route("GET", "/v1/transactional/{id}/messages")
def transactional_deliveries(req: Req) -> dict[str, Any]:
    """``transactionalMessages``: without a range, the last 6 months; at most 12 months a request."""
    tid = req.int_param(0)
    transactional_or_404(req, tid)
    window = delivery_window(req, 6 * MONTH_SECONDS, 12 * MONTH_SECONDS)
    parent = req.ws.parent("transactional", tid)
    return serve_deliveries(req, f"tmsg:{tid}", window, _parent_iter(req, parent), "messages", False)


@route("GET", "/v1/messages/{id}/archived_message")
def archived_message(req: Req) -> dict[str, Any]:
    """``getArchivedMessage``: the delivery as sent; at most 100 a day (the fake's day), then 429."""
    index = archive.index_of(req.ws, req.params[0])
    if index is None:
        raise ApiError(404, "message not found")
    if not req.ctx.spend("archived_message", archive.PER_DAY):
        raise ApiError(429, f"archived messages are limited to {archive.PER_DAY} requests per day")
    return {"archived_message": archive.archived(req.ws, index)}


@route("GET", "/v1/customers/{id}/messages")
def person_messages(req: Req) -> dict[str, Any]:
    i = person_index(req, req.params[0])
    six = 6 * MONTH_SECONDS
    tl = req.ws.timeline
    return serve_deliveries(
        req,
        f"pmsg:{i}",
        delivery_window(req, six, six),
        lambda lo, hi: tl.iter_person(i, lo, hi),
        "messages",
        False,
    )


def _parent_iter(req: Req, parent: Any) -> Callable[[int, int], Iterator[int]]:
    tl = req.ws.timeline
    if parent is None:
        return lambda lo, hi: iter(())
    return lambda lo, hi: tl.iter_parent(parent, lo, hi)


# -- activities -------------------------------------------------------------------------------------------------
def serve_activities(req: Req, scope: str, iterate: Callable[[int, int], Iterator[int]]) -> dict[str, Any]:
    limit = page_limit(req, "activities")
    acts = req.ws.activities
    lo = acts.first_at_or_after(req.ctx.now() - RETENTION)
    hi = acts.first_at_or_after(req.ctx.now() + 1)
    raw = req.arg("start")
    if raw:
        try:
            hi = min(hi, cursors.decode_digits(scope, raw))
        except cursors.BadCursor as exc:
            raise ApiError(400, str(exc)) from None
    idx, more = take(iterate(lo, hi), limit)
    token = cursors.encode_digits(scope, idx[-1]) if more else None
    return with_next(req, {"activities": [acts.record(j) for j in idx]}, token)


@route("GET", "/v1/activities")
def list_activities(req: Req) -> dict[str, Any]:
    """``type`` (one value) narrows the log to one activity type (changes.md section 1)."""
    acts, atype = req.ws.activities, req.arg("type") or None
    return serve_activities(req, "activities", lambda lo, hi: acts.positions(lo, hi, atype=atype))


@route("GET", "/v1/customers/{id}/activities")
def person_activities(req: Req) -> dict[str, Any]:
    i = person_index(req, req.params[0])
    acts, atype = req.ws.activities, req.arg("type") or None
    return serve_activities(req, f"pact:{i}", lambda lo, hi: acts.positions(lo, hi, person=i, atype=atype))


# -- people -----------------------------------------------------------------------------------------------------
def _ident_out(req: Req, ident: dict[str, Any]) -> dict[str, Any]:
    if req.opts.cio_id_as_number and ident["cio_id"].isdigit():
        return {**ident, "cio_id": int(ident["cio_id"])}
    return ident


@route("POST", "/v1/customers")
def search_people(req: Req) -> dict[str, Any]:
    body = req.body
    if not isinstance(body, dict) or "filter" not in body:
        raise ApiError(400, "filter is required")
    try:
        pred = people_filter(body["filter"], req.ws.people)
    except ValueError as exc:
        raise ApiError(400, f"invalid filter: {exc}") from None
    limit = page_limit(req, "customers")
    state = read_token(req, "customers")
    start = int(state["p"]) if state else 0
    people = req.ws.people

    def gen() -> Iterator[int]:
        for i in people.live(start):
            if not req.ctx.is_deleted("person", i) and pred(i):
                yield i

    idx, more = take(gen(), limit)
    token = cursors.encode("customers", {"p": idx[-1] + 1}) if more else None
    idents = [_ident_out(req, people.identifiers(i)) for i in idx]
    ids = [people.person_id(i) or "" for i in idx]
    return with_next(req, {"identifiers": records(req, idents), "ids": records(req, ids)}, token)


def _attributes(req: Req, i: int, referenced: str) -> dict[str, Any]:
    rec = req.ws.people.attributes(i)
    rec["id"] = referenced
    return rec


@route("POST", "/v1/customers/attributes")
def people_attributes(req: Req) -> dict[str, Any]:
    body = req.body
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or len(ids) > 100:
        raise ApiError(400, "ids must list 1 to 100 identifiers")
    out = []
    for value in ids:
        if not isinstance(value, str | int):
            raise ApiError(400, "ids must be strings")
        try:
            i = person_index(req, str(value))
        except ApiError as exc:
            if exc.status == 404:
                continue  # unknown ids are left out, with a 200
            raise
        item = _attributes(req, i, str(value))
        out.append({"customer": item} if req.opts.wrap_attribute_items else item)
    return {"customers": out}


@route("GET", "/v1/customers/{id}/attributes")
def person_attributes(req: Req) -> dict[str, Any]:
    i = person_index(req, req.params[0])
    return {"customer": _attributes(req, i, req.params[0])}


def _offset_paging(req: Req, scope: str, total: int, limit: int, dup: bool = False) -> tuple[range, str | None]:
    """Index range of one page of ``limit`` items; with ``dup``, each later page repeats the previous page's
    last item."""
    state = read_token(req, scope)
    pos = int(state["p"]) if state else 0
    if dup and req.opts.duplicate_pages and pos > 0 and limit > 1:
        pos -= 1
    end = min(total, pos + limit)
    token = cursors.encode(scope, {"p": end}) if end < total else None
    return range(pos, end), token


@route("GET", "/v1/customers/{id}/subscription_preferences")
def person_subscription_preferences(req: Req) -> dict[str, Any]:
    """``getPersonSubscriptionPreferences``: the person's topics, ``unsubscribed`` and the page's header, under
    ``customer``; not paged; 404 for an unknown or deleted person."""
    i = person_index(req, req.params[0])
    return {"customer": preferences.preferences(req.ws.people, req.ws.catalog.topics, i, req.ws.spec.seed)}


@route("GET", "/v1/customers/{id}/relationships")
def person_relationships(req: Req) -> dict[str, Any]:
    i = person_index(req, req.params[0])
    rels = req.ws.people.relationships(i)
    page, token = _offset_paging(req, f"rel:{i}", len(rels), page_limit(req, "relationships"), dup=True)
    recs = [req.ws.people.relationship_record(i, *rels[k], req.ws.objects) for k in page]
    return with_next(req, {"cio_relationships": recs}, token)


@route("POST", "/v1/objects")
def search_objects(req: Req) -> dict[str, Any]:
    body = req.body
    if not isinstance(body, dict) or "filter" not in body or "object_type_id" not in body:
        raise ApiError(400, "object_type_id and filter are required")
    raw_type = str(body["object_type_id"])
    if not raw_type.isdigit():
        raise ApiError(400, "object_type_id must be an integer string")
    t = int(raw_type)
    objs = req.ws.objects
    if not 1 <= t <= objs.types:
        raise ApiError(404, "object type not found")
    try:
        pred = object_filter(body["filter"], objs, t)
    except ValueError as exc:
        raise ApiError(400, f"invalid filter: {exc}") from None
    matches = [j for j in objs.live(t) if pred(j)]
    page, token = _offset_paging(req, f"obj:{t}", len(matches), page_limit(req, "objects"), dup=True)
    idents = [
        {"object_id": objs.object_id(t, matches[k]), "cio_object_id": objs.cio_object_id(t, matches[k])}
        for k in page
    ]
    return with_next(
        req, {"identifiers": records(req, idents), "ids": records(req, [x["object_id"] for x in idents])}, token
    )


@route("GET", "/v1/objects/{type}/{id}/relationships")
def object_relationships(req: Req) -> dict[str, Any]:
    t = req.int_param(0)
    objs = req.ws.objects
    value = req.params[1]
    id_type = req.arg("id_type") or "object_id"
    if id_type not in ("object_id", "cio_object_id"):
        raise ApiError(400, f"unknown id_type {id_type!r}")
    j = None
    if 1 <= t <= objs.types:
        if id_type == "object_id":
            j = objs.resolve(t, value)
        else:
            j = next((k for k in objs.live(t) if objs.cio_object_id(t, k) == value), None)
    if j is None:
        raise ApiError(404, "object not found")
    people = req.ws.people
    related = [
        i for i in people.live() if (t, j) in people.relationships(i) and not req.ctx.is_deleted("person", i)
    ]
    limit = page_limit(req, "object_relationships")
    page, token = _offset_paging(req, f"orel:{t}:{j}", len(related), limit, dup=True)  # documented repeats
    recs = [
        {"identifiers": people.identifiers(related[k]), "object_type_id": str(t), "object_type_disabled": False}
        for k in page
    ]
    return with_next(req, {"cio_relationships": recs}, token)


# -- segments ---------------------------------------------------------------------------------------------------
@route("GET", "/v1/segments")
def list_segments(req: Req) -> dict[str, Any]:
    return {"segments": req.ws.catalog.segments}


@route("GET", "/v1/segments/{id}/customer_count")
def segment_count(req: Req) -> dict[str, Any]:
    """The members the membership pages list (OpenAPI `getSegmentCount`)."""
    sid = req.int_param(0)
    if not any(s["id"] == sid for s in req.ws.catalog.segments) or req.ctx.is_deleted("segment", sid):
        raise ApiError(404, "segment not found")
    people = req.ws.people
    members = (i for i in people.live() if people.in_segment(i, sid) and not req.ctx.is_deleted("person", i))
    return {"count": sum(1 for _ in members)}


@route("GET", "/v1/segments/{id}/used_by")
def segment_dependencies(req: Req) -> dict[str, Any]:
    """``getSegmentDependencies``: the campaigns and newsletters using a segment, under ``used_by``."""
    sid = req.int_param(0)
    if not any(s["id"] == sid for s in req.ws.catalog.segments) or req.ctx.is_deleted("segment", sid):
        raise ApiError(404, "segment not found")
    return {"used_by": usage.segment_usage(req.ws.catalog, sid)}


@route("GET", "/v1/segments/{id}/membership")
def segment_membership(req: Req) -> dict[str, Any]:
    sid = req.int_param(0)
    if not any(s["id"] == sid for s in req.ws.catalog.segments) or req.ctx.is_deleted("segment", sid):
        raise ApiError(404, "segment not found")
    limit = page_limit(req, "membership")
    scope = f"seg:{sid}"
    state = read_token(req, scope)
    start = int(state["p"]) if state else 0
    if state and state.get("e"):
        return with_next(
            req, {"ids": records(req, []), "identifiers": records(req, [])}, cursors.encode(scope, {"p": start})
        )
    people = req.ws.people
    gen = (i for i in people.live(start) if people.in_segment(i, sid) and not req.ctx.is_deleted("person", i))
    idx, more = take(gen, limit)
    token = None
    if more:
        st: dict[str, Any] = {"p": idx[-1] + 1}
        if req.opts.empty_pages:
            st["e"] = 1
        token = cursors.encode(scope, st)
    if not idx and req.opts.null_records:
        return with_next(req, {"segment_id": sid, "ids": None, "identifiers": None}, token)
    return with_next(
        req,
        {
            "segment_id": sid,
            "ids": [people.person_id(i) or "" for i in idx],
            "identifiers": [people.identifiers(i) for i in idx],
        },
        token,
    )


# -- campaigns, broadcasts, newsletters -------------------------------------------------------------------------
def campaign_or_404(req: Req, cid: int) -> dict[str, Any]:
    c = req.ws.campaign(cid)
    if c is None or req.ctx.is_deleted("campaign", cid):
        raise ApiError(404, "campaign not found")
    return c


def broadcast_or_404(req: Req, bid: int) -> dict[str, Any]:
    b = req.ws.broadcast(bid)
    if b is None or req.ctx.is_deleted("broadcast", bid):
        raise ApiError(404, "broadcast not found")
    return b


def action_or_404(actions: list[dict[str, Any]], aid: int) -> None:
    """An action id the parent (already found) does not hold answers 404, as for a deleted parent."""
    if not any(a["id"] == aid for a in actions):
        raise ApiError(404, "action not found")


def newsletter_or_404(req: Req, nid: int) -> dict[str, Any]:
    n = req.ws.newsletter(nid)
    if n is None or req.ctx.is_deleted("newsletter", nid):
        raise ApiError(404, "newsletter not found")
    return n


@route("GET", "/v1/campaigns")
def list_campaigns(req: Req) -> dict[str, Any]:
    return {"campaigns": [c for c in req.ws.catalog.campaigns if not req.ctx.is_deleted("campaign", c["id"])]}


@route("GET", "/v1/campaigns/{id}")
def get_campaign(req: Req) -> dict[str, Any]:
    return {"campaign": campaign_or_404(req, req.int_param(0))}


@route("GET", "/v1/campaigns/{id}/actions")
def campaign_actions(req: Req) -> dict[str, Any]:
    cid = req.int_param(0)
    campaign_or_404(req, cid)
    actions = req.ws.catalog.campaign_actions[cid]
    page, token = _offset_paging(req, f"cact:{cid}", len(actions), 10)  # fixed page size, no limit parameter
    return with_next(req, {"actions": [{**actions[k], "id": str(actions[k]["id"])} for k in page]}, token)


@route("GET", "/v1/broadcasts")
def list_broadcasts(req: Req) -> dict[str, Any]:
    return {"broadcasts": [b for b in req.ws.catalog.broadcasts if not req.ctx.is_deleted("broadcast", b["id"])]}


@route("GET", "/v1/broadcasts/{id}")
def get_broadcast(req: Req) -> dict[str, Any]:
    return {"broadcast": broadcast_or_404(req, req.int_param(0))}


@route("GET", "/v1/broadcasts/{id}/actions")
def broadcast_actions(req: Req) -> dict[str, Any]:
    bid = req.int_param(0)
    broadcast_or_404(req, bid)
    actions = req.ws.catalog.broadcast_actions[bid]
    if req.opts.broadcast_action_ids_as_strings:
        actions = [{**a, "id": str(a["id"])} for a in actions]
    if not req.opts.paged_broadcast_actions:
        return {"actions": actions}
    page, token = _offset_paging(req, f"bact:{bid}", len(actions), page_limit(req, "broadcast_actions"))
    return with_next(req, {"actions": [actions[k] for k in page]}, token)


@route("GET", "/v1/broadcasts/{id}/triggers")
def broadcast_triggers(req: Req) -> dict[str, Any]:
    """``listBroadcastTriggers``: not paged; a draft broadcast has none; 404 for a deleted broadcast."""
    return {"triggers": triggers.broadcast_triggers(broadcast_or_404(req, req.int_param(0)), req.ws.now)}


@route("GET", "/v1/campaigns/{id}/triggers/{tid}/errors")
def broadcast_trigger_errors(req: Req) -> dict[str, Any]:
    """``broadcastErrors``, under ``/v1/campaigns`` though the id is a broadcast's (as the document spells it):
    paged by ``start``/``limit``/``next``; 404 for a deleted broadcast or a trigger that is not its."""
    bid, tid = req.int_param(0), req.int_param(1)
    found = [t for t in triggers.broadcast_triggers(broadcast_or_404(req, bid), req.ws.now) if t["id"] == tid]
    if not found:
        raise ApiError(404, "trigger not found")
    errors = triggers.trigger_errors(found[0])
    page, token = _offset_paging(req, f"terr:{tid}", len(errors), page_limit(req, "trigger_errors"))
    return with_next(req, {"errors": [errors[k] for k in page]}, token)


@route("GET", "/v1/newsletters")
def list_newsletters(req: Req) -> dict[str, Any]:
    items = [n for n in req.ws.catalog.newsletters if not req.ctx.is_deleted("newsletter", n["id"])]
    page, token = _offset_paging(req, "newsletters", len(items), page_limit(req, "newsletters"))
    return with_next(req, {"newsletters": [items[k] for k in page]}, token)


@route("GET", "/v1/newsletters/{id}")
def get_newsletter(req: Req) -> dict[str, Any]:
    return {"newsletter": newsletter_or_404(req, req.int_param(0))}


@route("GET", "/v1/newsletters/{id}/test_groups")
def newsletter_test_groups(req: Req) -> dict[str, Any]:
    n = newsletter_or_404(req, req.int_param(0))
    groups = req.ws.catalog.test_groups(n)
    if groups is None:
        if req.opts.test_groups_missing == "404":
            raise ApiError(404, "newsletter has no test groups")
        groups = []
    return {"test_groups": groups}


@route("GET", "/v1/newsletters/{id}/contents")
def newsletter_variants(req: Req) -> dict[str, Any]:
    """Not paged (``listNewsletterVariants`` has no paging parameters); 404 for a deleted newsletter."""
    return {"contents": req.ws.catalog.newsletter_variants(newsletter_or_404(req, req.int_param(0)))}


# -- metrics ----------------------------------------------------------------------------------------------------
def _metric_body(req: Req, counts: list[int]) -> dict[str, Any]:
    series = derive(counts)
    metric: dict[str, Any] = {"series": series}
    if req.opts.metric_totals:
        metric["totals"] = {k: sum(v) for k, v in series.items()}
    return {"metric": metric}


def metrics_v1(req: Req, kind: str, pid: int, sub: int | None) -> dict[str, Any]:
    return _metric_body(req, req.ws.metric_counts(kind, pid, sub, _v1_bounds(req)))


def _v1_bounds(req: Req) -> list[int]:
    """The step boundaries that ``period`` and ``steps`` ask for, the last step being the current period."""
    period = req.arg("period") or "days"
    if period not in PERIODS:
        raise ApiError(400, f"period must be one of {', '.join(PERIODS)}")
    steps = req.int_arg("steps")
    maximum = V1_MAX_STEPS[period]
    if steps is None:
        steps = V1_DEFAULT_STEPS[period]
    elif steps < 0:
        raise ApiError(400, "steps must not be negative")
    elif steps == 0:
        steps = maximum
    steps = max(2, min(steps, maximum))
    current = period_floor(req.ctx.now(), period)
    first = period_add(current, period, -(steps - 1))
    return [period_add(first, period, k) for k in range(steps + 1)]


def link_metrics(req: Req, kind: str, pid: int, sub: int | None) -> dict[str, Any]:
    """``…/metrics/links``: per link of the parent, its clicks per step (version 1 ``period`` and ``steps``);
    ``unique=true`` counts each person once."""
    counts = req.ws.metric_counts(kind, pid, sub, _v1_bounds(req))
    once = 2 if (req.arg("unique") or "false").lower() == "true" else 1
    return {
        "links": [
            {"link": link, "metric": {"series": {"clicked": [sent // every // once for sent in counts]}}}
            for link, every in req.ws.catalog.links(pid, sub)
        ]
    }


def metrics_v2(req: Req, pid: int, sub: int | None, created: int) -> dict[str, Any]:
    if not req.arg("version"):
        raise ApiError(400, "version is required")
    return _metric_body(req, req.ws.metric_counts("campaign", pid, sub, _v2_bounds(req, created)))


def journey_metrics(req: Req, cid: int, created: int) -> dict[str, Any]:
    """``campaignJourneyMetrics``: the version-2 range (``res``, ``start``, ``end``, no ``version``), counts of
    people through the campaign per step, derived from the campaign's deliveries."""
    counts = req.ws.metric_counts("campaign", cid, None, _v2_bounds(req, created))
    activated = [c * 4 // 5 for c in counts]
    return {
        "journey_metric": {
            "started": counts,
            "activated": activated,
            "exited_early": [c // 10 for c in counts],
            "finished": [a - c // 10 for a, c in zip(activated, counts, strict=True)],
            "converted": [c // 20 for c in counts],
            "never_activated": [c - a for a, c in zip(activated, counts, strict=True)],
            "messaged": activated,
        }
    }


def _v2_bounds(req: Req, created: int) -> list[int]:
    """The step boundaries of ``res`` from ``start`` (default: the parent's creation) to ``end`` (default: now)."""
    res = RES_ALIASES.get(req.arg("res") or "days")
    if res is None:
        raise ApiError(400, "res must be one of hours, days, weeks, months")
    start = req.int_arg("start")
    end = req.int_arg("end")
    end = req.ctx.now() if end is None else end
    start = created if start is None else start
    if end < start:
        raise ApiError(400, "end must not be before start")
    if end - start > TEN_YEARS:
        if not req.opts.truncate_metrics_span:
            raise ApiError(400, "the requested range is limited to 10 years")
        start = end - TEN_YEARS
    n = periods_between(start, end, res)
    first = period_floor(start, res)
    return [period_add(first, res, k) for k in range(n + 1)]


@route("GET", "/v1/broadcasts/{id}/metrics")
def broadcast_metrics(req: Req) -> dict[str, Any]:
    bid = req.int_param(0)
    broadcast_or_404(req, bid)
    return metrics_v1(req, "broadcast", bid, None)


@route("GET", "/v1/broadcasts/{id}/actions/{aid}/metrics")
def broadcast_action_metrics(req: Req) -> dict[str, Any]:
    bid, aid = req.int_param(0), req.int_param(1)
    broadcast_or_404(req, bid)
    action_or_404(req.ws.catalog.broadcast_actions[bid], aid)
    return metrics_v1(req, "broadcast", bid, aid)


@route("GET", "/v1/broadcasts/{id}/metrics/links")
def broadcast_link_metrics(req: Req) -> dict[str, Any]:
    bid = req.int_param(0)
    broadcast_or_404(req, bid)
    return link_metrics(req, "broadcast", bid, None)


@route("GET", "/v1/broadcasts/{id}/actions/{aid}/metrics/links")
def broadcast_action_link_metrics(req: Req) -> dict[str, Any]:
    bid, aid = req.int_param(0), req.int_param(1)
    broadcast_or_404(req, bid)
    action_or_404(req.ws.catalog.broadcast_actions[bid], aid)
    return link_metrics(req, "broadcast", bid, aid)


@route("GET", "/v1/newsletters/{id}/metrics/links")
def newsletter_link_metrics(req: Req) -> dict[str, Any]:
    nid = req.int_param(0)
    newsletter_or_404(req, nid)
    return link_metrics(req, "newsletter", nid, None)


@route("GET", "/v1/newsletters/{id}/metrics")
def newsletter_metrics(req: Req) -> dict[str, Any]:
    nid = req.int_param(0)
    newsletter_or_404(req, nid)
    return metrics_v1(req, "newsletter", nid, None)


@route("GET", "/v1/newsletters/{id}/contents/{cid}/metrics")
def newsletter_variant_metrics(req: Req) -> dict[str, Any]:
    """Version-1 metrics of one content (``getVariantMetrics``); 404 for a deleted newsletter or a content
    that is not the newsletter's."""
    nid, content = req.int_param(0), req.int_param(1)
    if content not in newsletter_or_404(req, nid)["content_ids"]:
        raise ApiError(404, "content not found")
    return metrics_v1(req, "newsletter", nid, content)


def transactional_or_404(req: Req, tid: int) -> None:
    if req.ws.parent("transactional", tid) is None or req.ctx.is_deleted("transactional", tid):
        raise ApiError(404, "transactional message not found")


@route("GET", "/v1/transactional/{id}/metrics")
def transactional_metrics(req: Req) -> dict[str, Any]:
    """Version-1 metrics (``transactionalMetrics``: ``period`` and ``steps``); 404 for a deleted message."""
    tid = req.int_param(0)
    transactional_or_404(req, tid)
    return metrics_v1(req, "transactional", tid, None)


@route("GET", "/v1/transactional/{id}/metrics/links")
def transactional_link_metrics(req: Req) -> dict[str, Any]:
    tid = req.int_param(0)
    transactional_or_404(req, tid)
    return link_metrics(req, "transactional", tid, None)


@route("GET", "/v1/campaigns/{id}/metrics/links")
def campaign_link_metrics(req: Req) -> dict[str, Any]:
    cid = req.int_param(0)
    campaign_or_404(req, cid)
    return link_metrics(req, "campaign", cid, None)


@route("GET", "/v1/campaigns/{id}/actions/{aid}/metrics/links")
def campaign_action_link_metrics(req: Req) -> dict[str, Any]:
    cid, aid = req.int_param(0), req.int_param(1)
    campaign_or_404(req, cid)
    action_or_404(req.ws.catalog.campaign_actions[cid], aid)
    return link_metrics(req, "campaign", cid, aid)


@route("GET", "/v1/campaigns/{id}/journey_metrics")
def campaign_journey_metrics(req: Req) -> dict[str, Any]:
    cid = req.int_param(0)
    return journey_metrics(req, cid, campaign_or_404(req, cid)["created"])


@route("GET", "/v1/campaigns/{id}/metrics")
def campaign_metrics(req: Req) -> dict[str, Any]:
    cid = req.int_param(0)
    c = campaign_or_404(req, cid)
    return metrics_v2(req, cid, None, c["created"])


@route("GET", "/v1/campaigns/{id}/actions/{aid}/metrics")
def campaign_action_metrics(req: Req) -> dict[str, Any]:
    cid, aid = req.int_param(0), req.int_param(1)
    c = campaign_or_404(req, cid)
    action_or_404(req.ws.catalog.campaign_actions[cid], aid)
    return metrics_v2(req, cid, aid, c["created"])


# -- settings lists ---------------------------------------------------------------------------------------------
@route("GET", "/v1/collections")
def list_collections(req: Req) -> dict[str, Any]:
    return {"collections": req.ws.catalog.collections}


@route("GET", "/v1/collections/{id}/content")
def collection_content(req: Req) -> list[Any]:
    """The collection's ``data`` as the response itself, not under a key; 404 for a deleted collection."""
    cid = req.int_param(0)
    found = next((c for c in req.ws.catalog.collections if c["id"] == cid), None)
    if found is None or req.ctx.is_deleted("collection", cid):
        raise ApiError(404, "collection not found")
    return req.ws.catalog.collection_content(found)


@route("GET", "/v1/exports")
def list_exports(req: Req) -> dict[str, Any]:
    return {"exports": req.ws.catalog.exports}


@route("GET", "/v1/esp/suppression/{type}")
def esp_suppressions(req: Req) -> dict[str, Any]:
    """Paged by ``offset`` and ``limit`` (default 100, maximum 1000), without ``next``: a page shorter than
    ``limit`` is the last (``getSuppressionByType``). A type outside the OpenAPI enum is 404."""
    kind = req.params[0]
    people = req.ws.people
    if kind not in people.SUPPRESSIONS:
        raise ApiError(404, f"unknown suppression type {kind!r}")
    limit = page_limit(req, "suppressions")
    offset = req.int_arg("offset") or 0
    if offset < 0:
        raise ApiError(400, "offset must not be negative")
    page = people.suppressed(kind)[offset : offset + limit]
    return {"category": people.SUPPRESSIONS[kind][0], "suppressions": [people.suppression(kind, i) for i in page]}


@route("GET", "/v1/snippets")
def list_snippets(req: Req) -> dict[str, Any]:
    """Not paged: the OpenAPI document (`listSnippets`) has no `limit`, `start` or `next` here."""
    return {"snippets": req.ws.catalog.snippets}


@route("GET", "/v1/info/ip_addresses")
def ip_addresses(req: Req) -> dict[str, Any]:
    return {"ip_addresses": req.ws.catalog.ip_addresses}


@route("GET", "/v1/object_types")
def object_types(req: Req) -> dict[str, Any]:
    return {"types": req.ws.objects.type_records()}


@route("GET", "/v1/reporting_webhooks")
def reporting_webhooks(req: Req) -> dict[str, Any]:
    return {"reporting_webhooks": req.ws.catalog.webhooks}


@route("GET", "/v1/sender_identities")
def sender_identities(req: Req) -> dict[str, Any]:
    raw = (req.arg("hidden") or "false").lower()
    if raw not in ("true", "false"):
        raise ApiError(400, "hidden must be true or false")
    hidden = raw == "true"
    senders = req.ws.catalog.senders
    if not hidden:
        items = [s for s in senders if not s["hidden"]]
    elif req.opts.sender_hidden == "only":
        items = [s for s in senders if s["hidden"]]
    else:
        items = list(senders)
    page, token = _offset_paging(req, f"snd:{int(hidden)}", len(items), page_limit(req, "sender_identities"))
    return with_next(req, {"sender_identities": [items[k] for k in page]}, token)


@route("GET", "/v1/sender_identities/{id}/used_by")
def sender_identity_usage(req: Req) -> dict[str, Any]:
    """``getSenderUsage``: the campaigns and newsletters sending from a sender, at the top level (no
    ``used_by`` here); hidden senders answer too."""
    sender = req.int_param(0)
    if not any(s["id"] == sender for s in req.ws.catalog.senders):
        raise ApiError(404, "sender identity not found")
    return usage.sender_usage(req.ws.catalog, sender)


@route("GET", "/v1/optouts")
def list_optouts(req: Req) -> dict[str, Any]:
    """SMS/WhatsApp opt-outs, one record per person, paged by ``start``/``limit`` (maximum 1000, clamped); the
    last page has no ``next`` key at all (observed, and allowed by the docs: "absent or empty")."""
    people = req.ws.people
    listed = [i for i in optouts.opted_out(people) if not req.ctx.is_deleted("person", i)]
    page, token = _offset_paging(req, "optouts", len(listed), page_limit(req, "optouts"))
    body: dict[str, Any] = {"optouts": [optouts.record(people, listed[k]) for k in page]}
    if token:
        body["next"] = token
    return body


@route("GET", "/v1/subscription_channels")
def subscription_channels(req: Req) -> dict[str, Any]:
    """Not paged; the records key is ``channels``."""
    return {"channels": req.ws.catalog.channels}


_DESIGN_FILTERS = ("updated_after", "updated_before", "created_after", "created_before")


def _design_studio(req: Req, key: str, items: list[dict[str, Any]], extra: tuple[str, ...]) -> dict[str, Any]:
    """A Design Studio listing: paged by ``page`` (from 1) and ``limit`` (default 1000, 1 to 10000, else 400),
    no ``next``: ``meta.pagination.total`` counts the matching items; ``updated_*``/``created_*`` bounds are
    exclusive; ``parent_folder_id`` narrows to a folder (404 if unknown), with ``direct_descendants_only`` to
    its direct children; by default every item, nested ones included."""
    page, limit = req.int_arg("page"), req.int_arg("limit")
    page, limit = 1 if page is None else page, 1000 if limit is None else limit
    if page < 1:
        raise ApiError(400, "page must be an integer >= 1")
    if not 1 <= limit <= 10000:
        raise ApiError(400, "limit must be an integer between 1 and 10000")
    bounds = {name: req.int_arg(name) for name in _DESIGN_FILTERS}
    kept = [item for item in items if _within(item, bounds)]
    kept = _in_folder(req, kept)
    chosen = kept[(page - 1) * limit : page * limit]
    filters: dict[str, Any] = {"parent_folder_id": req.arg("parent_folder_id"),
                               "direct_descendants_only": req.arg("direct_descendants_only") == "true",
                               "sort_by": "created", "sort_order": "asc", **bounds}  # fmt: skip
    body: dict[str, Any] = {key: chosen}
    if key != "folders":  # the folders the items belong to, beside them
        used = {item["parent_folder_id"] for item in chosen}
        body["folders"] = [f for f in _folders(req) if f["id"] in used]
    body["meta"] = {"pagination": {"page": page, "limit": limit, "total": len(kept)},
                    "filters": {**filters, **{name: req.arg(name) for name in extra}}}  # fmt: skip
    return body


def _within(item: dict[str, Any], bounds: dict[str, int | None]) -> bool:
    for name, bound in bounds.items():
        field, side = name.split("_")
        if bound is not None and (item[field] <= bound if side == "after" else item[field] >= bound):
            return False
    return True


def _in_folder(req: Req, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    folder = req.arg("parent_folder_id")
    direct = req.arg("direct_descendants_only") == "true"
    if folder is None:
        return [i for i in items if i["parent_folder_id"] is None] if direct else items
    every = _folders(req)
    if not any(f["id"] == folder for f in every):
        raise ApiError(404, "parent folder not found")
    scope = {folder}
    while not direct and (deeper := {f["id"] for f in every if f["parent_folder_id"] in scope} - scope):
        scope |= deeper
    return [i for i in items if i["parent_folder_id"] in scope]


def _folders(req: Req) -> list[dict[str, Any]]:
    return design_studio.folders(req.ws.spec.seed, req.ws.catalog.t0)


def _emails(req: Req) -> list[dict[str, Any]]:
    return design_studio.emails(req.ws.spec.seed, req.ws.catalog.t0, req.ws.now)


@route("GET", "/v1/design_studio/folders")
def design_studio_folders(req: Req) -> dict[str, Any]:
    return _design_studio(req, "folders", _folders(req), ())


@route("GET", "/v1/design_studio/emails")
def design_studio_emails(req: Req) -> dict[str, Any]:
    return _design_studio(req, "emails", _emails(req), ("is_template", "has_translations", "is_linked"))


@route("GET", "/v1/design_studio/emails/{id}")
def design_studio_email(req: Req) -> dict[str, Any]:
    """One email with its content (``getEmail``); 404 for an unknown id."""
    found = [e for e in _emails(req) if e["id"] == req.params[0]]
    if not found:
        raise ApiError(404, "email not found")
    return {"email": design_studio.email_detail(found[0])}


@route("GET", "/v1/design_studio/components")
def design_studio_components(req: Req) -> dict[str, Any]:
    items = design_studio.components(req.ws.spec.seed, req.ws.catalog.t0, req.ws.now)
    return _design_studio(req, "components", items, ("tag",))


@route("GET", "/v1/subscription_topics")
def subscription_topics(req: Req) -> dict[str, Any]:
    return {"topics": req.ws.catalog.topics}


@route("GET", "/v1/transactional")
def transactional(req: Req) -> dict[str, Any]:
    return {"messages": req.ws.catalog.transactional}


@route("GET", "/v1/transactional/{id}/contents")
def transactional_variants(req: Req) -> dict[str, Any]:
    """Not paged (``listTransactionalVariants``); 404 for a deleted transactional message."""
    tid = req.int_param(0)
    found = next((t for t in req.ws.catalog.transactional if t["id"] == tid), None)
    if found is None or req.ctx.is_deleted("transactional", tid):
        raise ApiError(404, "transactional message not found")
    return {"contents": req.ws.catalog.transactional_variants(found)}


@route("GET", "/v1/workspaces")
def workspaces(req: Req) -> dict[str, Any]:
    return {"workspaces": req.ws.workspace_list()}
