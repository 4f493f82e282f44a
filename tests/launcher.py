"""Warm starts of the real CLI for the tests: a child process per command, without a second of imports each.

Most tests run `python -m omniload …` in a child process and wait on it, and a fresh interpreter spends about a
second importing dlt, DuckDB and Arrow before the run reads its first page: on the two cores of the project's
machines, where the suite (README, command 2) must end well within ten minutes, that second, hundreds of times
over, was a third of the suite's CPU time. Here a launcher process imports
what every run imports (`omniload.run.loop`, and dlt, DuckDB and Arrow with it) once, then forks a fresh child per
command, which runs `omniload` as `python -m omniload` does. The child is still a process of its own: its own
pid, exit code (a signal's as a negative code, like subprocess), stdout and stderr, stdin on /dev/null, the
command's environment and working directory; a SIGKILL ends it alone.

What a fork cannot change is decided before: an interpreter's PYTHON* variables (the hash seed, the path) take
a launcher of their own, and `--debug` or a variable dlt reads when imported (`IMPORT_TIME`) that differs from
the launcher's runs the command cold, in a new interpreter. Run as a script, this file is the launcher.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The environment the test session started with: the launchers' own (a test's variables go to its commands).
BASE_ENV = dict(os.environ)

Key = tuple[tuple[str, str], ...]


def start(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | str | None = None) -> Process:
    """`python -m omniload *args` with stdin on /dev/null and stdout and stderr read as text, like
    `subprocess.Popen`; `env` is the child's whole environment (default: this process's)."""
    env = dict(os.environ if env is None else env)
    key = tuple(sorted((name, value) for name, value in env.items() if name.startswith("PYTHON")))
    launcher = _POOL.take(key)
    if "--debug" not in args and launcher.imported_alike(env):
        return Child(key, launcher, list(args), env, None if cwd is None else str(cwd))
    _POOL.give(key, launcher)
    return subprocess.Popen(
        [sys.executable, "-m", "omniload", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env, cwd=cwd, stdin=subprocess.DEVNULL,
    )


def run(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | str | None = None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`start`, then wait for the end, like `subprocess.run(…, capture_output=True, text=True, timeout=…)`."""
    process = start(args, env=env, cwd=cwd)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(["omniload", *args], process.returncode, stdout, stderr)


class Child:
    """A forked `python -m omniload`, with the part of `subprocess.Popen` the tests use; its output goes to two
    files, read when it ends."""

    def __init__(
        self, key: Key, launcher: _Launcher, args: list[str], env: dict[str, str], cwd: str | None
    ) -> None:
        self.key, self.launcher, self.args = key, launcher, ["omniload", *args]
        self.returncode: int | None = None
        self.stdout = self.stderr = ""
        self.files = [launcher.output_file("out"), launcher.output_file("err")]
        self.pid = launcher.fork({"args": args, "env": env, "cwd": cwd, "stdout": self.files[0],
                                  "stderr": self.files[1]})

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        if self.returncode is None:
            try:
                self._ended(self.launcher.line(timeout))
            except subprocess.TimeoutExpired:
                raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
        return self.stdout, self.stderr

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _ended(self, line: str) -> None:
        self.returncode = int(line)
        self.stdout, self.stderr = (Path(name).read_text() for name in self.files)
        for name in self.files:
            os.unlink(name)
        _POOL.give(self.key, self.launcher)


Process = Child | subprocess.Popen[str]


#: Variables read when dlt is imported or first configures itself (its log level, folders and home): a command
#: whose values differ from the launcher's runs cold.
IMPORT_TIME = ("RUNTIME__", "DLT_", "HOME", "XDG_")


def _read_at_import(variables: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in variables.items() if name.startswith(IMPORT_TIME)}


