"""How omniload keeps its process small: allocators chosen before anything allocates, and the reading phase's
memory handed back to the system before the load, which needs its own (DuckDB's buffers).

Without these, freed memory stays in the process: Arrow's bundled allocator keeps the pages it frees for reuse,
and glibc gives each thread that allocates its own heap (up to eight per core), so the page-reading threads
leave several part-empty heaps behind. Either way the reading phase's peak would be added to the load's. glibc
also raises its mmap threshold (up to 32 MB) each time a large block is freed, after which response bodies and
Arrow columns come from the heap and leave it fragmented: fixed at 128 KB, they are mapped and unmapped on their
own. In the 31-table run at 100,000 people with metrics by hour, the memory held before a checkpoint's load fell
from 257 MB to 232 MB and the peak from 301 MB to 289 MB (README "Benchmarks").
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024  # glibc's initial value, kept from moving


#: Whether `configure_allocators` ran in this process: once is enough, and a test checks that importing omniload
#: alone never does it.
configured = False


def configure_allocators() -> None:
    """Set this process's allocators: the command's first step (omniload/__main__.py, before Arrow is imported,
    which reads its variable then) and each run's (`api.build_run`, for a program that calls `ingest()`), never
    `import omniload`, so a program that only imports omniload keeps its own. glibc's settings hold from the
    call on: arenas are capped for the threads started after it."""
    global configured
    if configured:
        return
    configured = True
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    with contextlib.suppress(OSError, AttributeError):  # glibc only; elsewhere the defaults stay
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


def release_memory() -> None:
    """Free what the pages left and return the free memory to the system."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
