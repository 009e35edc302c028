"""Errors the services raise; each is a ValidationError, so forms show it as it is and the
API can map it to a status code."""
from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The address, domain or alias exists already (HTTP 409)."""


class LimitReached(ValidationError):
    """A domain's limit (mailboxes, aliases, quota) does not allow the change."""
