"""The production settings, with the benchmark's commands (`bench`, `seed_benchmark`) and the server
time of every request in a header (benchmarks only)."""
from mailadmin.settings import *  # noqa: F403
from mailadmin.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]
MIDDLEWARE = ["benchmarks.timing.ServerTimingMiddleware", *MIDDLEWARE]
