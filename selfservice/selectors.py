"""Which mailbox a self-service request acts for: the one its session signed in, checked again
on every request.  A suspended mailbox or domain, or a password changed elsewhere, signs out."""
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from domains.models import Mailbox
from selfservice.models import MailboxRules

SESSION_KEY = "selfservice_mailbox_id"
HASH_SESSION_KEY = "selfservice_password_hmac"


def password_fingerprint(mailbox: Mailbox) -> str:
    return salted_hmac("selfservice.session", mailbox.password, algorithm="sha256").hexdigest()


def signed_in_mailbox(request) -> Mailbox | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    mailbox = Mailbox.objects.select_related("domain").filter(pk=pk, active=True, domain__active=True).first()
    if mailbox is None or not constant_time_compare(request.session.get(HASH_SESSION_KEY, ""),
                                                    password_fingerprint(mailbox)):
        sign_out(request)
        return None
    return mailbox


def sign_in(request, mailbox: Mailbox) -> None:
    request.session.cycle_key()  # a session id fixed before sign-in is worth nothing after it
    request.session[SESSION_KEY] = mailbox.pk
    request.session[HASH_SESSION_KEY] = password_fingerprint(mailbox)


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(HASH_SESSION_KEY, None)
    request.session.cycle_key()


def rules_of(mailbox: Mailbox) -> MailboxRules:
    """The owner's auto-reply and forwarding (an unsaved blank set if they never saved any)."""
    return MailboxRules.objects.filter(mailbox=mailbox).first() or MailboxRules(mailbox=mailbox)


@dataclass(frozen=True)
class EffectiveThreshold:
    threshold: Decimal
    source: str


def effective_spam_threshold(mailbox: Mailbox) -> EffectiveThreshold:
    """The threshold Dovecot's user_query passes to the spam step, and whose it is."""
    if mailbox.spam_threshold is not None:
        return EffectiveThreshold(mailbox.spam_threshold, "your own")
    if mailbox.domain.spam_threshold is not None:
        return EffectiveThreshold(mailbox.domain.spam_threshold, "your domain's")
    return EffectiveThreshold(settings.MAILADMIN_SPAM_THRESHOLD_DEFAULT, "the server's default")
