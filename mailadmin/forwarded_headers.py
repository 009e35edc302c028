"""Forwarded headers arriving while no proxy is trusted (MAILADMIN_TRUSTED_PROXY_COUNT = 0).

The panel then ignores X-Forwarded-For, rightly as long as nothing sits in front of it; but if a
reverse proxy does, every client has the proxy's address, so one client's failed sign-ins lock
everyone (at that kind of sign-in) and audit rows name the proxy.  The first such request of each
process is logged, and noted (again at most hourly) in the shared "api" cache table, where
`manage.py check --deploy` (which sees no requests) finds it (accounts/checks.py).
"""
import logging
import time

from django.core.cache import caches
from django.utils import timezone

log = logging.getLogger(__name__)
CACHE_KEY = "mailadmin:forwarded-for-untrusted"
REMEMBERED_FOR = 7 * 24 * 3600  # seconds: a proxy removed since then is no longer reported
NOTED_EVERY = 3600  # seconds: each process notes it again at most this often, logs it once
_reported = False
_noted_at = None


def note(request) -> None:
    """Called for each request whose client address is decided while no proxy is trusted."""
    global _reported, _noted_at
    if "HTTP_X_FORWARDED_FOR" not in request.META:
        return
    remote_addr = request.META.get("REMOTE_ADDR")
    if not _reported:
        _reported = True
        log.warning("A request from %s carries X-Forwarded-For, but MAILADMIN_TRUSTED_PROXY_COUNT is 0, so the "
                    "header is ignored. If a reverse proxy is in front of the panel, every client has the proxy's "
                    "address and shares one sign-in lockout: set MAILADMIN_TRUSTED_PROXY_COUNT.", remote_addr)
        _noted_at = None
    if _noted_at is None or time.monotonic() - _noted_at >= NOTED_EVERY:
        _noted_at = time.monotonic()
        caches["api"].set(CACHE_KEY, {"at": timezone.now().isoformat(timespec="seconds"), "remote_addr": remote_addr},
                          REMEMBERED_FOR)


def last_seen() -> dict | None:
    """When and from which address a forwarded header last came untrusted (within REMEMBERED_FOR)."""
    return caches["api"].get(CACHE_KEY)


def forget() -> None:
    caches["api"].delete(CACHE_KEY)
