"""The words and times a user reads, each written once: a list of names cut short, the first line of an error,
a UTC time stamp, durations, and plain-text columns. The CLI, the run's lines and its summary, the plan and the
sources' messages all say these things the same way (README "What the demo prints", "A plan before the run").
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import UTC, datetime


def listed(names: Sequence[str], shown: int = 5) -> str:
    """`a, b, c` — or, past `shown` names, `a, b, c, d, e and 3 more`."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def first_line(error: BaseException) -> str:
    """The first non-empty line of an error's message, stripped; empty when it says nothing."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else ""


def utc_stamp(at: float | None = None) -> str:
    """A moment (Unix seconds; now when None) as ISO 8601 in UTC to the second: `2026-01-31T08:00:00Z`."""
    moment = datetime.now(UTC) if at is None else datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def clock(seconds: float) -> str:
    """Time on a running clock: `0:42`, `12:05`, `1:02:03`."""
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def duration(seconds: float | None) -> str:
    """An estimate in words: `0.4 s`, `42 s`, `12 min`, `3 h 05 min`, or `-` when there is none."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def aligned(rows: Sequence[Sequence[str]], right: Container[int] = ()) -> list[str]:
    """Rows as plain-text lines (never cut to a terminal's width): columns two spaces apart, each as wide as its
    widest cell, the columns in `right` aligned right; the last column is not padded, no line ends in spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    lines = []
    for row in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines
