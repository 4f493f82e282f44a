"""`import omniload` and the dlt source change nothing in the importing process: not its environment (dlt's
settings are a run's, omniload/run/dlt_config.py `configure_dlt`), not its allocator (the command's and the run's,
omniload/memory.py). Each check runs in a fresh interpreter, since this one has imported everything already.

glibc's setting is observed through its effect: once a large mapped block is freed, glibc raises its mmap
threshold above it, so a 1 MB block afterwards comes from the heap; `configure_allocators` fixes the threshold
at 128 KB, so that block is mapped on its own. The control case shows the probe sees the difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

#: Run after the imports under test; prints what changed, as JSON.
PROBE = textwrap.dedent(
    """
    import ctypes, json, os, sys

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
            "keepcost",
        )]

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = Mallinfo2
    libc.free(libc.malloc(4 << 20))  # a mapped block freed: a moving threshold now lies above 4 MB
    mapped_before = libc.mallinfo2().hblks
    block = libc.malloc(1 << 20)
    mapped = libc.mallinfo2().hblks - mapped_before
    libc.free(block)
    changed = sorted(name for name in set(os.environ) | set(BEFORE) if os.environ.get(name) != BEFORE.get(name))
    configured = sys.modules["omniload.memory"].configured
    print(json.dumps({"changed": changed, "mapped": mapped, "configured": configured}))
    """
)


def fresh_interpreter(statements: str) -> dict[str, object]:
    """Run `statements` in a new interpreter, then the probe."""
    code = f"import os\nBEFORE = dict(os.environ)\n{statements}\n{PROBE}"
    env = {name: value for name, value in os.environ.items() if not name.startswith(("RUNTIME__", "ARROW_"))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the probe reads glibc's counters")


def test_importing_omniload_and_the_dlt_source_changes_neither_the_environment_nor_the_allocator() -> None:
    seen = fresh_interpreter(
        "import omniload, omniload.memory, omniload.api, omniload.run.loop, omniload.sources.customerio\n"
        "import omniload.sources.customerio.dlt_source"
    )
    assert seen == {"changed": [], "mapped": 0, "configured": False}


def test_the_command_sets_the_allocator_before_its_imports() -> None:
    """The control: what `omniload` does first (omniload/__main__.py) is visible to the same probe."""
    seen = fresh_interpreter("from omniload.memory import configure_allocators\nconfigure_allocators()")
    assert seen == {"changed": ["ARROW_DEFAULT_MEMORY_POOL"], "mapped": 1, "configured": True}


def test_a_run_configures_dlt_where_the_user_has_not() -> None:
    seen = fresh_interpreter(
        "os.environ['RUNTIME__LOG_LEVEL'] = 'INFO'\n"
        "import omniload.memory\nfrom omniload.run.dlt_config import configure_dlt\nconfigure_dlt()\n"
        "assert os.environ['RUNTIME__LOG_LEVEL'] == 'INFO', 'the user\\'s own setting is kept'"
    )
    assert seen["changed"] == ["RUNTIME__DLTHUB_TELEMETRY", "RUNTIME__INTERCEPT_SIGNALS", "RUNTIME__LOG_LEVEL"]
    assert seen["configured"] is False
