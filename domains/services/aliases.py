from django.db import transaction

from domains.audit import Actor, record
from domains.errors import BulkRejected
from domains.models import Alias, Domain
from domains.services.alias_rules import alias_limit_reached, alias_source_in, clean_alias, refuse_loop
from domains.services.bulk import NewAlias, aliases_create_many
from domains.services.common import unique_or_conflict

ROLE_ADDRESSES = ("postmaster", "abuse")  # RFC 2142


def alias_create(*, actor: Actor, domain: Domain, source: str, destinations: list[str]) -> list[Alias]:
    """Creates the alias `source` (an address of `domain`, or its catch-all `@domain`) with its
    destinations.  A source that exists already is a Conflict, as in a batch: its destinations
    are changed with alias_set_destinations.  The rules are those of a batch of one."""
    source = alias_source_in(domain, source)
    try:
        aliases_create_many(actor=actor, domains={domain.name: domain}, aliases=[NewAlias(source, list(destinations))])
    except BulkRejected as rejected:
        raise rejected.only_item_error() from None
    return list(domain.aliases.filter(source=source))


def alias_set_destinations(*, actor: Actor, domain: Domain, source: str, destinations: list[str]) -> list[Alias]:
    """Makes `destinations` the alias's whole list, in one transaction: the address is never
    briefly without a destination."""
    source, cleaned = clean_alias(domain, source, destinations)
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        existing = list(domain.aliases.filter(source=source).values_list("destination", flat=True))
        if not existing:
            raise Alias.DoesNotExist
        refuse_loop(source, cleaned, ignoring=source)
        added = [destination for destination in cleaned if destination not in existing]
        removed = [destination for destination in existing if destination not in cleaned]
        if domain.max_aliases and domain.aliases.count() + len(added) - len(removed) > domain.max_aliases:
            raise alias_limit_reached(domain)
        # New rows go in before old ones leave; the commit makes both visible at once.
        for destination in added:
            with unique_or_conflict("The alias %(source)s → %(destination)s exists already.", source=source,
                                    destination=destination):
                Alias(domain=domain, source=source, destination=destination).save(force_insert=True)
        domain.aliases.filter(source=source, destination__in=removed).delete()
        record(actor, "alias.update", obj=source, domain=domain, before={"destinations": existing},
               after={"destinations": sorted(cleaned)})
        return list(domain.aliases.filter(source=source))


def alias_delete(*, actor: Actor, domain: Domain, source: str) -> int:
    """Deletes the alias `source` with all its destinations."""
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        rows = domain.aliases.filter(source=source)
        destinations = sorted(rows.values_list("destination", flat=True))
        if not destinations:
            raise Alias.DoesNotExist
        record(actor, "alias.delete", obj=source, domain=domain, before={"destinations": destinations})
        deleted, _ = rows.delete()
    return deleted
