"""The mailbox owner's session: signing in and out, and which mailbox a request acts for (the
one the session signed in, checked again on every request).  A suspended mailbox or domain, or a
password changed elsewhere, signs out."""
from django.utils.crypto import constant_time_compare, salted_hmac

from domains.models import Mailbox

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
