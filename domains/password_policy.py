"""The rules a new mailbox password must meet, shared by every way of setting one.

Long passwords are welcome (up to MAX_LENGTH characters, never truncated); short, common
ones and the mailbox's own address are refused.  The minimum length is a setting.
"""
from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LENGTH = 1024


def validate_new_password(password: str, *, address: str) -> None:
    minimum = settings.MAILADMIN_PASSWORD_MIN_LENGTH
    problems = []
    if len(password) < minimum:
        problems.append(ValidationError(
            _("The password must have at least %(minimum)d characters."), code="password_too_short",
            params={"minimum": minimum}))
    if len(password) > MAX_LENGTH:
        problems.append(ValidationError(
            _("The password must have at most %(maximum)d characters."), code="password_too_long",
            params={"maximum": MAX_LENGTH}))
    if "\x00" in password:
        problems.append(ValidationError(_("The password must not contain a NUL character."), code="password_nul"))
    local_part = address.split("@", 1)[0]
    if password.lower() in (address.lower(), local_part.lower()):
        problems.append(ValidationError(_("The password must not be the address itself."), code="password_is_address"))
    try:
        CommonPasswordValidator().validate(password)
    except ValidationError as error:
        problems.append(error)
    if problems:
        raise ValidationError(problems)
