"""The one place that maps a failure to its exit status and its line: every command ends through `failure()`.

README "What the demo prints" is the user's page: 0 success; 1 a run-time failure (the API refused the key or
scope, host unreachable, destination not writable, cancelled at the prompt, a bug); 2 bad input (URI, table,
period, interval, destination, option); 130 interrupted (Ctrl-C) and 143 terminated (SIGTERM), each saying what
was kept (omniload/interrupts.py). The names follow httpie's `ExitStatus`.
"""

from __future__ import annotations

import dataclasses
import signal
from dataclasses import dataclass
from enum import IntEnum

import typer

from omniload.errors import OmniloadError, UsageError
from omniload.interrupts import Interrupted
from omniload.text import first_line


class ExitStatus(IntEnum):
    """How `omniload` ends."""

    SUCCESS = 0
    ERROR = 1  # a run-time failure, or a bug
    BAD_INPUT = 2  # a usage error: nothing was read or written
    INTERRUPTED = 128 + signal.SIGINT  # Ctrl-C
    TERMINATED = 128 + signal.SIGTERM  # SIGTERM, what schedulers send


@dataclass(frozen=True)
class Failure:
    """A failure as the user sees it: the exit status and the line after `error: `. `bug`: not an error omniload
    knows, whose traceback `--debug` shows; `traceback`: whether `--debug` shows one at all."""

    status: ExitStatus
    line: str
    bug: bool = False
    traceback: bool = True
    error: str = ""  # the error's class name

    @property
    def kind(self) -> str:
        """The failure without its message (a job report's, omniload/notify.py): its kind and class."""
        kinds = {
            ExitStatus.BAD_INPUT: "bad input",
            ExitStatus.INTERRUPTED: "interrupted by SIGINT",
            ExitStatus.TERMINATED: "terminated by SIGTERM",
        }
        kind = "bug" if self.bug else kinds.get(self.status, "run-time failure")
        return f"{kind} ({self.error}), exit status {int(self.status)}"


def failure(error: BaseException) -> Failure:
    """The exit status and the one line of any error a command ends with."""
    return dataclasses.replace(_failure(error), error=type(error).__name__)


def _failure(error: BaseException) -> Failure:
    if isinstance(error, KeyboardInterrupt):  # Ctrl-C or SIGTERM: omniload/interrupts.py
        stopped = error if isinstance(error, Interrupted) else Interrupted(signal.SIGINT)
        status = ExitStatus.TERMINATED if stopped.signum == signal.SIGTERM else ExitStatus.INTERRUPTED
        return Failure(status, str(stopped), traceback=False)
    if isinstance(error, UsageError):
        return Failure(ExitStatus.BAD_INPUT, str(error))
    if isinstance(error, OmniloadError):
        return Failure(ExitStatus.ERROR, str(error))
    if isinstance(error, typer.Abort):  # the confirmation prompt, stopped
        return Failure(ExitStatus.INTERRUPTED, "aborted", traceback=False)
    if isinstance(error, typer.TyperException):  # typer's (its click's) own: a missing option, a bad --progress
        if error.exit_code != ExitStatus.BAD_INPUT:
            return Failure(ExitStatus.ERROR, error.format_message(), traceback=False)
        ctx = getattr(error, "ctx", None)  # usage errors name their command
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        return Failure(ExitStatus.BAD_INPUT, f"{error.format_message()}{hint}", traceback=False)
    return Failure(ExitStatus.ERROR, f"{type(error).__name__}: {first_line(error)}", bug=True)
