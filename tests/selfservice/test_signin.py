"""Owners' sign-in at /me/login/: the mail password, the same answer for unknown and wrong, the
lockout, the session checked on every request, and no crossing with the admins' sessions."""
import re
import uuid

import pytest
from django.test import Client

from domains import passwords, services
from domains.audit import Actor
from domains.models import AuditEntry, Mailbox
from tests import mail
from tests.conftest import PASSWORD, long_address
from tests.selfservice.conftest import sign_in, signed_in

pytestmark = pytest.mark.stack
REFUSED = b"That address and password do not match an account."


def test_owner_signs_in_with_the_mail_password_and_sees_their_mailbox(client, owner):
    signed_in(client, owner)
    page = client.get("/me/")
    assert page.status_code == 200
    assert owner.email in page.content.decode()


def test_unknown_address_and_wrong_password_get_the_same_answer(client, owner):
    wrong = sign_in(client, owner.email, "not the password at all")
    unknown = sign_in(client, "nobody@self.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 200
    assert REFUSED in wrong.content and REFUSED in unknown.content
    without_token = [re.sub(rb'value="[^"]*"', b"", page.content) for page in (wrong, unknown)]
    assert without_token[0].replace(owner.email.encode(), b"X") == without_token[1].replace(
        b"nobody@self.example", b"X")
    assert client.get("/me/").status_code == 302


def test_suspended_mailbox_or_domain_cannot_sign_in(client, owners):
    suspended = owners(active=False)
    assert REFUSED in sign_in(client, suspended.email).content


@pytest.mark.usefixtures("production_argon2_cost")
def test_a_weaker_hash_is_replaced_by_the_default_scheme_at_sign_in(client, owners):
    old_hash = passwords.hash_password(PASSWORD, "SHA512-CRYPT")
    mailbox = owners.factory.mailbox(f"legacy{uuid.uuid4().hex[:8]}", password=None, password_hash=old_hash)
    signed_in(client, mailbox)
    new_hash = Mailbox.objects.get(pk=mailbox.pk).password
    assert new_hash.startswith("{ARGON2ID}") and not passwords.needs_rehash(new_hash)
    assert passwords.verify_password(PASSWORD, new_hash)
    assert mail.imap_login_works(mailbox.email, PASSWORD)  # Dovecot checks the new hash
    entry = AuditEntry.objects.get(action="mailbox.rehash_password")
    assert entry.actor_label == f"mailbox:{mailbox.email}" and entry.after == {"scheme": "ARGON2ID"}


def test_a_current_hash_is_left_alone(client, owner):
    before = Mailbox.objects.get(pk=owner.pk).password
    signed_in(client, owner)
    assert Mailbox.objects.get(pk=owner.pk).password == before


def test_five_failures_lock_the_address_even_for_the_right_password(client, owner):
    for _ in range(5):
        sign_in(client, owner.email.upper(), "wrong password here")
    locked = sign_in(client, owner.email)
    assert locked.status_code == 429 and b"Too many failed attempts" in locked.content
    assert client.get("/me/").status_code == 302


def test_five_failures_from_one_client_lock_it_for_other_addresses_too(owners):
    first, second = owners(), owners()
    client = Client()
    for number in range(5):
        sign_in(client, f"guess{number}@self.example", "wrong password here",
                HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")  # not trusted: changes nothing
    assert sign_in(client, first.email).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="192.0.2.7"), second.email).status_code == 302


def test_owner_lockout_does_not_lock_an_admin_of_the_same_name(client, owner, django_user_model):
    admin = django_user_model.objects.create_user(username=owner.email, password="a long enough password")
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="192.0.2.10"), owner.email, "wrong password here")
    response = Client(REMOTE_ADDR="192.0.2.11").post("/login/", {"username": admin.username,
                                                                "password": "a long enough password"})
    assert response.status_code == 302


def test_suspending_the_mailbox_or_its_domain_signs_the_owner_out(client, owners):
    mailbox = owners()
    signed_in(client, mailbox)
    services.mailbox_update(actor=Actor.command("tests"), mailbox=mailbox, active=False)
    assert client.get("/me/").status_code == 302
    services.mailbox_update(actor=Actor.command("tests"), mailbox=mailbox, active=True)
    assert client.get("/me/").status_code == 302  # signed out for good, not just while suspended
    signed_in(client, mailbox)
    services.domain_update(actor=Actor.command("tests"), domain=owners.domain, active=False)
    assert client.get("/me/").status_code == 302


def test_a_password_set_by_an_admin_signs_the_owner_out(client, owner):
    signed_in(client, owner)
    services.mailbox_set_password(actor=Actor.command("tests"), mailbox=owner, password="a new one from the admin")
    assert client.get("/me/").status_code == 302


