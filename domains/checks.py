"""System checks of the domains app."""
from django.conf import settings
from django.core.checks import Error, Tags, register

from domains import passwords


@register(Tags.security)
def check_password_scheme(app_configs=None, **kwargs):
    """MAILADMIN_PASSWORD_SCHEME must be a scheme that domains.passwords can write."""
    scheme = getattr(settings, "MAILADMIN_PASSWORD_SCHEME", passwords.DEFAULT_SCHEME)
    if scheme in passwords.SCHEMES:
        return []
    return [
        Error(
            f"MAILADMIN_PASSWORD_SCHEME is {scheme!r}, which is not a password scheme mailadmin writes.",
            hint=f"Set MAILADMIN_PASSWORD_SCHEME to one of: {', '.join(passwords.SCHEMES)}.",
            id="domains.E001",
        )
    ]
