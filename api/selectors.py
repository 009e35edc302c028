"""What an API key may see: the one place that decides it.  Anything outside answers 404."""
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404

from api.models import ApiKey
from domains.addresses import normalize_domain, normalize_mailbox_address
from domains.models import Domain, Mailbox


def domains_for_key(key: ApiKey):
    if key.all_domains:
        return Domain.objects.all()
    return Domain.objects.filter(pk__in=key.domains.values("pk"))


def mailboxes_for_key(key: ApiKey):
    if key.all_domains:
        return Mailbox.objects.select_related("domain")
    return Mailbox.objects.select_related("domain").filter(domain__in=key.domains.values("pk"))


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
