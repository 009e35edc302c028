from django.core.exceptions import ValidationError
from django.db import transaction

from domains.addresses import domain_of, normalize_address, normalize_alias_source
from domains.audit import Actor, record
from domains.errors import LimitReached
from domains.models import Alias, Domain
from domains.services.common import unique_or_conflict


def _expansions(source: str, new_destinations: list[str]) -> set[str]:
    """Every address reachable from `source` through aliases, with the new rows included."""
    reached, pending = set(), list(new_destinations)
    while pending:
        address = pending.pop()
        if address in reached:
            continue
        reached.add(address)
        pending.extend(Alias.objects.filter(source=address).values_list("destination", flat=True))
    return reached


def alias_create(*, actor: Actor, domain: Domain, source: str, destinations: list[str]) -> list[Alias]:
    """Adds one row per destination for `source` (an address of `domain`, or its catch-all
    `@domain`).  Refuses a destination that would lead back to the source."""
    source = normalize_alias_source(source)
    if domain_of(source) != domain.name:
        raise ValidationError("The alias %(source)s is not an address of %(domain)s.", code="alias_domain",
                              params={"source": source, "domain": domain.name})
    if not destinations:
        raise ValidationError("An alias needs at least one destination.", code="alias_destinations")
    cleaned = list(dict.fromkeys(normalize_address(destination) for destination in destinations))
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        if source in _expansions(source, cleaned):
            raise ValidationError("The alias %(source)s would forward to itself (a loop).", code="alias_loop",
                                  params={"source": source})
        if domain.max_aliases and domain.aliases.count() + len(cleaned) > domain.max_aliases:
            raise LimitReached("%(domain)s has reached its limit of %(max)d aliases.", code="alias_limit",
                               params={"domain": domain.name, "max": domain.max_aliases})
        aliases = []
        for destination in cleaned:
            alias = Alias(domain=domain, source=source, destination=destination)
            with unique_or_conflict("The alias %(source)s → %(destination)s exists already.", source=source,
                                    destination=destination):
                alias.save(force_insert=True)
            aliases.append(alias)
        record(actor, "alias.create", obj=source, domain_name=domain.name, after={"destinations": cleaned})
    return aliases


def alias_delete(*, actor: Actor, alias: Alias) -> None:
    with transaction.atomic():
        alias = Alias.objects.select_for_update().select_related("domain").get(pk=alias.pk)
        record(actor, "alias.delete", obj=alias, domain_name=alias.domain.name,
               before={"source": alias.source, "destination": alias.destination})
        alias.delete()
