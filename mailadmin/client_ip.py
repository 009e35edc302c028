"""The client's IP address, for lockouts and audit rows: REMOTE_ADDR unless proxies are trusted."""
import ipaddress

from django.conf import settings

from mailadmin import forwarded_headers


def client_ip(request) -> str | None:
    """REMOTE_ADDR; with N trusted proxies (MAILADMIN_TRUSTED_PROXY_COUNT), the N-th X-Forwarded-For
    entry from the right.

    Each proxy appends the address it got the request from, so the entry the farthest trusted proxy
    wrote is the client; anything further left came from the client itself and counts for nothing.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.MAILADMIN_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        forwarded_headers.note(request)
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote
