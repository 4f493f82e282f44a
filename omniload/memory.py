"""How omniload keeps its process small: allocators chosen before anything allocates, and the reading phase's
memory handed back to the system before the load, which needs its own (DuckDB's buffers).

Without these, freed memory stays in the process: Arrow's bundled allocator keeps the pages it frees for reuse,
and glibc gives each thread that allocates its own heap (up to eight per core), so the page-reading threads
leave several part-empty heaps behind. Either way the reading phase's peak would be added to the load's.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def configure_allocators() -> None:
    """Call once, before pyarrow is imported and before any thread starts: both settings are read only then."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    with contextlib.suppress(OSError, AttributeError):  # glibc only; elsewhere the defaults stay
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 2)


def release_memory() -> None:
    """Free what the pages left and return the free memory to the system."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
