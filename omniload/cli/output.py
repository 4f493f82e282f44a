"""Where the command writes: the interactive view and the summary to stdout, warnings and the error line to
stderr (README "What the demo prints"), and the `failing` guard every command runs in."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from omniload.cli.exits import Failure, failure

out = Console()
err = Console(stderr=True)


def say_failure(failed: Failure, error: BaseException, debug: bool) -> None:
    """The one `error: ...` line on stderr; `--debug` prints the traceback first and keeps the exit status."""
    if debug and failed.traceback:
        err.print("".join(traceback.format_exception(error)), end="", highlight=False, markup=False)
    hint = " (run with --debug for the traceback)" if failed.bug and not debug else ""
    err.print(f"error: {failed.line}{hint}", highlight=False, markup=False, soft_wrap=True)


@contextmanager
def failing(debug: bool, ended: Callable[[Failure], None] | None = None) -> Iterator[None]:
    """Any error inside ends the command with its one line and exit status (`exits.failure`); `ended` is told
    of the failure first (the run's progress display, its job report)."""
    try:
        yield
    except typer.Exit:
        raise
    except (Exception, KeyboardInterrupt) as error:
        failed = failure(error)
        if ended is not None:
            ended(failed)
        say_failure(failed, error, debug)
        raise typer.Exit(failed.status) from None


class _WarningFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def configure_logging(debug: bool) -> None:
    """omniload's warnings as `warning: ...` lines on stderr; `--debug` adds its debug lines and dlt's log."""
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(_WarningFormatter())
    logger = logging.getLogger("omniload")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    if debug:  # dlt's own log, retries and their tracebacks included; read when dlt is first imported
        os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now, so warnings print above the live view instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)
