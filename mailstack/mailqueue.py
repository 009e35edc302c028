"""Postfix's queue sizes, as `postqueue -j` lists them (through Postfix's showq service, so the
panel's user needs no access to the queue folders, which are postfix's own)."""
import json
import subprocess

from mailstack import health
from mailstack.config import paths

QUEUES = ("active", "deferred", "hold")
TIMEOUT = 2.0  # seconds: a queue of hundreds of thousands of messages gives no answer rather than a slow scrape


def config_dir() -> str:
    return "/etc/postfix" if health.installed() else str(paths().postfix_config)


def sizes() -> dict[str, int] | None:
    """{queue: messages} for the active, deferred and hold queues (incoming and maildrop count as
    active: they are on their way in); None when Postfix does not answer in time."""
    try:
        listing = subprocess.run(["postqueue", "-c", config_dir(), "-j"], capture_output=True, text=True,
                                 timeout=TIMEOUT, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    counts = dict.fromkeys(QUEUES, 0)
    for line in listing.splitlines():
        queue = json.loads(line).get("queue_name")
        counts[queue if queue in QUEUES else "active"] += 1
    return counts
