"""What an API key may see: the one place that decides it.  Anything outside answers 404."""
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from api.models import ApiKey
from domains.addresses import normalize_alias_source, normalize_domain, normalize_mailbox_address
from domains.models import Alias, Domain, Mailbox, MailboxUsage
from domains.selectors import with_domain_figures


def domains_for_key(key: ApiKey):
    if key.all_domains:
        return Domain.objects.all()
    return Domain.objects.filter(pk__in=key.domains.values("pk"))


def mailboxes_for_key(key: ApiKey):
    """No join to virtual_domains (the page's domains come in one more query) and the key's
    domains as a list of ids, so that a page out of a million rows is read through an index
    (as in domains/selectors.py, measured with manage.py bench_panel)."""
    mailboxes = Mailbox.objects.prefetch_related("domain")
    if key.all_domains:
        return mailboxes
    return mailboxes.filter(domain_id__in=list(key.domains.values_list("pk", flat=True)))


def domain_get_for(key: ApiKey, name: str) -> Domain:
    """By its canonical name; the Unicode form of an IDN domain is accepted too."""
    try:
        canonical = normalize_domain(name)
    except ValidationError as error:
        raise Http404 from error
    return get_object_or_404(domains_for_key(key), name=canonical)


def mailbox_get_for(key: ApiKey, address: str) -> Mailbox:
    try:
        canonical = normalize_mailbox_address(address)
    except ValidationError as error:
        raise Http404 from error
    return get_object_or_404(mailboxes_for_key(key), email=canonical)


def alias_sources_for_key(key: ApiKey):
    """One row ({"source": ...}) per alias source in the key's domains; a source belongs to one domain."""
    aliases = Alias.objects.all()
    if not key.all_domains:
        aliases = aliases.filter(domain_id__in=list(key.domains.values_list("pk", flat=True)))
    return aliases.values("source").distinct()


def alias_destinations(sources: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {source: [] for source in sources}
    rows = Alias.objects.filter(source__in=sources).order_by("source", "destination")
    for source, destination in rows.values_list("source", "destination"):
        grouped.setdefault(source, []).append(destination)
    return grouped


def alias_get_for(key: ApiKey, source: str) -> tuple[Domain, str, list[str]]:
    """The alias's domain, canonical source and destinations; 404 if absent or outside the key's domains."""
    try:
        canonical = normalize_alias_source(source)
    except ValidationError as error:
        raise Http404 from error
    domain = domain_get_for(key, canonical.rpartition("@")[2])
    destinations = list(domain.aliases.filter(source=canonical).order_by("destination")
                        .values_list("destination", flat=True))
    if not destinations:
        raise Http404
    return domain, canonical, destinations


def domain_usage_for_key(key: ApiKey):
    """The key's domains with their counts and quota figures, computed as the panel computes them."""
    return with_domain_figures(domains_for_key(key))


def mailbox_usage_of(mailboxes):
    """Bytes and messages in use, as Dovecot's quota_clone last wrote them (0 before any mail)."""
    usage = MailboxUsage.objects.filter(username=OuterRef("email"))
    return mailboxes.annotate(bytes_used=Coalesce(Subquery(usage.values("bytes")[:1]), 0),
                              messages=Coalesce(Subquery(usage.values("messages")[:1]), 0))


def _domain_names(addresses) -> set[str]:
    """The canonical domains of the addresses (or @domain sources); malformed ones are left to the
    services, which report them by item."""
    names = set()
    for address in addresses:
        try:
            names.add(normalize_domain(address.rpartition("@")[2]))
        except ValidationError:
            continue
    return names


def domains_of_items(key: ApiKey, addresses) -> dict[str, Domain]:
    """The domains of a bulk request's items, by name; if any is outside the key's domains (or
    does not exist) the whole request is 404, as for a single item."""
    names = _domain_names(addresses)
    domains = {domain.name: domain for domain in domains_for_key(key).filter(name__in=names)}
    if len(domains) != len(names):
        raise Http404
    return domains


def alias_sources_of_items(sources) -> list[str]:
    canonical = []
    for source in sources:
        try:
            canonical.append(normalize_alias_source(source))
        except ValidationError:
            continue
    return canonical
