from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from domains import dkim, mailserver
from domains.addresses import normalize_domain
from domains.audit import Actor, record, snapshot
from domains.models import Domain, MailboxUsage, MailStoreJob
from domains.services.aliases import ROLE_ADDRESSES, alias_create
from domains.services.common import clean_byte_count, clean_spam_threshold, unique_or_conflict
from domains.services.dkim import dkim_key_create
from domains.services.suspension import mark_suspension, suspended_by

AUDITED = ("name", "description", "active", "max_mailboxes", "max_aliases", "default_quota", "max_quota",
           "quota_total", "spam_threshold", "user_spam_threshold_min", "user_spam_threshold_max")
EDITABLE = frozenset(AUDITED) - {"name"}
# Limits and the range of spam thresholds left to mailbox owners are the provider's decisions, like
# creating and deleting domains: only a caller whose reach is all domains (a superadmin, an API key
# for all domains) changes them.  The panel's forms and the API consult these, so the rule is one.
# `active` is not a setting: who suspends and resumes is decided in domains/services/suspension.py.
PROVIDER_SETTINGS = frozenset({"max_mailboxes", "max_aliases", "max_quota", "quota_total",
                               "user_spam_threshold_min", "user_spam_threshold_max"})
SETTINGS = EDITABLE - {"active"}


def domain_settings_for(*, all_domains: bool) -> frozenset[str]:
    """The settings of a domain that a caller may change, by whether its reach is all domains."""
    return SETTINGS if all_domains else SETTINGS - PROVIDER_SETTINGS


def check_domain_settings(changes, *, all_domains: bool):
    """Refuses, naming them, the settings among `changes` that the caller may not change."""
    refused = sorted(set(changes) & SETTINGS - domain_settings_for(all_domains=all_domains))
    if refused:
        raise PermissionDenied(_("Only a superadmin or an API key for all domains may change %(fields)s.")
                               % {"fields": ", ".join(refused)})


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
            raise ValidationError(_("Give both bounds of the users' spam threshold."), code="spam_threshold_bounds")
    if "active" in cleaned:
        cleaned["active"] = bool(cleaned["active"])
    return cleaned


def _check_user_threshold_bounds(domain: Domain):
    if domain.user_spam_threshold_min > domain.user_spam_threshold_max:
        raise ValidationError(_("The lowest spam threshold users may choose is above the highest."),
                              code="spam_threshold_bounds")


def domain_create(*, actor: Actor, name: str, role_aliases_to: str = "", **settings) -> Domain:
    """Creates a domain with its DKIM key; with `role_aliases_to`, also its RFC 2142 role
    addresses (postmaster@, abuse@) as aliases to that address, in the same transaction."""
    unknown = set(settings) - EDITABLE
    if unknown:
        raise TypeError(f"domain_create() got unexpected fields: {sorted(unknown)}")
    canonical = normalize_domain(name)
    with transaction.atomic():
        domain = Domain(name=canonical, **_clean(settings))
        domain.suspended_by = suspended_by(actor, domain.active)
        _check_user_threshold_bounds(domain)
        with unique_or_conflict("The domain %(name)s exists already.", name=canonical):
            domain.save(force_insert=True)
        record(actor, "domain.create", obj=domain, domain=domain, after=snapshot(domain, AUDITED))
        dkim_key_create(actor=actor, domain=domain)
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
        if "active" in cleaned:
            mark_suspension(domain, active=cleaned["active"], actor=actor)
        for name, value in cleaned.items():
            setattr(domain, name, value)
        _check_user_threshold_bounds(domain)
        domain.save()
        if "active" in cleaned and not domain.active:  # ending the sessions also drops the cached logins
            transaction.on_commit(partial(mailserver.end_sessions, f"*@{domain.name}"))
        elif {"active", "spam_threshold"} & set(cleaned):
            transaction.on_commit(mailserver.flush_auth_cache)
        record(actor, "domain.update", obj=domain, domain=domain, before=before,
               after=snapshot(domain, AUDITED))
    return domain


def domain_delete(*, actor: Actor, domain: Domain) -> MailStoreJob:
    """Deletes the domain with its mailboxes and aliases (the database cascades); its stored
    mail is archived by the mail-store worker and kept for the retention period."""
    with transaction.atomic():
        domain = Domain.objects.select_for_update().get(pk=domain.pk)
        before = snapshot(domain, AUDITED) | {
            "mailboxes": domain.mailboxes.count(), "aliases": domain.aliases.count()}
        record(actor, "domain.delete", obj=domain, domain=domain, before=before)
        MailboxUsage.objects.filter(username__in=domain.mailboxes.values("email")).delete()
        dkim.delete_private_keys(domain.dkim_keys.values_list("pk", flat=True))
        job = MailStoreJob.objects.create(action=MailStoreJob.ARCHIVE, domain_id=domain.pk, domain_name=domain.name,
                                          path=domain.name, requested_by=actor.label)
        transaction.on_commit(partial(mailserver.end_sessions, f"*@{domain.name}"))
        domain.delete()
    return job
