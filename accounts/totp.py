"""Authenticator-app secrets: new keys, their text and QR forms, and checking a code against one."""
import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.util import random_hex

STEP = 30
DIGITS = 6
TOLERANCE = 1  # steps before and after now, for clocks that are a little off


def new_key() -> str:
    """A random 160-bit secret, hex-encoded as django-otp's TOTPDevice stores it."""
    return random_hex(20)


def secret_text(key: str) -> str:
    """The secret as an authenticator app takes it when typed in: base32, without padding."""
    return b32encode(unhexlify(key)).decode().rstrip("=")


def provisioning_uri(*, username: str, key: str) -> str:
    issuer = settings.OTP_TOTP_ISSUER
    params = urlencode({"secret": secret_text(key), "issuer": issuer, "digits": DIGITS, "period": STEP})
    return f"otpauth://totp/{quote(f'{issuer}:{username}')}?{params}"


def qr_svg(data: str) -> str:
    """An inline <svg> element showing `data` as a QR code (a drawing only: no text of `data` in it)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    return image.to_string(encoding="unicode")


def matching_step(key: str, code: str) -> int | None:
    """The time step whose code `code` is, within the tolerance around now; None if it matches none."""
    if not (len(code) == DIGITS and code.isdigit()):
        return None
    totp = TOTP(unhexlify(key), step=STEP, digits=DIGITS)
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), tolerance=TOLERANCE) else None
