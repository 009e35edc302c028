"""Who may read /metrics: a client address in MAILADMIN_METRICS_ADDRESSES, or the bearer token
MAILADMIN_METRICS_TOKEN (never over plain HTTP on a host that serves HTTPS: the token would travel
in clear).  Nobody, while neither is set."""
import hmac
import ipaddress

from django.conf import settings

from mailadmin.client_ip import client_ip

ALLOWED, NO_TOKEN, REFUSED = "allowed", "no token", "refused"


def _bearer(request) -> str | None:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _address_allowed(request) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in settings.MAILADMIN_METRICS_ADDRESSES)


def decision(request) -> str:
    """ALLOWED; NO_TOKEN (401: a token would be taken here); or REFUSED (403)."""
    configured = settings.MAILADMIN_METRICS_TOKEN
    token = _bearer(request)
    if token is not None and configured and (request.is_secure() or not settings.SECURE_SSL_REDIRECT):
        if hmac.compare_digest(token.encode(), configured.encode()):
            return ALLOWED
        return NO_TOKEN
    if _address_allowed(request):
        return ALLOWED
    return NO_TOKEN if configured and (request.is_secure() or not settings.SECURE_SSL_REDIRECT) else REFUSED
