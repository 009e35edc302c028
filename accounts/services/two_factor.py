"""Changes to a user's second factor: each one function, one transaction, with an audit row."""
import math

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import totp
from domains.audit import Actor, record

RECOVERY_CODE_COUNT = 10


class CodeRefused(Exception):
    """A code that is wrong, used up, or tried too soon after wrong ones; str() is the message for the user."""


def two_factor_enable(*, actor: Actor, user, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turns on two-factor sign-in with the authenticator app holding `key`, once `code` shows the app has it.

    Returns the confirmed device and a fresh set of recovery codes (shown to the user once).
    """
    step = totp.matching_step(key, _normalized(code))
    if step is None:
        raise CodeRefused(_("That code does not match. Enter the code your app shows now (check the phone's "
                            "clock)."))
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=user.pk)  # one enabling at a time per user
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", key=key, step=totp.STEP,
                                           digits=totp.DIGITS, tolerance=totp.TOLERANCE, confirmed=True,
                                           last_t=step)
        codes = _recovery_codes_replace(user)
        record(actor, "account.two_factor_enable", obj=user, domain=None)
    return device, codes


def recovery_codes_replace(*, actor: Actor, user) -> list[str]:
    """A new set of one-time recovery codes; the previous ones stop working."""
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        record(actor, "account.recovery_codes_replace", obj=user, domain=None)
    return codes


def two_factor_disable(*, actor: Actor, user) -> None:
    """Removes the authenticator app and the recovery codes (for an admin who lost both)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record(actor, "account.two_factor_disable", obj=user, domain=None)


def second_factor_verify(*, user, code: str):
    """The device that accepts `code`: a current code from the app (6 digits) or an unused recovery code,
    which is used up.  Wrong codes slow down further tries on that device (django-otp's throttling)."""
    code = _normalized(code)
    model = TOTPDevice if len(code) == totp.DIGITS and code.isdigit() else StaticDevice
    with transaction.atomic():
        device = model.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        allowed, details = device.verify_is_allowed() if device else (True, None)
        verified = allowed and device is not None and device.verify_token(code)
    if verified:
        return device
    if not allowed:
        wait = math.ceil((details["locked_until"] - timezone.now()).total_seconds())
        raise CodeRefused(_("Too many wrong codes in a row. Wait %(seconds)d s, then try again.")
                          % {"seconds": max(wait, 1)})
    raise CodeRefused(_("That code is not valid. Enter the code your app shows now, or an unused recovery code."))


def _recovery_codes_replace(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user,
                                                          defaults={"name": "Recovery codes", "confirmed": True})
    device.token_set.all().delete()
    device.throttle_reset()
    codes = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in codes)
    return sorted(codes)


def _normalized(code: str) -> str:
    """Spaces and dashes people type or paste in codes are dropped; recovery codes are lower case."""
    return "".join(code.split()).replace("-", "").lower()
