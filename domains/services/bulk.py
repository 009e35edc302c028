"""Creating mailboxes or aliases, all or nothing: the path of the API's bulk requests, of imports,
and of a single create (a batch of one).  The rules of each field are in mailbox_fields.py and
alias_rules.py; here they are applied to a whole batch with a handful of queries, and every
problem of every item is reported before anything is written."""
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from domains.addresses import domain_of, normalize_mailbox_address
from domains.audit import Actor, record_many, snapshot
from domains.errors import BulkRejected, Conflict, LimitReached
from domains.models import Alias, Domain, Mailbox, MailStoreJob
from domains.services.alias_rules import alias_limit_reached, clean_alias, refuse_loop
from domains.services.common import clean_byte_count, clean_spam_threshold, unique_or_conflict
from domains.services.mailbox_fields import AUDITED, mailbox_password_hash, maildir_of_its_own, quota_errors
from domains.services.suspension import suspended_by

CHUNK = 1000  # rows per IN (...) lookup and per INSERT
# MariaDB estimates an IN list of eq_range_index_dive_limit (200) values or more from the index's
# statistics; `maildir` is '' in almost every row, so it would read the whole index instead.
MAILDIR_CHUNK = 100


@dataclass(frozen=True)
class NewMailbox:
    address: str
    password: str | None = None
    password_hash: str | None = None
    quota: int | None = None
    display_name: str = ""
    spam_threshold: Decimal | str | None = None
    active: bool = True


@dataclass(frozen=True)
class NewAlias:
    source: str
    destinations: list[str] = field(default_factory=list)


class _Problems:
    """Every item's errors, by its index in the input."""

    def __init__(self):
        self.by_item: dict[int, list[ValidationError]] = defaultdict(list)

    def check(self, index: int, step: Callable, *args, **kwargs):
        """step(*args, **kwargs), or None with its errors noted against the item."""
        try:
            return step(*args, **kwargs)
        except ValidationError as error:
            self.add(index, error)
            return None

    def add(self, index: int, error: ValidationError):
        """Each message on its own, so that each keeps its code."""
        self.by_item[index].extend(getattr(error, "error_list", [error]))

    def raise_any(self):
        if self.by_item:
            raise BulkRejected(dict(self.by_item))


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _domain_of_item(domains: Mapping[str, Domain], address: str) -> Domain:
    domain = domains.get(domain_of(address))
    if domain is None:
        raise ValidationError(_("There is no domain %(domain)s."), code="no_domain",
                              params={"domain": domain_of(address)})
    return domain


def _first_seen(problems: _Problems, keys: list[tuple[int, str]], what: str) -> dict[str, int]:
    """Index of each key's first item; later items with the same key are errors."""
    first: dict[str, int] = {}
    for index, key in keys:
        if key in first:
            problems.add(index, ValidationError(
                _("%(what)s %(key)s appears twice in the request (also item %(first)d)."), code="duplicate",
                params={"what": what, "key": key, "first": first[key]}))
        else:
            first[key] = index
    return first


