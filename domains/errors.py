"""Errors the services raise; each is a ValidationError, so forms show it as it is and the
API can map it to a status code."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class Conflict(ValidationError):
    """The address, domain or alias exists already (HTTP 409)."""


class LimitReached(ValidationError):
    """A domain's limit (mailboxes, aliases, quota) does not allow the change."""


class CurrentPasswordWrong(ValidationError):
    """The mailbox owner's current password did not match; nothing was changed."""


class BulkRejected(ValidationError):
    """Some items of a batch were refused, so nothing of it was written: `item_errors` maps each
    such item's index in the input to its errors."""

    def __init__(self, item_errors: dict[int, list[ValidationError]]):
        super().__init__(_("%(count)d of the items were refused, so nothing was written."), code="bulk_rejected",
                         params={"count": len(item_errors)})
        self.item_errors = item_errors

    def only_item_error(self) -> ValidationError:
        """A batch of one's errors as one error, of their kind (Conflict, LimitReached: the caller's
        status code) when they share one: what a single create raises."""
        [errors] = self.item_errors.values()
        if len(errors) == 1:
            return errors[0]
        kinds = {type(error) for error in errors}
        return (kinds.pop() if len(kinds) == 1 else ValidationError)(errors)
