"""What mailbox owners change themselves: each one function, one transaction, an audit row
naming the owner, side effects (Dovecot) after the commit.  The self-service pages and the
Roundcube endpoint both call these."""
import functools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from domains import passwords
from domains.addresses import normalize_address, normalize_mailbox_address
from domains.audit import Actor, record, snapshot
from domains.models import Mailbox
from domains.services import mailbox_update
from domains.services.common import clean_spam_threshold
from selfservice import sieve
from selfservice.models import MailboxRules
from selfservice.selectors import rules_of

MAX_FORWARDS = 5  # Dovecot's sieve_max_redirects in the rendered configuration
RULE_FIELDS = ("vacation_active", "vacation_subject", "vacation_text", "vacation_start", "vacation_end",
               "vacation_days", "forward_to", "forward_keep_copy")


def owner_actor(mailbox: Mailbox, ip: str | None = None) -> Actor:
    return Actor(label=f"mailbox:{mailbox.email}", ip=ip)


def mailbox_authenticate(*, address: str, password: str) -> Mailbox | None:
    """The active mailbox (of an active domain) with this address and password, or None; an
    unknown address costs the same hash check as a wrong password.  A hash in an older or
    weaker scheme than the configured one is replaced by a current one."""
    try:
        address = normalize_mailbox_address(address.strip())
    except ValidationError:
        address = None  # no such mailbox, at the same cost
    mailbox = address and (Mailbox.objects.select_related("domain")
                           .filter(email=address, active=True, domain__active=True).first())
    if mailbox is None:
        passwords.verify_password(password, _dummy_hash())
        return None
    try:
        if not passwords.verify_password(password, mailbox.password):
            return None
        outdated = passwords.needs_rehash(mailbox.password)
    except passwords.UnknownSchemeError:
        return None
    if outdated:
        _rehash(mailbox, password)
    return mailbox


@functools.cache
def _dummy_hash() -> str:
    return passwords.hash_password("not the password of anyone")


def _rehash(mailbox: Mailbox, password: str) -> None:
    try:
        new_hash = passwords.hash_password(password)
    except (passwords.PasswordTooLongError, ValueError):
        return  # e.g. a password longer than the new scheme takes: keep the working hash
    with transaction.atomic():
        # Only if nobody changed the password since it was checked.
        if Mailbox.objects.filter(pk=mailbox.pk, password=mailbox.password).update(password=new_hash):
            record(owner_actor(mailbox), "mailbox.rehash_password", obj=mailbox, domain=mailbox.domain,
                   before={"scheme": passwords.scheme_of(mailbox.password)},
                   after={"scheme": passwords.scheme_of(new_hash)})
            mailbox.password = new_hash


def own_spam_threshold_set(*, actor: Actor, mailbox: Mailbox, threshold) -> Mailbox:
    """None = the domain's threshold; otherwise within the bounds the domain admin set."""
    threshold = clean_spam_threshold(threshold)
    domain = mailbox.domain
    low, high = domain.user_spam_threshold_min, domain.user_spam_threshold_max
    if threshold is not None and not low <= threshold <= high:
        raise ValidationError(_("Choose a threshold from %(low)s to %(high)s."), code="spam_threshold_bounds",
                              params={"low": low, "high": high})
    return mailbox_update(actor=actor, mailbox=mailbox, spam_threshold=threshold)


def _clean_rules(mailbox: Mailbox, changes: dict) -> dict:
    cleaned = dict(changes)
    if "forward_to" in cleaned:
        addresses = list(dict.fromkeys(normalize_address(address) for address in cleaned["forward_to"]))
        if mailbox.email in addresses:
            raise ValidationError(_("Forwarding to the mailbox itself would loop."), code="forward_self")
        if len(addresses) > MAX_FORWARDS:
            raise ValidationError(_("Forward to at most %(max)d addresses."), code="forward_count",
                                  params={"max": MAX_FORWARDS})
        cleaned["forward_to"] = addresses
    for name in ("vacation_subject", "vacation_text"):
        if name in cleaned:
            cleaned[name] = cleaned[name].replace("\x00", "")
    if "vacation_subject" in cleaned:
        cleaned["vacation_subject"] = " ".join(cleaned["vacation_subject"].split())
    if "vacation_days" in cleaned and not 1 <= int(cleaned["vacation_days"]) <= 30:
        raise ValidationError(_("Reply once per sender every 1 to 30 days."), code="vacation_days")
    return cleaned


def own_rules_set(*, actor: Actor, mailbox: Mailbox, **changes) -> MailboxRules:
    """Saves the owner's auto-reply and forwarding, then has Dovecot store the Sieve script
    (raises MailServerError if Dovecot refuses it: the saved rules are then shown, not yet applied)."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"own_rules_set() got unexpected fields: {sorted(unknown)}")
    cleaned = _clean_rules(mailbox, changes)
    with transaction.atomic():
        Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        rules = rules_of(mailbox)
        before = snapshot(rules, RULE_FIELDS) if rules.pk else None
        for name, value in cleaned.items():
            setattr(rules, name, value)
        if rules.vacation_active and rules.vacation_start and rules.vacation_end \
                and rules.vacation_start > rules.vacation_end:
            raise ValidationError(_("The auto-reply's last day is before its first."), code="vacation_dates")
        if rules.vacation_active and not rules.vacation_text.strip():
            raise ValidationError(_("Write the text of the auto-reply."), code="vacation_text")
        rules.save()
        record(actor, "mailbox.rules", obj=mailbox, domain=mailbox.domain, before=before,
               after=snapshot(rules, RULE_FIELDS))
        script = sieve.render(rules)
    sieve.put(mailbox.email, script)
    return rules
