"""Who suspended a domain or a mailbox, and who may resume it.

A suspension through the API is a billing system's decision: a domain admin does not undo it in
the panel; a superadmin, a management command or the API does.  Other suspensions are undone by
whoever may change the row."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from domains.audit import Actor

BILLING, ADMIN = "billing", "admin"


def _may_undo_billing(actor: Actor) -> bool:
    return actor.via_api or actor.user is None or actor.user.is_superuser


def suspended_by(actor: Actor, active: bool) -> str:
    """The marker of a row created in the state `active` by `actor`."""
    return "" if active else BILLING if actor.via_api else ADMIN


def mark_suspension(row, *, active: bool, actor: Actor):
    """Sets `row.suspended_by` for `active` becoming the row's state (the caller sets `active`);
    refuses a domain admin's resuming of what the billing system suspended."""
    if active and not row.active:
        if row.suspended_by == BILLING and not _may_undo_billing(actor):
            raise ValidationError(_("%(row)s was suspended by the billing system; only a superadmin or the billing "
                                  "system may resume it."), code="suspended_by_billing", params={"row": str(row)})
        row.suspended_by = ""
    elif not active and (row.active or actor.via_api):
        row.suspended_by = suspended_by(actor, active)
