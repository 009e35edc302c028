"""Rate limits: requests per API key, and failed authentications per client address.

The counts live in the "api" cache, a table in the database, so that every worker process
(`./mailctl run` starts three) counts against the same limit; Django's default cache is per
process.  Two requests of one key at the same instant may both be counted as one (the sliding
log is read and written without a lock): the limit is exact to within that race.
"""
from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from accounts.client_ip import client_ip
from api.models import ApiKey


class SharedRateThrottle(SimpleRateThrottle):
    setting = ""

    @property
    def cache(self):
        return caches["api"]

    def get_rate(self):
        """Read when a request comes, so that a changed setting holds at once (and in tests)."""
        return getattr(settings, self.setting) or None


class ApiKeyRate(SharedRateThrottle):
    """MAILADMIN_API_RATE requests per key (e.g. "600/min"; empty = no limit); over it: 429 + Retry-After."""

    scope = "api_key"
    setting = "MAILADMIN_API_RATE"

    def get_cache_key(self, request, view):
        key = request.auth
        return self.cache_format % {"scope": self.scope, "ident": key.pk} if isinstance(key, ApiKey) else None


class FailedAuthentications(SharedRateThrottle):
    """MAILADMIN_API_AUTH_FAILURE_RATE failed key checks per client address; past it, every key
    sent from there gets 429 (valid or not, so the answer tells a guesser nothing) until it cools off."""

    scope = "api_auth_failure"
    setting = "MAILADMIN_API_AUTH_FAILURE_RATE"

    def __init__(self, request):
        super().__init__()
        self.key = self.cache_format % {"scope": self.scope, "ident": client_ip(request)}
        self.now = self.timer()
        self.history = [at for at in self.cache.get(self.key, []) if at > self.now - self.duration] \
            if self.rate else []

    def wait_needed(self) -> float | None:
        return self.wait() if self.rate and len(self.history) >= self.num_requests else None

    def record(self):
        if self.rate:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
