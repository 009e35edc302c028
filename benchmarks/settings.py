"""The production settings, with the server time of every request in a header (benchmarks only)."""
from mailadmin.settings import *  # noqa: F403
from mailadmin.settings import MIDDLEWARE

MIDDLEWARE = ["benchmarks.timing.ServerTimingMiddleware", *MIDDLEWARE]
