"""Settings for the test suite: a private stack under var/test on its own ports."""
import os
from pathlib import Path

_base = Path(__file__).resolve().parent.parent
os.environ.setdefault("MAILADMIN_VAR_DIR", str(_base / "var" / "test"))
os.environ.setdefault("MAILADMIN_PORT_BASE", "20000")
os.environ.setdefault("MAILADMIN_RELAYHOST", "[127.0.0.1]:22525")
os.environ.setdefault("MAILADMIN_SPAM_TEST_RULES", "1")

from mailadmin.settings import *  # noqa: E402,F403

RELAY_SINK_PORT = 22525
