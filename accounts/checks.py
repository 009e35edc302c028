"""System checks of the sign-in lockout."""
from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from mailadmin import forwarded_headers


@register(Tags.security, deploy=True)
def check_forwarded_headers_trusted(app_configs=None, **kwargs):
    """A check sees no request: it reports what the panel noted when one came with X-Forwarded-For
    while no proxy was trusted (mailadmin/forwarded_headers.py), in the last week."""
    if settings.MAILADMIN_TRUSTED_PROXY_COUNT > 0:
        return []
    try:
        seen = forwarded_headers.last_seen()
    except DatabaseError:  # no database to ask (yet): nothing to report
        return []
    if not seen:
        return []
    return [
        Warning(
            f"Requests came with an X-Forwarded-For header (last at {seen['at']}, from {seen['remote_addr']}), "
            "but MAILADMIN_TRUSTED_PROXY_COUNT is 0: behind a reverse proxy every client has the proxy's "
            "address and shares one sign-in lockout.",
            hint="Set MAILADMIN_TRUSTED_PROXY_COUNT to the number of proxies in front of the panel. If none is, "
                 "clients send the header themselves and it is rightly ignored.",
            id="accounts.W001",
        )
    ]
