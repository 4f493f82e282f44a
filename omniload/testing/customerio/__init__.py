"""A faithful fake of the Customer.io App API for tests, the demo and benchmarks.

See docs/contract/customerio/fake-server.md for the behaviour it implements.
"""

from .clock import MONTH_SECONDS, Clock
from .options import FakeOptions
from .server import FakeCustomerIO, LoggedRequest
from .spec import WorkspaceSpec
from .workspace import PRIMARY_KEYS, Workspace

__all__ = [
    "MONTH_SECONDS",
    "PRIMARY_KEYS",
    "Clock",
    "FakeCustomerIO",
    "FakeOptions",
    "LoggedRequest",
    "Workspace",
    "WorkspaceSpec",
]