def _locked_domains(domains: Iterable[Domain]) -> dict[int, Domain]:
    """The batch's domain rows, locked in id order (as every service locks them), so that limits hold."""
    ids = sorted({domain.pk for domain in domains})
    return {domain.pk: domain for domain in Domain.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _existing(model, column: str, values: list[str]) -> set[str]:
    found = set()
    for chunk in _chunks(values):
        found.update(value.lower() for value in model.objects.filter(**{f"{column}__in": chunk})
                     .values_list(column, flat=True))
    return found


def _mailbox_limits(problems: _Problems, rows: list[tuple[int, Mailbox]], locked: dict[int, Domain]):
    """Max mailboxes, max quota per mailbox and the total quota, per domain, for the whole batch."""
    by_domain = defaultdict(list)
    for index, mailbox in rows:
        if index in problems.by_item:  # refused already: it takes no room
            continue
        by_domain[mailbox.domain_id].append((index, mailbox))
    limited = [pk for pk in by_domain if locked[pk].max_mailboxes or locked[pk].quota_total]
    figures = {row["domain"]: row for row in Mailbox.objects.filter(domain__in=limited)
               .values("domain").annotate(count=Count("id"), allocated=Sum("quota"))} if limited else {}
    for domain_id, items in by_domain.items():
        domain = locked[domain_id]
        count = figures.get(domain_id, {}).get("count", 0)
        allocated = figures.get(domain_id, {}).get("allocated") or 0
        for index, mailbox in items:
            count += 1
            allocated += mailbox.quota
            if domain.max_mailboxes and count > domain.max_mailboxes:
                problems.add(index, LimitReached(_("%(domain)s has reached its limit of %(max)d mailboxes."),
                                                 code="mailbox_limit",
                                                 params={"domain": domain.name, "max": domain.max_mailboxes}))
            for error in quota_errors(domain, mailbox.quota, allocated_to_others=allocated - mailbox.quota):
                problems.add(index, error)


def _maildirs(rows: list[tuple[int, Mailbox]]):
    """Gives a mailbox a folder of its own where the tutorial's folder is still in use (as mailbox_create does)."""
    defaults = [mailbox.home for _index, mailbox in rows]
    taken = set()
    for chunk in _chunks(defaults, MAILDIR_CHUNK):
        taken.update(Mailbox.objects.filter(maildir__in=chunk).values_list("maildir", flat=True))
        taken.update(MailStoreJob.objects.filter(path__in=chunk, state=MailStoreJob.PENDING)
                     .values_list("path", flat=True))
    # A domain deleted and created again before the worker archived its old folder: every folder
    # in it is the old mail's (the worker leaves the new mailboxes' own folders in place).
    domain_folders = {home.split("/", 1)[0] for home in defaults}
    archived_domains = set(MailStoreJob.objects.filter(path__in=domain_folders, action=MailStoreJob.ARCHIVE,
                                                       state=MailStoreJob.PENDING).values_list("path", flat=True))
    for _index, mailbox in rows:
        if mailbox.home in taken or mailbox.home.split("/", 1)[0] in archived_domains:
            mailbox.maildir = maildir_of_its_own(mailbox.home)


def mailboxes_create_many(*, actor: Actor, domains: Mapping[str, Domain],
                          mailboxes: Sequence[NewMailbox]) -> list[Mailbox]:
    """Creates every mailbox or none.  `domains` are the domains the caller may create in, by
    canonical name.  Raises BulkRejected with each item's errors."""
    problems, rows = _Problems(), []
    for index, item in enumerate(mailboxes):
        address = problems.check(index, normalize_mailbox_address, item.address)
        if address is None:
            continue
        domain = problems.check(index, _domain_of_item, domains, address)
        hashed = problems.check(index, mailbox_password_hash, address=address, password=item.password,
                                password_hash=item.password_hash)
        threshold = problems.check(index, clean_spam_threshold, item.spam_threshold)
        quota = item.quota
        if quota is not None:
            quota = problems.check(index, clean_byte_count, quota, "The quota")
        if index in problems.by_item:
            continue
        rows.append((index, Mailbox(domain=domain, email=address, password=hashed, quota=quota,
                                    active=bool(item.active), display_name=item.display_name,
                                    spam_threshold=threshold, suspended_by=suspended_by(actor, item.active))))
    first = _first_seen(problems, [(index, mailbox.email) for index, mailbox in rows], "The address")
    rows = [(index, mailbox) for index, mailbox in rows if first[mailbox.email] == index]
    with transaction.atomic():
        locked = _locked_domains(mailbox.domain for _index, mailbox in rows)
        for _index, mailbox in rows:
            mailbox.domain = locked[mailbox.domain_id]
            if mailbox.quota is None:
                mailbox.quota = mailbox.domain.default_quota
        existing = _existing(Mailbox, "email", [mailbox.email for _index, mailbox in rows])
        for index, mailbox in rows:
            if mailbox.email in existing:
                problems.add(index, Conflict(_("The mailbox %(address)s exists already."), code="conflict",
                                             params={"address": mailbox.email}))
        _mailbox_limits(problems, rows, locked)
        problems.raise_any()
        _maildirs(rows)
        created = [mailbox for _index, mailbox in rows]
        with unique_or_conflict("The mailbox %(address)s exists already." if len(created) == 1 else
                                "One of the mailboxes was created meanwhile by another request.",
                                address=created[0].email if created else ""):
            Mailbox.objects.bulk_create(created, batch_size=CHUNK)
        record_many(actor, "mailbox.create", [
            (mailbox, mailbox.domain, {"after": snapshot(mailbox, AUDITED)}) for mailbox in created])
    return created


def _alias_limits(problems: _Problems, items: list[tuple[int, Domain, str, list[str]]], locked: dict[int, Domain]):
    counts = dict(Alias.objects.filter(domain__in=list(locked)).values("domain").annotate(rows=Count("id"))
                  .values_list("domain", "rows"))
    for index, domain, _source, destinations in items:
        if index in problems.by_item:  # refused already: it takes no room
            continue
        domain = locked[domain.pk]
        counts[domain.pk] = counts.get(domain.pk, 0) + len(destinations)
        if domain.max_aliases and counts[domain.pk] > domain.max_aliases:
            problems.add(index, alias_limit_reached(domain))


def aliases_create_many(*, actor: Actor, domains: Mapping[str, Domain], aliases: Sequence[NewAlias]) -> int:
    """Creates every alias (a source with its destinations) or none.  A source that exists already
    is a conflict, even with destinations it does not have yet: creating never adds to an alias
    (alias_set_destinations changes its destinations).  Returns the number of rows created.
    Raises BulkRejected with each item's errors."""
    problems, items = _Problems(), []
    for index, item in enumerate(aliases):
        domain = problems.check(index, _domain_of_item, domains, item.source)
        if domain is None:
            continue
        cleaned = problems.check(index, clean_alias, domain, item.source, item.destinations)
        if cleaned is not None:
            items.append((index, domain, *cleaned))
    first = _first_seen(problems, [(index, source) for index, _domain, source, _destinations in items], "The alias")
    items = [item for item in items if first[item[2]] == item[0]]
    with transaction.atomic():
        locked = _locked_domains(domain for _index, domain, _source, _destinations in items)
        existing = _existing(Alias, "source", [source for _index, _domain, source, _destinations in items])
        for index, _domain, source, _destinations in items:
            if source in existing:
                problems.add(index, Conflict(_("The alias %(source)s exists already."), code="conflict",
                                             params={"source": source}))
        _alias_limits(problems, items, locked)
        problems.raise_any()
        rows = [Alias(domain=locked[domain.pk], source=source, destination=destination)
                for _index, domain, source, destinations in items for destination in destinations]
        with unique_or_conflict("One of the aliases was created meanwhile by another request."):
            Alias.objects.bulk_create(rows, batch_size=CHUNK)
        # With every new row in place, no source may be reachable from its own destinations.
        for index, _domain, source, destinations in items:
            problems.check(index, refuse_loop, source, destinations)
        problems.raise_any()
        record_many(actor, "alias.create", [
            (source, locked[domain.pk], {"after": {"destinations": sorted(destinations)}})
            for _index, domain, source, destinations in items])
    return len(rows)
