"""A domain's DKIM keys: a new key (a domain's first, or a rotation's, published before it signs),
activating a published key once DNS has its record, and retiring a replaced one."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from domains import dkim, dns_records
from domains.audit import Actor, record
from domains.models import DkimKey, Domain


def _new_selector(domain: Domain, now) -> str:
    """`mYYYYMMDD`, with a letter after it when the domain has that selector already."""
    base = f"m{now:%Y%m%d}"
    taken = set(DkimKey.objects.filter(domain=domain, selector__startswith=base).values_list("selector", flat=True))
    return next(name for name in (base, *(f"{base}{c}" for c in "abcdefghijklmnopqrstuvwxyz")) if name not in taken)


def dkim_key_create(*, actor: Actor, domain: Domain, algorithm: str = DkimKey.RSA) -> DkimKey:
    """A new key: RSA 2048, or Ed25519 for a second signature (RFC 8463).  A domain's first RSA
    key signs at once (nothing else signs its mail); any other key is only published: it signs
    once activated (dkim_key_activate), after its record is in DNS, since mail it signed before
    that would fail verification at the far end."""
    if algorithm not in dict(DkimKey.ALGORITHMS):
        raise ValidationError(_("Unknown key algorithm %(algorithm)s.") % {"algorithm": algorithm},
                              code="dkim_algorithm")
    private_key, public_key = dkim.new_key(algorithm)
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        now = timezone.now()
        first = algorithm == DkimKey.RSA and not DkimKey.objects.filter(
            domain=domain, signing=True, algorithm=DkimKey.RSA).exists()
        key = DkimKey.objects.create(domain=domain, selector=_new_selector(domain, now), public_key=public_key,
                                     algorithm=algorithm, signing=first, activated=now if first else None,
                                     created=now)
        dkim.store_private_key(key.pk, private_key)
        record(actor, "dkim.create", obj=key, domain=domain,
               after={"selector": key.selector, "algorithm": key.algorithm, "signing": first})
    return key


def dkim_key_activate(*, actor: Actor, key: DkimKey, force: bool = False) -> DkimKey:
    """The published key signs the domain's new mail from now on; the key it replaces stops
    signing but stays published (mail it signed keeps verifying) until retired.  Refused while
    DNS does not answer the key's record as published, unless `force` (the callers allow it to
    superadmins, keys for all domains and the command only)."""
    if not force and key.state == DkimKey.PENDING:
        status = dns_records.key_record_status(key)  # before the transaction: a DNS query may take seconds
        if status != dns_records.FOUND:
            raise ValidationError(
                _("DNS does not publish the record %(name)s yet (%(status)s): publish it, wait for it to be "
                  "found, then activate the key. Mail signed with it before would fail verification.")
                % {"name": key.record_name, "status": status}, code="dkim_not_published")
    with transaction.atomic():
        Domain.objects.select_for_update().get(pk=key.domain_id)
        key = DkimKey.objects.select_for_update().select_related("domain").get(pk=key.pk)
        if key.state != DkimKey.PENDING:
            raise ValidationError(_("Only a new key that does not sign yet can be activated."),
                                  code="dkim_not_pending")
        replaced = list(DkimKey.objects.filter(domain=key.domain, signing=True, algorithm=key.algorithm))
        DkimKey.objects.filter(pk__in=[k.pk for k in replaced]).update(signing=False)
        key.signing, key.activated = True, timezone.now()
        key.save(update_fields=["signing", "activated"])
        record(actor, "dkim.activate", obj=key, domain=key.domain,
               before={"signing": [k.selector for k in replaced]},
               after={"signing": [key.selector], **({"forced": True} if force else {})})
    return key


def dkim_key_retire(*, actor: Actor, key: DkimKey) -> DkimKey:
    """Stops publishing a replaced key (or a new one never activated) and deletes its private half.
    The signing RSA key is never retired: a domain signs with one at all times.  Retiring the
    signing Ed25519 key ends the second signature."""
    with transaction.atomic():
        key = DkimKey.objects.select_for_update().select_related("domain").get(pk=key.pk)
        if key.signing and key.algorithm == DkimKey.RSA:
            raise ValidationError(_("The key that signs the domain's mail cannot be retired; "
                                    "activate a new one first."), code="dkim_signing_key")
        if key.retired is None:
            key.retired, key.signing = timezone.now(), False
            key.save(update_fields=["retired", "signing"])
            dkim.delete_private_keys([key.pk])
            record(actor, "dkim.retire", obj=key, domain=key.domain, before={"selector": key.selector},
                   after={"retired": key.retired.isoformat()})
    return key
