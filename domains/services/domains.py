from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction

from domains.addresses import normalize_domain
from domains.audit import Actor, record, snapshot
from domains.models import Domain, MailboxUsage, MailStoreJob
from domains.services.aliases import ROLE_ADDRESSES, alias_create
from domains.services.common import clean_byte_count, clean_spam_threshold, unique_or_conflict
from mailstack import doveadm

AUDITED = ("name", "description", "active", "max_mailboxes", "max_aliases", "default_quota", "max_quota",
           "quota_total", "spam_threshold", "user_spam_threshold_min", "user_spam_threshold_max")
EDITABLE = frozenset(AUDITED) - {"name"}


def _clean(changes: dict) -> dict:
    cleaned = dict(changes)
    for name in ("max_mailboxes", "max_aliases", "default_quota", "max_quota", "quota_total"):
        if name in cleaned:
            cleaned[name] = clean_byte_count(cleaned[name], name.replace("_", " ").capitalize())
    for name in ("spam_threshold", "user_spam_threshold_min", "user_spam_threshold_max"):
        if name in cleaned:
            cleaned[name] = clean_spam_threshold(cleaned[name])
    for name in ("user_spam_threshold_min", "user_spam_threshold_max"):
        if name in cleaned and cleaned[name] is None:
            raise ValidationError("Give both bounds of the users' spam threshold.", code="spam_threshold_bounds")
    if "active" in cleaned:
        cleaned["active"] = bool(cleaned["active"])
    return cleaned


def _check_user_threshold_bounds(domain: Domain):
    if domain.user_spam_threshold_min > domain.user_spam_threshold_max:
        raise ValidationError("The lowest spam threshold users may choose is above the highest.",
                              code="spam_threshold_bounds")


def domain_create(*, actor: Actor, name: str, role_aliases_to: str = "", **settings) -> Domain:
    """Creates a domain; with `role_aliases_to`, also its RFC 2142 role addresses (postmaster@,
    abuse@) as aliases to that address, in the same transaction."""
    unknown = set(settings) - EDITABLE
    if unknown:
        raise TypeError(f"domain_create() got unexpected fields: {sorted(unknown)}")
    canonical = normalize_domain(name)
    with transaction.atomic():
        domain = Domain(name=canonical, **_clean(settings))
        _check_user_threshold_bounds(domain)
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
        _check_user_threshold_bounds(domain)
        domain.save()
        if {"active", "spam_threshold"} & set(cleaned):
            transaction.on_commit(doveadm.flush_auth_cache)
        if "active" in cleaned and not domain.active:
            transaction.on_commit(partial(doveadm.end_sessions, f"*@{domain.name}"))
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
        transaction.on_commit(partial(doveadm.end_sessions, f"*@{domain.name}"))
        domain.delete()
    return job
