"""The rows an API request names (a domain by name, a mailbox by address, an alias by source),
read through the one scope rule of domains/selectors.py: a name that is malformed, absent or
outside the key's scope answers 404.  Imported as `by_name`."""
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.http import Http404

from domains import selectors
from domains.addresses import normalize_alias_source, normalize_domain, normalize_mailbox_address
from domains.models import Domain, Mailbox
from domains.scope import Scope


def _canonical(normalize: Callable[[str], str], value: str) -> str:
    try:
        return normalize(value)
    except ValidationError as error:
        raise Http404 from error


def domain(scope: Scope, name: str) -> Domain:
    """By its canonical name; the Unicode form of an IDN domain is accepted too."""
    return selectors.domain_get_for(scope, name=_canonical(normalize_domain, name))


def mailbox(scope: Scope, address: str) -> Mailbox:
    return selectors.mailbox_get_for(scope, email=_canonical(normalize_mailbox_address, address))


def alias(scope: Scope, source: str) -> tuple[Domain, str, list[str]]:
    """The alias's domain, canonical source and destinations."""
    canonical = _canonical(normalize_alias_source, source)
    found = domain(scope, canonical.rpartition("@")[2])
    return found, canonical, selectors.alias_destinations_in(found, canonical)


def domains_of_items(scope: Scope, addresses: Iterable[str]) -> dict[str, Domain]:
    """The domains of a bulk request's items, by name; if any is outside the key's domains (or
    does not exist) the whole request is 404, as for a single item.  Malformed addresses are left
    to the services, which report them by item."""
    names = set(_canonical_or_skipped(lambda address: normalize_domain(address.rpartition("@")[2]), addresses))
    domains = {row.name: row for row in selectors.domains_visible_to(scope).filter(name__in=names)}
    if len(domains) != len(names):
        raise Http404
    return domains


class ItemsNotFound(Http404):
    """Items of a bulk request that are malformed, absent or outside the key's domains (one
    answer for all three), by their index."""

    def __init__(self, indexes: list[int]):
        super().__init__("not found")
        self.indexes = indexes


def mailboxes_of_items(scope: Scope, addresses: list[str], chunk: int = 1000) -> list[Mailbox]:
    """The mailboxes a bulk change lists, in its order; ItemsNotFound if any is not to be found."""
    canonical = [_canonical_or_none(normalize_mailbox_address, address) for address in addresses]
    wanted = sorted({address for address in canonical if address})
    found: dict[str, Mailbox] = {}
    for start in range(0, len(wanted), chunk):
        rows = selectors.mailboxes_visible_to(scope).filter(email__in=wanted[start:start + chunk])
        found.update((row.email, row) for row in rows.select_related("domain"))
    missing = [index for index, address in enumerate(canonical) if address not in found]
    if missing:
        raise ItemsNotFound(missing)
    return [found[address] for address in canonical]


def alias_sources_of_items(sources: Iterable[str]) -> list[str]:
    """The canonical form of a bulk request's alias sources (the malformed ones left out)."""
    return _canonical_or_skipped(normalize_alias_source, sources)


def _canonical_or_none(normalize: Callable[[str], str], value: str) -> str | None:
    try:
        return normalize(value)
    except ValidationError:
        return None


def _canonical_or_skipped(normalize: Callable[[str], str], values: Iterable[str]) -> list[str]:
    canonical = []
    for value in values:
        try:
            canonical.append(normalize(value))
        except ValidationError:
            continue
    return canonical
