from django.db import transaction

from domains.addresses import normalize_domain
from domains.audit import Actor, record, snapshot
from domains.models import Domain, MailboxUsage, MailStoreJob
from domains.services.aliases import ROLE_ADDRESSES, alias_create
from domains.services.common import clean_byte_count, clean_spam_threshold, unique_or_conflict

AUDITED = ("name", "description", "active", "max_mailboxes", "max_aliases", "default_quota", "max_quota",
           "quota_total", "spam_threshold")
EDITABLE = frozenset(AUDITED) - {"name"}


def _clean(changes: dict) -> dict:
    cleaned = dict(changes)
    for name in ("max_mailboxes", "max_aliases", "default_quota", "max_quota", "quota_total"):
        if name in cleaned:
            cleaned[name] = clean_byte_count(cleaned[name], name.replace("_", " ").capitalize())
    if "spam_threshold" in cleaned:
        cleaned["spam_threshold"] = clean_spam_threshold(cleaned["spam_threshold"])
    if "active" in cleaned:
        cleaned["active"] = bool(cleaned["active"])
    return cleaned


def domain_create(*, actor: Actor, name: str, role_aliases_to: str = "", **settings) -> Domain:
    """Creates a domain; with `role_aliases_to`, also its RFC 2142 role addresses (postmaster@,
    abuse@) as aliases to that address, in the same transaction."""
    unknown = set(settings) - EDITABLE
    if unknown:
        raise TypeError(f"domain_create() got unexpected fields: {sorted(unknown)}")
    canonical = normalize_domain(name)
    with transaction.atomic():
        domain = Domain(name=canonical, **_clean(settings))
        with unique_or_conflict("The domain %(name)s exists already.", name=canonical):
            domain.save(force_insert=True)
        record(actor, "domain.create", obj=domain, domain_name=canonical, after=snapshot(domain, AUDITED))
        if role_aliases_to:
            for role in ROLE_ADDRESSES:
                alias_create(actor=actor, domain=domain, source=f"{role}@{canonical}", destinations=[role_aliases_to])
    return domain


def domain_update(*, actor: Actor, domain: Domain, **changes) -> Domain:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"domain_update() got unexpected fields: {sorted(unknown)}")
    cleaned = _clean(changes)
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        before = snapshot(domain, AUDITED)
        for name, value in cleaned.items():
            setattr(domain, name, value)
        domain.save()
        record(actor, "domain.update", obj=domain, domain_name=domain.name, before=before,
               after=snapshot(domain, AUDITED))
    return domain


def domain_delete(*, actor: Actor, domain: Domain) -> MailStoreJob:
    """Deletes the domain with its mailboxes and aliases (the database cascades); its stored
    mail is archived by the mail-store worker and kept for the retention period."""
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        before = snapshot(domain, AUDITED) | {
            "mailboxes": domain.mailboxes.count(), "aliases": domain.aliases.count()}
        record(actor, "domain.delete", obj=domain, domain_name=domain.name, before=before)
        MailboxUsage.objects.filter(username__in=domain.mailboxes.values("email")).delete()
        job = MailStoreJob.objects.create(action=MailStoreJob.ARCHIVE, domain_name=domain.name, path=domain.name,
                                          requested_by=actor.label)
        domain.delete()
    return job
