"""What a failed run says: one line naming the innermost reason (dlt wraps what the source and the destination
raised), what the checkpoints committed before it keep, and for a signal, what an interrupted run keeps (README
"Checkpoints and resume"; omniload/interrupts.py). The CLI maps the result to an exit code (omniload/cli/exits.py).
"""

from __future__ import annotations

import re

from omniload import interrupts
from omniload.errors import OmniloadError
from omniload.text import first_line

#: dlt's wrapper around a destination's own connection error, up to the point where that error's text starts.
_DLT_CONNECTION_FAILED = re.compile(r"Connection with `client_type=.*? failed\. .*?The actual reason given is: ")
_DUCKDB_LOCK = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": '
    r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)"
)


def stopped(error: BaseException, destination: str, loading: bool, committed: list[str]) -> BaseException:
    """What a failed run raises: `Interrupted` saying what was kept (omniload/interrupts.py), else the user's
    one-line error, which names the checkpoints kept."""
    signum = interrupts.signal_in(error)
    if signum is not None:
        return interrupts.Interrupted(signum, loading, committed)
    return with_checkpoints(user_error(error, destination), committed)


def with_checkpoints(error: BaseException, committed: list[str]) -> BaseException:
    """The user's error, saying which tables the checkpoints before it committed (they are kept)."""
    if committed and isinstance(error, OmniloadError):
        return type(error)(f"{error}; {interrupts.kept_checkpoints(committed)}")
    return error


def user_error(error: BaseException, destination: str) -> BaseException:
    """dlt wraps what the source raised; the user needs the innermost explanation, not the wrapper."""
    raised = _raised_by_omniload(error)
    if raised is not None:
        return raised
    innermost, hops = error, 0
    while innermost.__cause__ is not None and hops < 20:  # dlt's step wrapper says where; its cause says why
        innermost, hops = innermost.__cause__, hops + 1
    refused = contract_violation(innermost)
    if refused is not None:
        return refused
    reason = first_line(innermost) or type(innermost).__name__
    connection = _DLT_CONNECTION_FAILED.search(reason)
    if connection:  # dlt's advice about credentials and the internet is wrong for a file in use or a bad path
        return OmniloadError(_connection_failure(reason[connection.end() :], destination))
    message = f"load failed: {reason}"
    if destination == "duckdb" and "Out of Memory" in message:
        message += "; raise DuckDB's memory limit with ?memory_limit=1GB on --dest-uri"
    return OmniloadError(message)


def contract_violation(error: BaseException) -> OmniloadError | None:
    """dlt's refusal under `--schema-contract freeze`, raised while pages are extracted (so before anything is
    written), as the user's one line; None for any other error."""
    from dlt.common.schema.exceptions import DataValidationError

    if not isinstance(error, DataValidationError):
        return None
    what = "a new column" if error.schema_entity == "columns" else "a new type in the column"
    return OmniloadError(
        f"{error.table_name}: --schema-contract {error.contract_mode} refuses {what} {error.column_name!r}; "
        "nothing was written (evolve adds it, discard_value drops its values, discard_row the rows with one)"
    )


def _raised_by_omniload(error: BaseException) -> OmniloadError | None:
    """An omniload error somewhere in the chain of causes and contexts: it already says what went wrong."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OmniloadError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _connection_failure(reason: str, destination: str) -> str:
    """The destination's own reason, and for a DuckDB file locked by another process, which process."""
    lock = _DUCKDB_LOCK.search(reason)
    if destination == "duckdb" and lock:
        return (
            f"the file {lock['file']} is in use by process {lock['pid']} ({lock['program']}); "
            "DuckDB lets one process write to a file at a time: wait for it to end or stop it, then run again"
        )
    return f"cannot open the {destination} destination: {reason.split('. See also')[0]}"
