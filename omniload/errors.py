"""The two kinds of failure a user can meet: a run that could not complete, and input that cannot work.

The CLI prints `str(error)` as one line, with the exit status `omniload.cli.exits.failure` gives each kind (1 and
2); anything that is not an `OmniloadError` is a bug and keeps its traceback only under `--debug`.
"""


class OmniloadError(Exception):
    """A runtime failure: the input was valid but the run could not complete (exit code 1)."""


class UsageError(OmniloadError):
    """The user asked for something that cannot work: a bad URI, table, period or interval (exit code 2)."""


class ApiError(OmniloadError):
    """An HTTP answer that retrying cannot fix, with the status kept so callers can tell 404 from the rest."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(ApiError):
    """404: the thing named in the path does not exist (any more); fan-out skips such parents."""
