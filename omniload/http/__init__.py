"""One HTTP client for every source: auth, a deadline per request, retries within a budget, and one rate limiter
shared by all threads (README "Loading Customer.io": `rate_limit`, `retry_budget`, `timeout`).

The parts live in their own modules (`client`, `limiter`, `retry`, `deadline`, `auth`, `failures`); a source
needs only what this package exports: `HttpClient`, an `httpx.Auth` such as `BearerToken`, and its own
`ErrorDescription`.
"""

from omniload.http.auth import BearerToken
from omniload.http.client import HttpClient, RequestStats
from omniload.http.failures import ErrorDescription, GenericErrors
from omniload.http.limiter import RATE_CLIMB, RATE_DROP, RATE_FLOOR, RATE_MARGIN, RateLimiter
from omniload.http.retry import LONG_WAIT, RETRIABLE_STATUSES, Delay, RetryPolicy, parse_retry_after

__all__ = [
    "LONG_WAIT",
    "RATE_CLIMB",
    "RATE_DROP",
    "RATE_FLOOR",
    "RATE_MARGIN",
    "RETRIABLE_STATUSES",
    "BearerToken",
    "Delay",
    "ErrorDescription",
    "GenericErrors",
    "HttpClient",
    "RateLimiter",
    "RequestStats",
    "RetryPolicy",
    "parse_retry_after",
]
