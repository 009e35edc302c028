"""Changing or deleting many mailboxes at once, all or nothing: the API's bulk requests and the
panel's bulk actions.  Each mailbox goes through the service of a single change (the same checks,
its own audit row), all inside one transaction: if any item is refused, nothing is written and
every refused item is reported by its index in the input."""
from collections.abc import Callable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from domains.audit import Actor
from domains.models import Mailbox, MailStoreJob
from domains.services.bulk import _Problems
from domains.services.mailboxes import mailbox_delete, mailbox_update


def _each(mailboxes: Sequence[Mailbox], change: Callable[[Mailbox], object]) -> list:
    """change(mailbox) for each, in one transaction; the results in the input's order.  Mailboxes
    are changed in (domain, id) order, as every writer locks them, so that two batches over the
    same domains wait for each other instead of deadlocking."""
    problems, results, seen = _Problems(), {}, {}
    for index, mailbox in enumerate(mailboxes):
        if mailbox.pk in seen:
            problems.add(index, ValidationError(_("The mailbox %(address)s is listed twice (item %(first)d)."),
                                                code="duplicate", params={"address": mailbox.email,
                                                                          "first": seen[mailbox.pk]}))
        seen.setdefault(mailbox.pk, index)
    problems.raise_any()
    order = sorted(range(len(mailboxes)), key=lambda index: (mailboxes[index].domain_id, mailboxes[index].pk))
    with transaction.atomic():
        for index in order:
            try:
                with transaction.atomic():  # a savepoint: the later items are still checked
                    results[index] = change(mailboxes[index])
            except ValidationError as error:
                problems.add(index, error)
        problems.raise_any()
    return [results[index] for index in range(len(mailboxes))]


def mailboxes_update_many(*, actor: Actor, mailboxes: Sequence[Mailbox], **changes) -> list[Mailbox]:
    """The same changes (active, quota, display_name, spam_threshold) to every mailbox, or to none."""
    return _each(mailboxes, lambda mailbox: mailbox_update(actor=actor, mailbox=mailbox, **changes))


def mailboxes_delete_many(*, actor: Actor, mailboxes: Sequence[Mailbox]) -> list[MailStoreJob]:
    """Deletes every mailbox or none; each one's mail is archived as for a single delete."""
    return _each(mailboxes, lambda mailbox: mailbox_delete(actor=actor, mailbox=mailbox))
