from django.core.exceptions import ValidationError
from django.db import transaction

from domains.addresses import domain_of, normalize_address, normalize_alias_source
from domains.audit import Actor, record
from domains.errors import LimitReached
from domains.models import Alias, Domain
from domains.services.common import unique_or_conflict

ROLE_ADDRESSES = ("postmaster", "abuse")  # RFC 2142


def reachable_from(new_destinations: list[str], *, ignoring: str) -> set[str]:
    """Every address reachable through aliases from the new destinations (ignoring the rows of
    `ignoring`, whose destinations are being replaced)."""
    reached, pending = set(), list(new_destinations)
    while pending:
        address = pending.pop()
        if address in reached:
            continue
        reached.add(address)
        rows = Alias.objects.filter(source=address).exclude(source=ignoring)
        pending.extend(rows.values_list("destination", flat=True))
    return reached


def refuse_loop(source: str, destinations, *, ignoring: str = ""):
    """Refuses `destinations` for `source` when they lead back to it."""
    if source in reachable_from(list(destinations), ignoring=ignoring):
        raise ValidationError("The alias %(source)s would forward to itself (a loop).", code="alias_loop",
                              params={"source": source})


def _destination(value: str) -> str:
    """A destination in canonical form; its refusal names it, under a code of its own, so that
    callers can tell a bad destination from a bad source."""
    try:
        return normalize_address(value)
    except ValidationError as error:
        raise ValidationError("The destination %(destination)s is refused: %(reason)s", code="alias_destination",
                              params={"destination": value, "reason": " ".join(error.messages)}) from error


def clean_alias(domain: Domain, source: str, destinations: list[str]) -> tuple[str, list[str]]:
    source = normalize_alias_source(source)
    if domain_of(source) != domain.name:
        raise ValidationError("The alias %(source)s is not an address of %(domain)s.", code="alias_domain",
                              params={"source": source, "domain": domain.name})
    cleaned = list(dict.fromkeys(_destination(destination) for destination in destinations if destination))
    if not cleaned:
        raise ValidationError("An alias needs at least one destination.", code="alias_destinations")
    return source, cleaned


def _write(actor: Actor, domain: Domain, source: str, destinations: list[str], *, replace: bool) -> list[Alias]:
    """Inside the caller's transaction, with the domain row locked."""
    refuse_loop(source, destinations, ignoring=source if replace else "")
    existing = list(domain.aliases.filter(source=source).values_list("destination", flat=True))
    added = [destination for destination in destinations if destination not in existing]
    removed = [destination for destination in existing if destination not in destinations] if replace else []
    if domain.max_aliases and domain.aliases.count() + len(added) - len(removed) > domain.max_aliases:
        raise LimitReached("%(domain)s has reached its limit of %(max)d aliases.", code="alias_limit",
                           params={"domain": domain.name, "max": domain.max_aliases})
    # New rows go in before old ones leave; the commit makes both visible at once.
    for destination in added if replace else destinations:
        with unique_or_conflict("The alias %(source)s → %(destination)s exists already.", source=source,
                                destination=destination):
            Alias(domain=domain, source=source, destination=destination).save(force_insert=True)
    domain.aliases.filter(source=source, destination__in=removed).delete()
    record(actor, "alias.update" if replace else "alias.create", obj=source, domain=domain,
           before={"destinations": existing} if replace else None,
           after={"destinations": sorted(set(existing) - set(removed) | set(destinations))})
    return list(domain.aliases.filter(source=source))


def alias_create(*, actor: Actor, domain: Domain, source: str, destinations: list[str]) -> list[Alias]:
    """Adds one row per destination for `source` (an address of `domain`, or its catch-all
    `@domain`).  Refuses a destination that would lead back to the source."""
    source, cleaned = clean_alias(domain, source, destinations)
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        return _write(actor, domain, source, cleaned, replace=False)


def alias_set_destinations(*, actor: Actor, domain: Domain, source: str, destinations: list[str]) -> list[Alias]:
    """Makes `destinations` the alias's whole list, in one transaction: the address is never
    briefly without a destination."""
    source, cleaned = clean_alias(domain, source, destinations)
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        if not domain.aliases.filter(source=source).exists():
            raise Alias.DoesNotExist
        return _write(actor, domain, source, cleaned, replace=True)


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