def test_sign_out_is_a_post(client, owner):
    signed_in(client, owner)
    assert client.get("/me/logout/").status_code == 405
    assert client.get("/me/").status_code == 200
    client.post("/me/logout/")
    assert client.get("/me/").status_code == 302


def test_an_admin_session_reaches_no_owner_page(admin_client, owner):
    for page in ("/me/", "/me/password/", "/me/auto-reply/", "/me/forwarding/", "/me/spam/"):
        response = admin_client.get(page)
        assert response.status_code == 302 and response.url == "/me/login/", page
    admin_client.post("/me/password/", {"current_password": PASSWORD, "new_password1": "x" * 20,
                                        "new_password2": "x" * 20})
    assert mail.imap_login_works(owner.email, PASSWORD)


def test_an_owner_session_reaches_no_admin_page_or_api(client, owner):
    signed_in(client, owner)
    for page in ("/", "/mailboxes/", f"/domains/{owner.domain_id}/", "/admins/", "/audit/"):
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith("/login/"), page
    assert client.get("/api/v1/mailboxes/").status_code == 401


def test_an_owner_signs_in_with_the_address_typed_in_any_of_its_forms(mail_domain):
    """The sign-in lookup uses the canonical form: an IDN domain typed in Unicode, with ü as one
    character or as u and a combining diaeresis, in capitals, with a trailing dot."""
    mailbox = mail_domain("bücher.example").mailbox(f"u{uuid.uuid4().hex[:10]}")
    local_part = mailbox.email.split("@")[0]
    for typed in ("b\u00fccher.example", "bu\u0308cher.example", "B\u00dcCHER.EXAMPLE."):
        response = sign_in(Client(), f"{local_part.upper()}@{typed}")
        assert response.status_code == 302 and response.url == "/me/", typed


def admin_sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_a_success_resets_only_the_failures_of_the_mailbox_that_signed_in(owners, django_user_model):
    """Guesses at another owner's password, between the client's own sign-ins as an owner and as an
    admin, still lock that address and the client."""
    mine, theirs = owners(), owners()
    django_user_model.objects.create_user("owner-and-admin", password="a long enough password")
    attacker = Client(REMOTE_ADDR="192.0.2.30")
    for _ in range(12):
        sign_in(attacker, theirs.email, "wrong password here")
        sign_in(attacker, mine.email)
        attacker.post("/me/logout/")
        admin_sign_in(attacker, "owner-and-admin", "a long enough password")
        attacker.post("/logout/")
    assert sign_in(Client(REMOTE_ADDR="192.0.2.31"), theirs.email).status_code == 429
    assert sign_in(attacker, mine.email).status_code == 429


def test_no_kind_of_failure_locks_another_kind(owners, django_user_model, settings):
    """From one client address: failed owner sign-ins lock neither admins nor the Roundcube
    endpoint, and failed admin sign-ins lock no owner."""
    from tests.selfservice.test_password import roundcube_call

    settings.MAILADMIN_ROUNDCUBE_SECRET = "roundcube-shared-secret-for-tests-0123456789"
    owner, other = owners(), owners()
    admin = django_user_model.objects.create_user(username=owner.email, password="a long enough password")
    shared = Client(REMOTE_ADDR="192.0.2.40")
    for number in range(6):
        sign_in(shared, f"guess{number}@self.example", "wrong password here")
    assert sign_in(shared, owner.email).status_code == 429  # owners are locked from here...
    assert admin_sign_in(shared, admin.username, "a long enough password").status_code == 302  # admins are not
    shared.post("/logout/")
    assert roundcube_call(shared, owner.email, newpass="a brand new mail password").content == b"ok"

    guesser = Client(REMOTE_ADDR="192.0.2.41")
    for number in range(5):
        admin_sign_in(guesser, f"guess{number}", "wrong password")
    for _ in range(5):
        admin_sign_in(guesser, other.email, "wrong password")  # an admin name of the owner's text
    assert admin_sign_in(guesser, admin.username, "a long enough password").status_code == 429
    assert sign_in(guesser, other.email).status_code == 302  # neither the client nor the address is locked


@pytest.mark.parametrize("length", [248, 254])
def test_a_long_address_is_counted_and_locked_like_any_other(owners, length):
    address = long_address(length)
    for number in range(4):
        assert REFUSED in sign_in(Client(REMOTE_ADDR=f"192.0.2.{50 + number}"), address, "wrong").content
    assert sign_in(Client(REMOTE_ADDR="192.0.2.60"), address, "wrong").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="192.0.2.61"), address.upper(), "wrong").status_code == 429
