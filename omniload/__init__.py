"""omniload: copy data from SaaS APIs into databases and files, through dlt."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omniload")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"


def __getattr__(name: str) -> object:
    """`omniload.ingest` (omniload/api.py), imported on first use: `import omniload` stays light for the CLI."""
    if name == "ingest":
        from omniload.api import ingest

        return ingest
    raise AttributeError(f"module 'omniload' has no attribute {name!r}")
