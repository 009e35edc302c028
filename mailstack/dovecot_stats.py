"""Dovecot's own counters (the `metric` blocks of deploy/dovecot/dovecot.conf), read from its
stats service's loopback HTTP listener: logins by service and outcome, deliveries, spam filed.

They live in Dovecot's stats process, so they count every login and delivery whichever process
made it, and restart from zero when Dovecot restarts (Prometheus' rate() takes that as a reset)."""
import re
import urllib.request

from django.conf import settings

from mailstack import health
from mailstack.config import PRODUCTION_PORTS

TIMEOUT = 1.0  # seconds
SAMPLE = re.compile(r"^dovecot_mailadmin_(\w+?)_total(?:\{(.*)\})? (\S+)$", re.MULTILINE)
LABEL = re.compile(r'(\w+)="([^"]*)"')


def url() -> str:
    ports = PRODUCTION_PORTS if health.installed() else settings.MAILSTACK["ports"]
    return f"http://127.0.0.1:{ports['dovecot_stats']}/metrics"


def counters() -> list[tuple[str, dict[str, str], float]] | None:
    """[(name, labels, value)] of the mailadmin_* metrics (without their durations), or None when
    Dovecot does not answer in time."""
    try:
        with urllib.request.urlopen(url(), timeout=TIMEOUT) as response:  # noqa: S310 (a loopback http URL)
            text = response.read().decode()
    except OSError:
        return None
    return [(name, dict(LABEL.findall(labels or "")), float(value))
            for name, labels, value in SAMPLE.findall(text) if not name.endswith("_duration_seconds")]
