"""The one place that decides which rows a caller may see, for the panel and the API alike.

Every function takes a Scope (domains/scope.py: every domain, or some domain ids), so a row
outside the caller's reach is a 404, never a different answer.  The lists take their filters
(`active`, `prefix`) as parameters, so that every interface filters the same way.
"""
from django.db.models import Case, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from domains.models import Alias, AuditEntry, Domain, DomainStorage, Mailbox, MailboxUsage, MailStoreJob
from domains.scope import Scope


def _within(rows: QuerySet, scope: Scope, column: str = "domain_id") -> QuerySet:
    return rows if scope.all_domains else rows.filter(**{f"{column}__in": scope.domain_ids})


def _prefix(value: str) -> str:
    """A prefix as names and addresses are stored: lower case.  Matched with `istartswith`, which is
    LIKE in the column's own collation and can use the index (Django's `startswith`, LIKE BINARY,
    reads every row); a value written by hand in mixed case is found too, as the daemons find it."""
    return value.strip().lower()


def domains_visible_to(scope: Scope, *, active: bool | None = None, prefix: str = "") -> QuerySet[Domain]:
    domains = _within(Domain.objects.all(), scope, "pk")
    if active is not None:
        domains = domains.filter(active=active)
    if prefix.strip():
        domains = domains.filter(name__istartswith=_prefix(prefix))
    return domains


def domain_list_for(scope: Scope, *, active: bool | None = None, prefix: str = "") -> QuerySet[Domain]:
    """Domains with their mailbox and alias counts and quota figures, by name."""
    return with_domain_figures(domains_visible_to(scope, active=active, prefix=prefix)).order_by("name")


def with_domain_figures(domains: QuerySet[Domain]) -> QuerySet[Domain]:
    """mailbox_count, alias_count (rows: source → destination), quota_allocated and quota_used (bytes).

    Read from the totals MariaDB's triggers keep (domains/totals.py): one row per domain, so a page
    of domains costs the same whether they hold ten mailboxes or a hundred thousand."""
    stored = DomainStorage.objects.filter(domain=OuterRef("name")).values("bytes")
    return domains.annotate(mailbox_count=Coalesce("totals__mailboxes", 0), alias_count=Coalesce("totals__aliases", 0),
                            quota_allocated=Coalesce("totals__quota_allocated", 0),
                            quota_used=Coalesce(Subquery(stored), 0))


def domain_get_for(scope: Scope, **lookup) -> Domain:
    """The one domain matching `lookup` (pk=, name=) within the scope; 404 otherwise."""
    return get_object_or_404(domains_visible_to(scope), **lookup)


def mailboxes_visible_to(scope: Scope, *, domain: Domain | None = None, active: bool | None = None,
                         prefix: str = "") -> QuerySet[Mailbox]:
    """Shaped so that a page out of a million mailboxes is read through an index (measured by
    `./mailctl bench`, held by tests/test_query_plans.py): no join (with one to virtual_domains,
    MariaDB read and sorted every mailbox for a page of 50; the page's domains come in one more
    query), the caller's domains as a list of ids, and the prefix matched in the column's
    collation (see _prefix)."""
    mailboxes = _within(Mailbox.objects.prefetch_related("domain"), scope)
    if domain is not None:
        mailboxes = mailboxes.filter(domain=domain)
    if active is not None:
        mailboxes = mailboxes.filter(active=active)
    if prefix.strip():
        mailboxes = mailboxes.filter(email__istartswith=_prefix(prefix))
    return mailboxes


def mailbox_list_for(scope: Scope, *, domain: Domain | None = None, active: bool | None = None,
                     prefix: str = "") -> QuerySet[Mailbox]:
    """Mailboxes by address, with the storage they use; `prefix` matches the start of the address."""
    mailboxes = mailboxes_visible_to(scope, domain=domain, active=active, prefix=prefix)
    return with_mailbox_usage(mailboxes).order_by("email")


def with_mailbox_usage(mailboxes: QuerySet[Mailbox], *, messages: bool = False) -> QuerySet[Mailbox]:
    """bytes_used (and with `messages`, the count of messages), as Dovecot's quota_clone last wrote
    them (0 before any mail).  The panel's lists show only the bytes: one subquery per row shown."""
    usage = MailboxUsage.objects.filter(username=OuterRef("email"))
    mailboxes = mailboxes.annotate(bytes_used=Coalesce(Subquery(usage.values("bytes")[:1]), 0))
    if messages:
        mailboxes = mailboxes.annotate(messages=Coalesce(Subquery(usage.values("messages")[:1]), 0))
    return mailboxes


def mailbox_get_for(scope: Scope, **lookup) -> Mailbox:
    """The one mailbox matching `lookup` (pk=, email=) within the scope; 404 otherwise."""
    return get_object_or_404(mailboxes_visible_to(scope).select_related("domain"), **lookup)


def alias_sources_visible_to(scope: Scope, *, domain: Domain | None = None, prefix: str = "") -> QuerySet:
    """One row ({"source": ...}) per alias source; a source belongs to one domain."""
    aliases = _within(Alias.objects.all(), scope)
    if domain is not None:
        aliases = aliases.filter(domain=domain)
    if prefix.strip():
        aliases = aliases.filter(source__istartswith=_prefix(prefix))
    return aliases.values("source").distinct()


def _grouped(rows: QuerySet[Alias], grouped: dict[str, list[str]]) -> dict[str, list[str]]:
    for source, destination in rows.order_by("source", "destination").values_list("source", "destination"):
        grouped.setdefault(source, []).append(destination)
    return grouped


def alias_destinations(sources: list[str]) -> dict[str, list[str]]:
    """The destinations of each of `sources` (already read through a selector), in that order."""
    return _grouped(Alias.objects.filter(source__in=sources), {source: [] for source in sources})


def alias_sources_of(domain: Domain) -> list[tuple[str, list[str]]]:
    """The domain's aliases as (source, [destinations]), by source."""
    return list(_grouped(domain.aliases.all(), {}).items())


def alias_destinations_in(domain: Domain, source: str) -> list[str]:
    """The destinations of the alias `source` of `domain` (read through a selector); 404 if it has none."""
    destinations = list(domain.aliases.filter(source=source).order_by("destination")
                        .values_list("destination", flat=True))
    if not destinations:
        raise Http404
    return destinations


def mailstore_jobs_visible_to(scope: Scope) -> QuerySet[MailStoreJob]:
    """By domain id: a deleted domain's jobs stay hidden from the admin of a new domain of the same name."""
    return _within(MailStoreJob.objects.exclude(action=MailStoreJob.PURGE), scope).order_by("-created", "-id")


def mailstore_job_get_for(scope: Scope, pk) -> MailStoreJob:
    return get_object_or_404(mailstore_jobs_visible_to(scope), pk=pk)


def audit_visible_to(scope: Scope) -> QuerySet[AuditEntry]:
    """Every row for a caller who reaches every domain; otherwise the rows of their domains (by
    id, as for stored mail), with the client address only of actors who are not superadmins
    (`client_ip`)."""
    if scope.all_domains:
        return AuditEntry.objects.annotate(client_ip=F("source_ip")).order_by("-at", "-id")
    shown = Case(When(actor__is_superuser=False, then=F("source_ip")), default=None)
    return _within(AuditEntry.objects.all(), scope).annotate(client_ip=shown).order_by("-at", "-id")
