from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from domains.errors import Conflict

SPAM_THRESHOLD_MAX = Decimal("999.9")


@contextmanager
def unique_or_conflict(message: str, **params):
    """Turns the database's unique-key refusal into a clear Conflict; the database, not a
    check in Python, decides, so two racing requests cannot both succeed."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if error.args and error.args[0] == 1062:  # ER_DUP_ENTRY
            raise Conflict(message, code="conflict", params=params) from error
        raise


def clean_spam_threshold(value):
    """None (inherit) or a score from 0.0 to 999.9 with at most one decimal."""
    if value is None or value == "":
        return None
    try:
        threshold = Decimal(str(value))
    except InvalidOperation as error:
        raise ValidationError(_("The spam threshold must be a number."), code="spam_threshold") from error
    if not threshold.is_finite() or threshold < 0 or threshold > SPAM_THRESHOLD_MAX:
        raise ValidationError(_("The spam threshold must be between 0.0 and 999.9."), code="spam_threshold")
    if threshold != threshold.quantize(Decimal("0.1")):
        raise ValidationError(
            _("The spam threshold has one decimal at most, as SpamAssassin scores do."), code="spam_threshold")
    return threshold.quantize(Decimal("0.1"))


def clean_byte_count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 2**63:
        raise ValidationError(_("%(what)s must be a whole number of bytes, 0 or more."), code="bytes",
                              params={"what": what})
    return value
