"""The one place that decides which rows a panel user may see.

Superadmins see everything; a domain admin sees the domains assigned to them and what is in
them.  Every view fetches through these functions, so a row outside the caller's reach is a
404, never a different answer.
"""
from django.db.models import Case, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from domains.models import AuditEntry, Domain, DomainStorage, Mailbox, MailboxUsage, MailStoreJob


def domains_visible_to(user) -> QuerySet[Domain]:
    return Domain.objects.all() if user.is_superuser else Domain.objects.filter(admins=user)


def domain_list_for(user, *, search: str = "") -> QuerySet[Domain]:
    """Domains with their mailbox and alias counts and quota figures, by name, optionally by
    name prefix."""
    domains = domains_visible_to(user)
    if search:
        # `istartswith` is LIKE in the column's own collation, which can use the index; Django's
        # `startswith` (LIKE BINARY) reads every row.  Names are stored lower-case either way.
        domains = domains.filter(name__istartswith=search.strip().lower())
    return with_domain_figures(domains).order_by("name")


def with_domain_figures(domains: QuerySet[Domain]) -> QuerySet[Domain]:
    """mailbox_count, alias_count (rows: source → destination), quota_allocated and quota_used (bytes).

    Read from the totals MariaDB's triggers keep (domains/totals.py): one row per domain, so a page
    of domains costs the same whether they hold ten mailboxes or a hundred thousand."""
    stored = DomainStorage.objects.filter(domain=OuterRef("name")).values("bytes")
    return domains.annotate(mailbox_count=Coalesce("totals__mailboxes", 0), alias_count=Coalesce("totals__aliases", 0),
                            quota_allocated=Coalesce("totals__quota_allocated", 0),
                            quota_used=Coalesce(Subquery(stored), 0))


def domain_get_for(user, pk) -> Domain:
    return get_object_or_404(domains_visible_to(user), pk=pk)


def mailboxes_visible_to(user) -> QuerySet[Mailbox]:
    mailboxes = Mailbox.objects.select_related("domain")
    if user.is_superuser:
        return mailboxes
    # The admin's domains as a list of ids rather than a join: MariaDB can then estimate each
    # domain's rows and read a page of a large list through an index (see mailbox_list_for).
    return mailboxes.filter(domain_id__in=list(domains_visible_to(user).values_list("id", flat=True)))


def mailbox_list_for(user, *, domain: Domain | None = None, search: str = "") -> QuerySet[Mailbox]:
    """Mailboxes by address; `search` matches the start of the address.

    Shaped so that a page out of a million mailboxes is read through an index (measured with
    `manage.py bench_panel`): no join (with one to virtual_domains, MariaDB read and sorted every
    mailbox for a page of 50; the page's domains come in one more query), and the prefix matched
    with LIKE in the column's collation (Django's `startswith`, LIKE BINARY, reads the whole index).
    Addresses are stored lower-case; one written by hand in mixed case is found too, as the
    daemons find it.
    """
    mailboxes = mailboxes_visible_to(user).select_related(None)
    if domain is not None:
        mailboxes = mailboxes.filter(domain=domain)
    if search:
        mailboxes = mailboxes.filter(email__istartswith=search.strip().lower())
    used = MailboxUsage.objects.filter(username=OuterRef("email")).values("bytes")[:1]
    return mailboxes.prefetch_related("domain").annotate(used_bytes=Subquery(used)).order_by("email")


def mailbox_get_for(user, pk) -> Mailbox:
    return get_object_or_404(mailboxes_visible_to(user), pk=pk)


def alias_sources_of(domain: Domain) -> list[tuple[str, list[str]]]:
    """The domain's aliases as (source, [destinations]), by source."""
    grouped: dict[str, list[str]] = {}
    for source, destination in domain.aliases.order_by("source", "destination").values_list("source", "destination"):
        grouped.setdefault(source, []).append(destination)
    return list(grouped.items())


def _visible_domain_ids(user) -> list[int]:
    return list(domains_visible_to(user).values_list("id", flat=True))


def mailstore_jobs_visible_to(user) -> QuerySet[MailStoreJob]:
    """Superadmins see all; a domain admin sees those of the domains they still manage, by id: a
    deleted domain's jobs stay hidden from the admin of a new domain of the same name."""
    jobs = MailStoreJob.objects.exclude(action=MailStoreJob.PURGE)
    if not user.is_superuser:
        jobs = jobs.filter(domain_id__in=_visible_domain_ids(user))
    return jobs.order_by("-created", "-id")


def mailstore_job_get_for(user, pk) -> MailStoreJob:
    return get_object_or_404(mailstore_jobs_visible_to(user), pk=pk)


def audit_visible_to(user) -> QuerySet[AuditEntry]:
    """Superadmins see all; a domain admin the rows of the domains they manage (by id, as for
    stored mail), with the client address only of actors who are not superadmins (`client_ip`)."""
    if user.is_superuser:
        return AuditEntry.objects.annotate(client_ip=F("source_ip")).order_by("-at", "-id")
    entries = AuditEntry.objects.filter(domain_id__in=_visible_domain_ids(user))
    shown = Case(When(actor__is_superuser=False, then=F("source_ip")), default=None)
    return entries.annotate(client_ip=shown).order_by("-at", "-id")
