"""The search filter grammars of POST /v1/customers and POST /v1/objects, compiled to predicates.

Malformed filters raise ``ValueError`` so the route can answer 400 rather than silently matching nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .people import Objects, People

Pred = Callable[[int], bool]


def _combine(node: dict[str, Any], compile_one: Callable[[Any], Pred]) -> Pred | None:
    if "and" in node or "or" in node:
        key = "and" if "and" in node else "or"
        items = node[key]
        if not isinstance(items, list) or not items:
            raise ValueError(f"'{key}' needs a non-empty list")
        preds = [compile_one(x) for x in items]
        if key == "and":
            return lambda i: all(p(i) for p in preds)
        return lambda i: any(p(i) for p in preds)
    if "not" in node:
        inner = compile_one(node["not"])
        return lambda i: not inner(i)
    return None


def _condition(spec: Any, get: Callable[[int, str], str | None]) -> Pred:
    if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
        raise ValueError("condition needs a field")
    field, op = spec["field"], spec.get("operator")
    if op == "exists":
        return lambda i: get(i, field) is not None
    if op == "eq":
        if "value" not in spec:
            raise ValueError("eq needs a value")
        want = str(spec["value"]).lower() if isinstance(spec["value"], bool) else str(spec["value"])
        return lambda i: get(i, field) == want
    raise ValueError(f"unknown operator {op!r}")


def people_filter(node: Any, people: People) -> Pred:
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError("filter must be an object with one key")
    combined = _combine(node, lambda x: people_filter(x, people))
    if combined is not None:
        return combined
    if "segment" in node:
        seg = node["segment"]
        if not isinstance(seg, dict) or not isinstance(seg.get("id"), int):
            raise ValueError("segment needs an integer id")
        sid = seg["id"]
        return lambda i: people.in_segment(i, sid)
    if "attribute" in node:
        return _condition(node["attribute"], people.attribute)
    raise ValueError(f"unknown filter key {next(iter(node))!r}")


def object_filter(node: Any, objects: Objects, type_id: int) -> Pred:
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError("filter must be an object with one key")
    combined = _combine(node, lambda x: object_filter(x, objects, type_id))
    if combined is not None:
        return combined
    if "object_attribute" in node:
        return _condition(node["object_attribute"], lambda j, f: objects.attributes(type_id, j).get(f))
    raise ValueError(f"unknown filter key {next(iter(node))!r}")
