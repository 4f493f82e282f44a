"""The words and times every message shares (omniload/text.py): lists cut short, an error's first line, UTC
stamps, clocks and estimates, plain-text columns."""

from __future__ import annotations

from omniload.text import aligned, clock, duration, first_line, listed, utc_stamp


def test_a_long_list_names_five_and_counts_the_rest() -> None:
    names = [f"t{i}" for i in range(8)]

    assert listed(names[:2]) == "t0, t1"
    assert listed(names) == "t0, t1, t2, t3, t4 and 3 more"
    assert listed(names, 3) == "t0, t1, t2 and 5 more"


def test_an_errors_first_line_skips_blank_lines() -> None:
    assert first_line(ValueError("\n  the reason  \nthe details")) == "the reason"
    assert first_line(ValueError()) == ""


def test_times_in_utc_clocks_and_estimates() -> None:
    assert utc_stamp(1767225600) == "2026-01-01T00:00:00Z"
    assert len(utc_stamp()) == len("2026-01-01T00:00:00Z")
    assert [clock(s) for s in (41.6, 725, 3723)] == ["0:42", "12:05", "1:02:03"]
    assert [duration(s) for s in (None, 0.42, 42, 720, 11100)] == ["-", "0.4 s", "42 s", "12 min", "3 h 05 min"]


def test_columns_line_up_with_numbers_on_the_right() -> None:
    rows = [["table", "rows", "note"], ["people", "1,200", ""], ["messages", "7", "a note"]]

    assert aligned(rows, right={1}) == [
        "table      rows  note",
        "people    1,200",
        "messages      7  a note",
    ]
