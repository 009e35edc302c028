"""Changing or deleting many mailboxes or aliases at once, all or nothing: the API's bulk requests
and the panel's bulk actions.  Each item goes through the service of a single change (the same
checks, its own audit row), all inside one transaction: if any item is refused, nothing is written
and every refused item is reported by its index in the input."""
from collections.abc import Callable, Hashable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from domains.audit import Actor
from domains.models import Alias, Domain, Mailbox, MailStoreJob
from domains.services.aliases import alias_delete
from domains.services.bulk import _Problems
from domains.services.mailboxes import mailbox_delete, mailbox_update


def _each(items: Sequence, change: Callable, *, key: Callable[[object], tuple[int, Hashable]],
          name: Callable[[object], str]) -> list:
    """change(item) for each, in one transaction; the results in the input's order.  Items are
    changed in key order, (domain id, ...), as every writer locks domains, so that two batches
    over the same domains wait for each other instead of deadlocking."""
    problems, results, seen = _Problems(), {}, {}
    for index, item in enumerate(items):
        if key(item) in seen:
            problems.add(index, ValidationError(_("%(name)s is listed twice (item %(first)d)."), code="duplicate",
                                                params={"name": name(item), "first": seen[key(item)]}))
        seen.setdefault(key(item), index)
    problems.raise_any()
    order = sorted(range(len(items)), key=lambda index: key(items[index]))
    with transaction.atomic():
        for index in order:
            try:
                with transaction.atomic():  # a savepoint: the later items are still checked
                    results[index] = change(items[index])
            except ValidationError as error:
                problems.add(index, error)
        problems.raise_any()
    return [results[index] for index in range(len(items))]


def _mailboxes(mailboxes: Sequence[Mailbox], change: Callable[[Mailbox], object]) -> list:
    return _each(mailboxes, change, key=lambda mailbox: (mailbox.domain_id, mailbox.pk),
                 name=lambda mailbox: f"The mailbox {mailbox.email}")


def mailboxes_update_many(*, actor: Actor, mailboxes: Sequence[Mailbox], **changes) -> list[Mailbox]:
    """The same changes (active, quota, display_name, spam_threshold) to every mailbox, or to none."""
    return _mailboxes(mailboxes, lambda mailbox: mailbox_update(actor=actor, mailbox=mailbox, **changes))


def mailboxes_delete_many(*, actor: Actor, mailboxes: Sequence[Mailbox]) -> list[MailStoreJob]:
    """Deletes every mailbox or none; each one's mail is archived as for a single delete."""
    return _mailboxes(mailboxes, lambda mailbox: mailbox_delete(actor=actor, mailbox=mailbox))


def _alias_delete(actor: Actor, domain: Domain, source: str) -> int:
    try:
        return alias_delete(actor=actor, domain=domain, source=source)
    except Alias.DoesNotExist:
        raise ValidationError(_("The alias %(source)s does not exist (any more)."), code="not_found",
                              params={"source": source}) from None


def aliases_delete_many(*, actor: Actor, aliases: Sequence[tuple[Domain, str]]) -> int:
    """Deletes every alias (a domain and a source, with all its destinations) or none; each is
    audited as a single delete.  Returns the number of rows deleted."""
    deleted = _each(aliases, lambda alias: _alias_delete(actor, *alias), key=lambda alias: (alias[0].pk, alias[1]),
                    name=lambda alias: f"The alias {alias[1]}")
    return sum(deleted)
