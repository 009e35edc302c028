"""What a user's second factor looks like right now."""
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device_for(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def two_factor_enabled(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_step(user) -> str | None:
    """The URL name of the page a signed-in user must pass before any other, or None.

    Users with two-factor sign-in turned on verify a code once per sign-in; superadmins must turn it on.
    """
    if not user.is_authenticated or user.is_verified():
        return None
    if two_factor_enabled(user):
        return "two_factor_verify"
    if user.is_superuser:
        return "two_factor_setup"
    return None
