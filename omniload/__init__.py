"""omniload: copy data from SaaS APIs into databases and files, through dlt."""

from importlib.metadata import PackageNotFoundError, version

from omniload.memory import configure_allocators

configure_allocators()  # here, so it runs before any module of ours imports pyarrow or starts a thread

try:
    __version__ = version("omniload")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
