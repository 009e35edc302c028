"""Settings for the test suite: a private stack under var/test on its own ports."""
import os
from pathlib import Path

from mailadmin import config

_base = Path(__file__).resolve().parent.parent
os.environ.setdefault("MAILADMIN_VAR_DIR", str(_base / "var" / "test"))
os.environ.setdefault("MAILADMIN_PORT_BASE", "20000")
# The tests' relay sink listens on PORT_BASE + 2525, so several test stacks
# (each with its own VAR_DIR and PORT_BASE) can run side by side.
RELAY_SINK_PORT = config.value("PORT_BASE") + 2525
os.environ.setdefault("MAILADMIN_RELAYHOST", f"[127.0.0.1]:{RELAY_SINK_PORT}")
os.environ.setdefault("MAILADMIN_SPAM_TEST_RULES", "1")

from mailadmin.settings import *  # noqa: E402,F403
from mailadmin.settings import INSTALLED_APPS  # noqa: E402

# The benchmark's commands: the suite seeds with seed_benchmark (tests/test_query_plans.py).
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]
