"""What every alias change shares: the source and destination rules, the loop rule and the
domain's limit.  Creating (one alias or a batch, domains/services/bulk.py), replacing
destinations and renaming a mailbox apply these, so that their refusals read the same."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from domains.addresses import domain_of, normalize_address, normalize_alias_source
from domains.errors import LimitReached
from domains.models import Alias, Domain


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
        raise ValidationError(_("The alias %(source)s would forward to itself (a loop)."), code="alias_loop",
                              params={"source": source})


def alias_limit_reached(domain: Domain) -> LimitReached:
    return LimitReached(_("%(domain)s has reached its limit of %(max)d aliases."), code="alias_limit",
                        params={"domain": domain.name, "max": domain.max_aliases})


def _destination(value: str) -> str:
    """A destination in canonical form; its refusal names it, under a code of its own, so that
    callers can tell a bad destination from a bad source."""
    try:
        return normalize_address(value)
    except ValidationError as error:
        raise ValidationError(_("The destination %(destination)s is refused: %(reason)s"), code="alias_destination",
                              params={"destination": value, "reason": " ".join(error.messages)}) from error


def alias_source_in(domain: Domain, source: str) -> str:
    """`source` in canonical form, if it is an address of `domain` or its catch-all `@domain`."""
    source = normalize_alias_source(source)
    if domain_of(source) != domain.name:
        raise ValidationError(_("The alias %(source)s is not an address of %(domain)s."), code="alias_domain",
                              params={"source": source, "domain": domain.name})
    return source


def clean_alias(domain: Domain, source: str, destinations: list[str]) -> tuple[str, list[str]]:
    source = alias_source_in(domain, source)
    cleaned = list(dict.fromkeys(_destination(destination) for destination in destinations if destination))
    if not cleaned:
        raise ValidationError(_("An alias needs at least one destination."), code="alias_destinations")
    return source, cleaned
