"""The temporary folder a run gives dlt, and the removal of the ones killed runs left behind.

dlt extracts every page into its working folder before loading. A run that ends in any way Python sees removes
its folder; a killed one cannot, and its extracted data stayed in the temporary directory (issue 14: 103 MB
after a few kills). Each folder is therefore named after its process (`omniload-<pid>-…`), and every run first
removes the folders whose process is gone (README, "Nightly runs"). While a run lasts, Python's temporary files
go inside its folder too: dlt writes each follow-up SQL job (a merge, a replace's copy) to the temporary
directory before moving it into its load package, and a run killed between the two left it there.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "omniload-"
_OWNED = re.compile(rf"{PREFIX}(\d+)-")


@contextmanager
def make() -> Iterator[str]:
    """A new working folder for this run, removed when the context ends; Python's temporary files go inside it
    until then."""
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-") as folder:
        previous, tempfile.tempdir = tempfile.tempdir, folder
        try:
            yield folder
        finally:
            tempfile.tempdir = previous


def remove_stale(root: Path | None = None) -> list[Path]:
    """Remove the working folders of runs whose process no longer exists; returns what was removed."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        owner = _OWNED.match(folder.name)
        if owner is None or not folder.is_dir() or _alive(int(owner.group(1))):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
