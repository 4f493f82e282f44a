"""dlt configured for a run: its runtime settings, set by one function the run calls (never at import, so
importing omniload leaves dlt as the program set it), and the name of the run's dlt pipeline, which keys the
state kept in the destination (README "Nightly runs: intervals, strategies and state").
"""

from __future__ import annotations

import hashlib
import os


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


def configure_replace(atomic: bool) -> None:
    """A destination that swaps a replaced table in at once (`Destination.atomic_replace`) loads it through
    dlt's staging dataset."""
    if atomic:
        os.environ["DESTINATION__REPLACE_STRATEGY"] = "insert-from-staging"


def pipeline_name(destination: str, dataset: str, tables: list[str]) -> str:
    """One pipeline (and so one state) per destination, dataset and set of tables."""
    digest = hashlib.sha1("|".join([destination, dataset, *sorted(tables)]).encode()).hexdigest()[:12]
    return f"omniload_{digest}"
