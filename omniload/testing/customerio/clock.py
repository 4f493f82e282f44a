"""Time rules shared by the data generator, the windows and the metrics endpoints.

The reporting time zone is fixed at UTC-05:00 without daylight saving; the client uses the same rule, so
period boundaries computed here and there agree to the second.
"""

from __future__ import annotations

import calendar
import threading
import time
from collections.abc import Callable

EST_OFFSET = -5 * 3600
DAY = 86400
#: The fake's one definition of a "month" for delivery windows; tests probe the window edges with it.
MONTH_SECONDS = 30 * DAY
#: "limited to 10 years" on version 2 metrics; 3653 days covers the leap days of any decade.
TEN_YEARS = 3653 * DAY

PERIODS = ("hours", "days", "weeks", "months")
V1_MAX_STEPS = {"hours": 24, "days": 45, "weeks": 12, "months": 121}
V1_DEFAULT_STEPS = {"hours": 24, "days": 45, "weeks": 12, "months": 12}
RES_ALIASES = {
    "hours": "hours",
    "hourly": "hours",
    "days": "days",
    "daily": "days",
    "weeks": "weeks",
    "weekly": "weeks",
    "months": "months",
    "monthly": "months",
}


def period_floor(ts: int, period: str) -> int:
    """Start (UTC seconds) of the reporting period containing ``ts``."""
    if period == "hours":
        return ts - ts % 3600
    local = ts + EST_OFFSET
    day_start = local - local % DAY
    if period == "days":
        return day_start - EST_OFFSET
    if period == "weeks":
        # 1970-01-01 was a Thursday; weekday index with Sunday = 0 is (days + 4) % 7.
        days = day_start // DAY
        return day_start - ((days + 4) % 7) * DAY - EST_OFFSET
    if period == "months":
        y, m, _ = time.gmtime(day_start)[:3]
        return calendar.timegm((y, m, 1, 0, 0, 0)) - EST_OFFSET
    raise ValueError(period)


def period_add(start: int, period: str, n: int) -> int:
    """Move a period start by ``n`` periods (calendar months for ``months``)."""
    if period == "hours":
        return start + n * 3600
    if period == "days":
        return start + n * DAY
    if period == "weeks":
        return start + n * 7 * DAY
    if period == "months":
        y, m = time.gmtime(start + EST_OFFSET)[:2]
        idx = y * 12 + (m - 1) + n
        return calendar.timegm((idx // 12, idx % 12 + 1, 1, 0, 0, 0)) - EST_OFFSET
    raise ValueError(period)


def periods_between(start: int, end: int, period: str) -> int:
    """Number of periods from the one containing ``start`` to the one containing ``end`` (inclusive)."""
    first, last = period_floor(start, period), period_floor(end, period)
    if last < first:
        return 0
    if period == "months":
        y1, m1 = time.gmtime(first + EST_OFFSET)[:2]
        y2, m2 = time.gmtime(last + EST_OFFSET)[:2]
        return (y2 * 12 + m2) - (y1 * 12 + m1) + 1
    step = {"hours": 3600, "days": DAY, "weeks": 7 * DAY}[period]
    return (last - first) // step + 1


class Clock:
    """The fake's "now": fixed, the wall clock, or a start value that ticks with real time.

    A workspace built for a fixed past date is served with a ticking clock anchored at that date, so the 30-day
    activity cut-off and the default windows line up with the data instead of with today's date. ``shift``
    moves any of the three on by whole days as the workspace advances (``Workspace.advance_days``).
    """

    def __init__(self, anchor: int | None = None) -> None:
        self._lock = threading.Lock()
        self._fixed: int | None = None
        self._anchor = anchor
        self._mono0 = time.monotonic()
        self._source: Callable[[], float] = time.time
        self._offset = 0

    def set_now(self, ts: int | float | None) -> None:
        """Freeze the clock at ``ts``; ``None`` returns to the live wall clock."""
        with self._lock:
            self._fixed = None if ts is None else int(ts)
            self._anchor = None
            self._offset = 0

    def anchor(self, ts: int) -> None:
        """Tick from ``ts`` at real speed."""
        with self._lock:
            self._fixed = None
            self._anchor = int(ts)
            self._mono0 = time.monotonic()
            self._offset = 0

    def shift(self, seconds: int) -> None:
        """Move the clock ``seconds`` on, whether fixed, anchored or live."""
        with self._lock:
            self._offset += int(seconds)

    def now(self) -> int:
        with self._lock:
            if self._fixed is not None:
                return self._fixed + self._offset
            if self._anchor is not None:
                return self._anchor + int(time.monotonic() - self._mono0) + self._offset
            return int(self._source()) + self._offset

    def __call__(self) -> int:
        return self.now()
