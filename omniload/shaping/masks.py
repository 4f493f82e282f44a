"""`--mask column:algorithm[:param]`: ingestr's masking algorithms (its data-masking page), each on one non-null
value, so PII never leaves the machine unmasked (README "Shaping what lands"). The algorithms whose tokens change
from run to run are refused, with the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from omniload.errors import UsageError

Masker = Callable[[Any], Any]


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value))


def _partial(value: Any, shown: int) -> str:
    text = str(value)
    if len(text) <= shown * 2:
        return "*" * len(text)
    return text[:shown] + "*" * (len(text) - shown * 2) + text[-shown:]


def _email(value: Any) -> str:
    text = str(value)
    if "@" not in text:
        return _partial(text, 2)
    local, domain = text.split("@", 1)
    hidden = "*" * len(local) if len(local) <= 2 else local[0] + "*" * (len(local) - 2) + local[-1]
    return f"{hidden}@{domain}"


def _phone(value: Any) -> str:
    digits = _digits(value)
    return digits[:3] + "-***-****" if len(digits) >= 10 else "*" * len(digits)


def _credit_card(value: Any) -> str:
    digits = _digits(value)
    return "*" * (len(digits) - 4) + digits[-4:] if len(digits) >= 12 else "*" * len(digits)


def _ssn(value: Any) -> str:
    digits = _digits(value)
    return "***-**-" + digits[-4:] if len(digits) == 9 else "*" * len(digits)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _round(value: Any, step: int) -> Any:
    number = _number(value)
    if number is None:
        return value
    rounded = round(number / step) * step
    return int(rounded) if isinstance(value, int) else rounded


def _range(value: Any, step: int) -> Any:
    number = _number(value)
    if number is None:
        return value
    lower = int(number // step) * step
    return f"{lower}-{lower + step}"


def _whole(param: str | None, default: int, entry: str) -> int:
    if param is None:
        return default
    if not param.isdigit() or int(param) == 0:
        raise UsageError(f"--mask {entry!r}: the parameter must be a whole number above 0")
    return int(param)


def _needed(param: str | None, entry: str, what: str) -> str:
    if not param:
        raise UsageError(f"--mask {entry!r} needs {what}: column:algorithm:{what.split()[-1]}")
    return param


def _masker(algorithm: str, param: str | None, entry: str) -> Masker:
    """ingestr's masking algorithms by name (its data-masking page), each on one non-null value."""
    match algorithm:
        case "hash" | "sha256":
            return lambda v: hashlib.sha256(str(v).encode()).hexdigest()
        case "md5":
            return lambda v: hashlib.md5(str(v).encode()).hexdigest()
        case "hmac":
            key = _needed(param, entry, "a secret key").encode()
            return lambda v: hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()
        case "redact":
            return lambda v: "REDACTED"
        case "stars":
            return lambda v: "*" * len(str(v))
        case "fixed":
            replacement = param or "MASKED"
            return lambda v: replacement
        case "partial":
            shown = _whole(param, 2, entry)
            return lambda v: _partial(v, shown)
        case "first_letter":
            return lambda v: str(v)[:1] + "*" * (len(str(v)) - 1)
        case "email":
            return _email
        case "phone":
            return _phone
        case "credit_card":
            return _credit_card
        case "ssn":
            return _ssn
        case "round":
            step = _whole(param, 10, entry)
            return lambda v: _round(v, step)
        case "range":
            step = _whole(param, 100, entry)
            return lambda v: _range(v, step)
    if algorithm in _NOT_HERE:
        raise UsageError(f"--mask {entry!r}: {algorithm} is not supported by omniload: {_NOT_HERE[algorithm]}")
    raise UsageError(f"--mask {entry!r}: unknown algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")


ALGORITHMS = (
    "hash",
    "sha256",
    "md5",
    "hmac",
    "redact",
    "stars",
    "fixed",
    "partial",
    "first_letter",
    "email",
    "phone",
    "credit_card",
    "ssn",
    "round",
    "range",
    "null",
)
#: ingestr algorithms omniload refuses, and why (README "Shaping what lands").
_NOT_HERE = {
    "uuid": "its tokens are new on every run, so merges and joins across runs break; use hash or hmac",
    "sequential": "its tokens are new on every run, so merges and joins across runs break; use hash or hmac",
    "random": "random values change on every run; use redact, stars or null",
    "noise": "random values change on every run; use round or range",
    "date_shift": "random values change on every run; use --columns to keep a date and round",
    "year_only": "Customer.io times are Unix seconds; use round:31536000 or --columns name:date",
    "month_year": "Customer.io times are Unix seconds; use --columns name:date",
}


@dataclass(frozen=True)
class Mask:
    """One `--mask column:algorithm[:param]`; nulls stay null (they hold nothing to hide)."""

    column: str
    algorithm: str
    param: str | None = None

    @classmethod
    def parse(cls, entry: str) -> Mask:
        column, _, rest = entry.strip().partition(":")
        algorithm, _, param = rest.partition(":")
        if not column.strip() or not algorithm.strip():
            raise UsageError(f"--mask {entry!r} must look like column:algorithm[:param], e.g. email:hash")
        mask = cls(column.strip(), algorithm.strip().lower(), param or None)
        if mask.algorithm != "null":
            _masker(mask.algorithm, mask.param, entry)  # checks the algorithm and its parameter now
        return mask

    def apply(self, array: pa.Array) -> pa.Array:
        if self.algorithm == "null":
            return pa.nulls(len(array), array.type)
        masker = _masker(self.algorithm, self.param, self.column)
        values = [None if value is None else masker(value) for value in array.to_pylist()]
        if self.algorithm == "round" and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
            return pa.array(values, array.type)
        return pa.array([None if v is None else str(v) for v in values], pa.string())
