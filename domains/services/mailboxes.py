from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from domains import mailserver, passwords
from domains.addresses import normalize_local_part, normalize_mailbox_address
from domains.audit import Actor, record, snapshot
from domains.errors import BulkRejected, CurrentPasswordWrong
from domains.models import Alias, Domain, Mailbox, MailboxUsage, MailStoreJob
from domains.services.alias_rules import refuse_loop
from domains.services.bulk import NewMailbox, mailboxes_create_many
from domains.services.common import clean_byte_count, clean_spam_threshold, unique_or_conflict
from domains.services.mailbox_fields import AUDITED, EDITABLE, mailbox_password_hash, quota_errors
from domains.services.suspension import mark_suspension


def _locked_domain(domain: Domain) -> Domain:
    """The domain row, locked for this transaction, so that limits hold under concurrency."""
    return Domain.objects.select_for_update().get(pk=domain.pk)


def _check_quota(domain: Domain, quota: int, *, replacing: Mailbox):
    others = 0
    if domain.quota_total:
        others = domain.mailboxes.exclude(pk=replacing.pk).aggregate(total=Sum("quota"))["total"] or 0
    errors = quota_errors(domain, quota, allocated_to_others=others)
    if errors:
        raise errors[0]


def mailbox_create(*, actor: Actor, domain: Domain, local_part: str, password: str | None = None,
                   password_hash: str | None = None, quota: int | None = None, display_name: str = "",
                   spam_threshold=None, active: bool = True) -> Mailbox:
    """Creates a mailbox; give a plain `password` (checked by the policy) or a `password_hash`
    in a {SCHEME} Dovecot verifies (from a migration).  The rules are those of a batch of one."""
    address = f"{normalize_local_part(local_part, mailbox=True)}@{domain.name}"
    new = NewMailbox(address, password=password, password_hash=password_hash, quota=quota,
                     display_name=display_name, spam_threshold=spam_threshold, active=active)
    try:
        [mailbox] = mailboxes_create_many(actor=actor, domains={domain.name: domain}, mailboxes=[new])
    except BulkRejected as rejected:
        raise rejected.only_item_error() from None
    return mailbox


def mailbox_update(*, actor: Actor, mailbox: Mailbox, **changes) -> Mailbox:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"mailbox_update() got unexpected fields: {sorted(unknown)}")
    if "spam_threshold" in changes:
        changes["spam_threshold"] = clean_spam_threshold(changes["spam_threshold"])
    if "quota" in changes:
        changes["quota"] = clean_byte_count(changes["quota"], _("The quota"))
    with transaction.atomic():
        domain = _locked_domain(mailbox.domain)
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if "quota" in changes:
            _check_quota(domain, changes["quota"], replacing=mailbox)
        before = snapshot(mailbox, AUDITED)
        if "active" in changes:
            mark_suspension(mailbox, active=bool(changes["active"]), actor=actor)
        for name, value in changes.items():
            setattr(mailbox, name, value)
        mailbox.save()
        if "active" in changes and not mailbox.active:  # ending the sessions also drops the cached login
            transaction.on_commit(partial(mailserver.end_sessions, mailbox.email))
        elif "spam_threshold" in changes or "active" in changes:
            transaction.on_commit(mailserver.flush_auth_cache)
        record(actor, "mailbox.update", obj=mailbox, domain=domain, before=before,
               after=snapshot(mailbox, AUDITED))
    return mailbox


def mailbox_set_password(*, actor: Actor, mailbox: Mailbox, password: str,
                         current_password: str | None = None) -> Mailbox:
    """Sets a new password (checked by the policy).  With `current_password` (an owner changing
    their own), that must match the stored hash first.  Counts at once in IMAP, POP3 and SMTP."""
    hashed = mailbox_password_hash(address=mailbox.email, password=password, password_hash=None)
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
        if locked is None:
            raise Mailbox.DoesNotExist
        if current_password is not None and not _matches(current_password, locked.password):
            raise CurrentPasswordWrong(_("The current password is not correct."), code="current_password")
        Mailbox.objects.filter(pk=mailbox.pk).update(password=hashed)
        record(actor, "mailbox.set_password", obj=mailbox, domain=mailbox.domain)
        transaction.on_commit(partial(mailserver.end_sessions, locked.email))
    mailbox.password = hashed
    return mailbox


def _matches(password: str, stored_hash: str) -> bool:
    try:
        return passwords.verify_password(password, stored_hash)
    except passwords.UnknownSchemeError:
        return False


