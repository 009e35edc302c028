"""A domain's DKIM keys: a new key (a domain's first, or a rotation) and retiring a replaced one."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from domains import dkim
from domains.audit import Actor, record
from domains.models import DkimKey, Domain


def _new_selector(domain: Domain, now) -> str:
    """`mYYYYMMDD`, with a letter after it when the domain has that selector already."""
    base = f"m{now:%Y%m%d}"
    taken = set(DkimKey.objects.filter(domain=domain, selector__startswith=base).values_list("selector", flat=True))
    return next(name for name in (base, *(f"{base}{c}" for c in "abcdefghijklmnopqrstuvwxyz")) if name not in taken)


def dkim_key_create(*, actor: Actor, domain: Domain) -> DkimKey:
    """A new RSA 2048 key that signs the domain's mail from now on.  The key it replaces (a
    rotation) stays published, so mail it signed keeps verifying, until it is retired."""
    private_key, public_key = dkim.new_rsa_key()
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        now = timezone.now()
        replaced = list(DkimKey.objects.filter(domain=domain, signing=True, algorithm=DkimKey.RSA))
        DkimKey.objects.filter(pk__in=[key.pk for key in replaced]).update(signing=False)
        key = DkimKey.objects.create(domain=domain, selector=_new_selector(domain, now), public_key=public_key,
                                     signing=True, created=now)
        dkim.store_private_key(key.pk, private_key)
        record(actor, "dkim.create", obj=key, domain=domain,
               before={"signing": [k.selector for k in replaced]} if replaced else None,
               after={"selector": key.selector, "algorithm": key.algorithm, "signing": True})
    return key


def dkim_key_retire(*, actor: Actor, key: DkimKey) -> DkimKey:
    """Stops publishing a replaced key and deletes its private half.  The signing key is never
    retired: a domain signs with a key at all times."""
    with transaction.atomic():
        key = DkimKey.objects.select_for_update().select_related("domain").get(pk=key.pk)
        if key.signing:
            raise ValidationError(_("The key that signs the domain's mail cannot be retired; create a new one first."),
                                  code="dkim_signing_key")
        if key.retired is None:
            key.retired = timezone.now()
            key.save(update_fields=["retired"])
            dkim.delete_private_keys([key.pk])
            record(actor, "dkim.retire", obj=key, domain=key.domain, before={"selector": key.selector},
                   after={"retired": key.retired.isoformat()})
    return key
