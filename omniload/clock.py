"""The run's "now", from one place: `OMNILOAD_NOW` (Unix seconds) when set, else the wall clock.

Tests and benchmarks run omniload against a fake workspace that lives on its own day (the fake's clock,
docs/contract/customerio/changes.md section 6); setting `OMNILOAD_NOW` to that clock makes a run on the fake's
day N behave as it would on that night: cursors, look-back windows and the change feed's watermark all read it.
"""

from __future__ import annotations

import os
import time

from omniload.errors import UsageError

VARIABLE = "OMNILOAD_NOW"


def now() -> int:
    """Unix seconds: `OMNILOAD_NOW` if set, else the current time."""
    value = os.environ.get(VARIABLE, "").strip()
    if not value:
        return int(time.time())
    try:
        return int(float(value))
    except ValueError:
        raise UsageError(f"{VARIABLE}={value!r} is not a time in Unix seconds") from None
