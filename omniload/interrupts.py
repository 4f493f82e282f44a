"""Ctrl-C and SIGTERM end a run the same documented way: one line saying what was kept, exit 130 or 143.

Python turns Ctrl-C into KeyboardInterrupt and lets SIGTERM (what schedulers send) kill the process with no word
and no clean-up. `install()` makes both raise `Interrupted`, a KeyboardInterrupt, in the main thread, so the
temporary folder and connections are closed on the way out. omniload turns dlt's own signal handling off
(omniload/run/dlt_config.py), so a signal during the load stops it too: dlt lets the load jobs already running
finish (each commits its table or leaves it as it was) and never records the load as complete, so no cursor
moves. dlt wraps what its steps raise; `signal_in()` finds the signal inside. The README ("Nightly runs") states
what an interrupted run keeps; tests/state/test_interrupts.py checks it.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from types import FrameType

from omniload.text import listed

#: What an interrupted run has changed, by the step it was in: reading (before any checkpoint, after one), loading.
KEPT = {
    "reading": "nothing was written; every table and cursor is as it was",
    "reading after a checkpoint": "the tables being read are as they were, with their cursors",
    "loading": "each table of the checkpoint being loaded is either as it was or complete from this run, and no "
    "cursor of those tables moved (the next run reads them again)",
}


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; `str()` is the one line the CLI prints."""

    def __init__(self, signum: int, loading: bool | None = None, committed: Sequence[str] = ()) -> None:
        self.signum = signum
        name = signal.Signals(signum).name
        step = "loading" if loading else "reading"
        kept = "" if loading is None else f" while {step}: {_kept(loading, committed)}"
        super().__init__(f"interrupted by {name}{kept}")


def _kept(loading: bool, committed: Sequence[str]) -> str:
    step = "loading" if loading else "reading after a checkpoint" if committed else "reading"
    return KEPT[step] + (f"; {kept_checkpoints(committed)}" if committed else "")


def kept_checkpoints(committed: Sequence[str]) -> str:
    """What a failed run's earlier checkpoints keep (omniload/run/checkpoints.py)."""
    return (
        f"{len(committed)} table(s) committed before that are kept with their cursors ({listed(committed)}); "
        "the same command resumes after them"
    )


def install() -> None:
    """SIGINT and SIGTERM raise Interrupted in the main thread from now on."""
    signal.signal(signal.SIGINT, _raise)
    signal.signal(signal.SIGTERM, _raise)


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def signal_in(error: BaseException) -> int | None:
    """The signal that stopped the run, if `error` is (or wraps) an interruption: ours, dlt's
    SignalReceivedException, or a plain KeyboardInterrupt (SIGINT)."""
    from dlt.common.exceptions import SignalReceivedException

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, Interrupted):
            return current.signum
        if isinstance(current, SignalReceivedException):
            return int(current.signal_code)
        if isinstance(current, KeyboardInterrupt):
            return signal.SIGINT
        current = current.__cause__ or current.__context__
    return None
