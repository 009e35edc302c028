"""Tests (and the benchmark) that need a signed-in admin past the second-factor step."""
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def sign_in_with_second_factor(client, user):
    """Like `client.force_login(user)`, and the session has passed the second factor (a confirmed
    authenticator app is made for `user` if it has none), as after a real sign-in with a code."""
    client.force_login(user)
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
