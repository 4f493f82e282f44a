"""The `customerio://` URI: what the user may set and how each setting is checked."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from omniload.errors import UsageError

REGION_HOSTS = {"us": "https://api.customer.io", "eu": "https://api-eu.customer.io"}
DEFAULT_RATE_LIMIT = 10.0
#: Where the key comes from when the URI has none, so it need not appear in argv or shell history.
API_KEY_VARIABLE = "CUSTOMERIO_API_KEY"
PARAMETERS = (
    "api_key",
    "region",
    "base_url",
    "rate_limit",
    "lookback_days",
    "retry_budget",
    "timeout",
    "full_refresh_days",
    "design_studio_content",
    "message_contents_per_day",
    "unnamed_budget",
)


@dataclass(frozen=True)
class CustomerIOConfig:
    api_key: str
    region: str
    base_url: str
    rate_limit: float
    lookback_days: int
    retry_budget: float = 600.0  # seconds one request may spend retrying and waiting (Retry-After included)
    timeout: float = 60.0  # each request's total deadline, in seconds
    full_refresh_days: int = 7  # tables refreshed from the change feed are read whole at least this often
    design_studio_content: bool = False  # read each Design Studio email's content: a request per email
    message_contents_per_day: int = 100  # archived messages omniload may fetch a day (the API allows 100)
    unnamed_budget: int = 1000  # requests a table may spend a run finding the people of rows naming nobody

    @property
    def custom_host(self) -> bool:
        return self.base_url != REGION_HOSTS[self.region]


def parse_uri(uri: str) -> CustomerIOConfig:
    """`customerio://?api_key=KEY&region=us|eu[&base_url=…][&rate_limit=…][&lookback_days=…][&retry_budget=…]
    [&timeout=…][&full_refresh_days=…][&design_studio_content=true][&message_contents_per_day=…]
    [&unnamed_budget=…]`."""
    parts = urlsplit(uri)
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - set(PARAMETERS))
    if unknown:
        raise UsageError(
            f"unknown customerio:// parameter {', '.join(unknown)}; known parameters: {', '.join(PARAMETERS)}"
        )
    api_key = (query.get("api_key") or os.environ.get(API_KEY_VARIABLE, "")).strip()
    if not api_key:
        raise UsageError(
            f"customerio:// needs an App API key: customerio://?api_key=<key>&region=us, or {API_KEY_VARIABLE} "
            "in the environment (create one under Account Settings > API Credentials)"
        )
    region = (query.get("region") or "us").strip().lower()
    if region not in REGION_HOSTS:
        raise UsageError(f"unknown Customer.io region {region!r}: use region=us or region=eu")
    base_url = query.get("base_url") or REGION_HOSTS[region]
    _check_base_url(base_url)
    return CustomerIOConfig(
        api_key=api_key,
        region=region,
        base_url=base_url.rstrip("/"),
        rate_limit=_positive_number(query, "rate_limit", DEFAULT_RATE_LIMIT),
        lookback_days=int(_positive_number(query, "lookback_days", 30, allow_zero=True)),
        retry_budget=_positive_number(query, "retry_budget", 600.0),
        timeout=_positive_number(query, "timeout", 60.0),
        full_refresh_days=int(_positive_number(query, "full_refresh_days", 7, allow_zero=True)),
        design_studio_content=_flag(query, "design_studio_content"),
        message_contents_per_day=_at_most(query, "message_contents_per_day", 100),
        unnamed_budget=int(_positive_number(query, "unnamed_budget", 1000, allow_zero=True)),
    )


def _check_base_url(base_url: str) -> None:
    """The key travels in a header, so plain http is allowed only where nothing leaves the machine."""
    try:
        parts = urlsplit(base_url)
        hostname = parts.hostname if parts.port is None or parts.port > 0 else None
    except ValueError:  # an unclosed IPv6 bracket, a bad port
        hostname = None
    if hostname is None or parts.scheme not in ("http", "https"):
        raise UsageError(f"base_url must be an http(s) URL such as https://api.customer.io, not {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(hostname):
        raise UsageError(
            f"refusing to send the API key over plain http to {hostname}: use https "
            "(plain http is allowed only for loopback addresses)"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _positive_number(query: dict[str, str], name: str, default: float, allow_zero: bool = False) -> float:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {raw!r}") from None
    if value < 0 or (value == 0 and not allow_zero):
        raise UsageError(f"{name} must be {'zero or more' if allow_zero else 'more than zero'}, not {raw!r}")
    return value


def _flag(query: dict[str, str], name: str) -> bool:
    raw = (query.get(name) or "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise UsageError(f"{name} must be true or false, not {query.get(name)!r}")
    return raw in ("true", "1")


def _at_most(query: dict[str, str], name: str, maximum: int) -> int:
    """A whole number from 0 to `maximum` (a share of a daily allowance), `maximum` when absent."""
    raw = query.get(name)
    if raw is None or raw == "":
        return maximum
    if not raw.isdigit() or int(raw) > maximum:
        raise UsageError(f"{name} must be a whole number from 0 to {maximum}, not {raw!r}")
    return int(raw)
