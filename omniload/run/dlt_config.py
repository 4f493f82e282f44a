"""dlt configured for a run: its runtime settings, set by one function the run calls (never at import, so
importing omniload leaves dlt as the program set it), the settings that hold for one run only (`environment`),
and the name of the run's dlt pipeline, which keys the state kept in the destination (README "Nightly runs:
intervals, strategies and state").
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager


def configure_dlt() -> None:
    """Set what omniload relies on in dlt's runtime configuration, where the user has not: dlt reads it from the
    environment once per process, when first configured (resolving a destination does it), so each run calls
    this first (`api.build_run`)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # dlt logs a failed load job with its traceback before each retry; the run's one-line error says what failed
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")
    # omniload stops on SIGINT/SIGTERM itself (omniload/interrupts.py); dlt would otherwise swallow the first
    # signal during its normalize and load steps, and finish the load as if none had come
    os.environ.setdefault("RUNTIME__INTERCEPT_SIGNALS", "false")


def replace_strategy(atomic: bool) -> AbstractContextManager[None]:
    """For the run only: a destination that swaps a replaced table in at once (`Destination.atomic_replace`)
    loads it through dlt's staging dataset. Only for the run, so that a program that loads into another
    destination next (`omniload.ingest()` called twice) does not ask that one for a staging swap it lacks."""
    return environment({"DESTINATION__REPLACE_STRATEGY": "insert-from-staging" if atomic else None})


@contextmanager
def environment(settings: Mapping[str, str | None]) -> Iterator[None]:
    """`settings` (the ones not None) in os.environ while the context lasts, then the variables as they were."""
    chosen = {name: value for name, value in settings.items() if value is not None}
    previous = {name: os.environ.get(name) for name in chosen}
    os.environ.update(chosen)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pipeline_name(destination: str, dataset: str, tables: list[str]) -> str:
    """One pipeline (and so one state) per destination, dataset and set of tables."""
    digest = hashlib.sha1("|".join([destination, dataset, *sorted(tables)]).encode()).hexdigest()[:12]
    return f"omniload_{digest}"