def _aliases_follow(actor: Actor, old: str, new: str):
    """Points the aliases to `old`, in any domain, at `new`, with an audit row in each alias's
    domain; refuses the rename if an alias would then lead back to itself (e.g. x → y, y → old,
    renamed to x), so that nothing starts bouncing."""
    sources = dict(Alias.objects.filter(destination=old).values_list("source", "domain_id"))
    if not sources:
        return
    before: dict[str, list[str]] = {source: [] for source in sources}
    for source, destination in Alias.objects.filter(source__in=list(sources)).order_by("destination").values_list(
            "source", "destination"):
        before[source].append(destination)
    # A source that goes to both addresses keeps one row (to `new`).
    Alias.objects.filter(destination=old, source__in=[source for source in sources if new in before[source]]).delete()
    Alias.objects.filter(destination=old).update(destination=new)
    refuse_loop(new, Alias.objects.filter(source=new).values_list("destination", flat=True))
    domains = Domain.objects.in_bulk(set(sources.values()))
    for source, domain_id in sorted(sources.items()):
        after = sorted({new if destination == old else destination for destination in before[source]})
        record(actor, "alias.update", obj=source, domain=domains[domain_id],
               before={"destinations": before[source]}, after={"destinations": after})


def mailbox_rename(*, actor: Actor, mailbox: Mailbox, local_part: str) -> Mailbox:
    """Gives the mailbox a new address in its domain.  Its mail stays where it is (the folder is
    kept in `maildir`), aliases to it follow (see _aliases_follow), and the old address is free from
    the commit on."""
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().select_related("domain").get(pk=mailbox.pk)
        old = mailbox.email
        new = normalize_mailbox_address(f"{normalize_local_part(local_part, mailbox=True)}@{mailbox.domain.name}")
        if new == old:
            return mailbox
        mailbox.maildir = mailbox.home
        mailbox.email = new
        with unique_or_conflict("The mailbox %(address)s exists already.", address=new):
            mailbox.save(update_fields=["email", "maildir", "updated"])
        _aliases_follow(actor, old, new)
        MailboxUsage.objects.filter(username=old).update(username=new)
        record(actor, "mailbox.rename", obj=mailbox, domain=mailbox.domain, before={"email": old},
               after={"email": new, "maildir": mailbox.maildir})
        transaction.on_commit(partial(mailserver.end_sessions, old))
    return mailbox


def mailbox_delete(*, actor: Actor, mailbox: Mailbox) -> MailStoreJob:
    """Deletes the mailbox; its stored mail is archived by the mail-store worker, and kept for
    the retention period."""
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().select_related("domain").get(pk=mailbox.pk)
        record(actor, "mailbox.delete", obj=mailbox, domain=mailbox.domain,
               before=snapshot(mailbox, AUDITED))
        job = MailStoreJob.objects.create(action=MailStoreJob.ARCHIVE, domain_id=mailbox.domain_id,
                                          domain_name=mailbox.domain.name,
                                          address=mailbox.email, path=mailbox.home, requested_by=actor.label)
        MailboxUsage.objects.filter(username=mailbox.email).delete()
        transaction.on_commit(partial(mailserver.end_sessions, mailbox.email))
        mailbox.delete()
    return job


def mailbox_restore(*, actor: Actor, archived: MailStoreJob, mailbox: Mailbox) -> MailStoreJob:
    """Asks the worker to put an archived mailbox's mail back, as the home of `mailbox` (which
    must not have received mail yet)."""
    with transaction.atomic():
        archived = MailStoreJob.objects.select_for_update().get(pk=archived.pk)
        kept = MailStoreJob.objects.filter(action=MailStoreJob.PURGE, archive=archived.archive,
                                           state=MailStoreJob.PENDING)
        if archived.action != MailStoreJob.ARCHIVE or not archived.archive or not kept.exists():
            raise ValidationError(_("There is no archived mail to restore."), code="not_archived")
        if archived.domain_id is None or mailbox.domain_id != archived.domain_id:
            raise ValidationError(_("Mail is restored only into a mailbox of its own domain (a domain deleted and "
                                  "created again is another domain)."), code="restore_domain")
        record(actor, "mailbox.restore", obj=mailbox, domain=mailbox.domain,
               after={"from": archived.address, "archive": archived.archive})
        return MailStoreJob.objects.create(action=MailStoreJob.RESTORE, domain_id=archived.domain_id,
                                           domain_name=archived.domain_name,
                                           address=mailbox.email, path=mailbox.home, archive=archived.archive,
                                           requested_by=actor.label)