class _Launcher:
    """One launcher process and its pipes: a JSON line per command in, the child's pid and then its exit out."""

    def __init__(self, key: Key) -> None:
        env = {name: value for name, value in BASE_ENV.items() if not name.startswith("PYTHON")} | dict(key)
        self.process = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self.buffer = b""
        #: The variables it set where they were unset before its imports (omniload/memory.py's for Arrow).
        self.defaults: dict[str, str] = json.loads(self.line(120))
        self.imported = _read_at_import({**self.defaults, **env})

    def imported_alike(self, env: Mapping[str, str]) -> bool:
        """Whether a new interpreter with `env` would have imported dlt as this launcher did."""
        return _read_at_import({**self.defaults, **env}) == self.imported

    @staticmethod
    def output_file(stream: str) -> str:
        handle, name = tempfile.mkstemp(prefix=f"omniload-{stream}-")
        os.close(handle)
        return name

    def fork(self, request: dict[str, object]) -> int:
        """Send a command; the pid of the child that runs it."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.flush()
        return int(self.line(60))

    def line(self, timeout: float | None) -> str:
        """The launcher's next line; TimeoutExpired when none comes within `timeout` seconds."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            if not select.select([fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("omniload launcher", timeout or 0)
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"the CLI launcher ended (exit {self.process.wait()})")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


class _Pool:
    """Idle launchers by interpreter variables; a thread that finds none idle starts another."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[Key, list[_Launcher]] = {}
        self.started: list[_Launcher] = []
        atexit.register(self.close)

    def take(self, key: Key) -> _Launcher:
        with self.lock:
            if self.idle.get(key):
                return self.idle[key].pop()
        launcher = _Launcher(key)
        with self.lock:
            self.started.append(launcher)
        return launcher

    def give(self, key: Key, launcher: _Launcher) -> None:
        if launcher.process.poll() is None:
            with self.lock:
                self.idle.setdefault(key, []).append(launcher)

    def close(self) -> None:
        for launcher in self.started:
            if launcher.process.poll() is None:
                launcher.close()


_POOL = _Pool()


# ---- the launcher process ----------------------------------------------------------------------------------

#: What an ingest imports; not omniload.cli, whose help text reads OMNILOAD_SOURCES.
PRELOAD = (
    "omniload.run.loop", "omniload.api", "dlt", "dlt.common.libs.pyarrow", "dlt.sources.helpers.requests",
    "dlt.destinations.impl.duckdb.duck", "duckdb",
)


def _serve() -> None:
    """Import what every run imports, then fork a child per request line until stdin closes."""
    sys.path[0] = os.getcwd()  # as `python -m` has it, not this file's folder
    before = dict(os.environ)
    from omniload.memory import configure_allocators

    configure_allocators()  # as `python -m omniload` does before its imports (omniload/__main__.py)
    for module in PRELOAD:
        importlib.import_module(module)
    defaults = {name: value for name, value in os.environ.items() if name not in before}
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    replies.write(json.dumps(defaults).encode() + b"\n")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            requests.close()
            replies.close()
            _child(request, defaults)
        replies.write(f"{pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        replies.write(f"{os.waitstatus_to_exitcode(status)}\n".encode())


def _child(request: dict, defaults: dict[str, str]) -> None:
    """Become `python -m omniload *args` in the request's folder and environment, and exit as it would."""
    streams = ((os.devnull, os.O_RDONLY), (request["stdout"], os.O_WRONLY), (request["stderr"], os.O_WRONLY))
    for fd, (path, flags) in enumerate(streams):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    if request["cwd"]:
        os.chdir(request["cwd"])
    sys.path[0] = os.getcwd()
    os.environ.clear()
    os.environ.update(request["env"])
    for name, value in defaults.items():  # what the imports set, as they would have in this environment
        os.environ.setdefault(name, value)
    tempfile.tempdir = None  # found again from TMPDIR
    sys.argv = ["omniload", *request["args"]]
    code = 1
    try:
        import runpy

        runpy.run_module("omniload", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except KeyboardInterrupt:
        import traceback

        traceback.print_exc()
        code = -signal.SIGINT
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        _exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _exit(code: int) -> None:
    """End as the interpreter does: join the threads, run the exit handlers, flush; an uncaught Ctrl-C ends by
    SIGINT."""
    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        if code == -signal.SIGINT:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        os._exit(code & 0xFF)


if __name__ == "__main__":
    _serve()
