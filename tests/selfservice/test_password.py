"""Owners change their password on /me/password/ and through Roundcube's password plugin; the
new one works at once in IMAP, POP3 and SMTP submission, the old one no longer."""
import poplib
import smtplib

import pytest
from django.test import Client

from domains.models import AuditEntry, Mailbox
from tests import mail
from tests.conftest import PASSWORD, long_address
from tests.selfservice.conftest import signed_in

pytestmark = pytest.mark.stack
NEW = "a brand new mail password"
SECRET = "roundcube-shared-secret-for-tests-0123456789"
ENDPOINT = "/roundcube/password/"


def change(client, current=PASSWORD, new=NEW, again=None):
    return client.post("/me/password/", {"current_password": current, "new_password1": new,
                                         "new_password2": new if again is None else again})


def stored_hash(mailbox):
    return Mailbox.objects.get(pk=mailbox.pk).password


def assert_only_new_password_works(address, new, old=PASSWORD):
    assert not mail.imap_login_works(address, old)  # first: a login with the new one would refresh a cache
    assert mail.imap_login_works(address, new)
    assert mail.pop3_messages(address, new) == []
    with pytest.raises(poplib.error_proto):
        mail.pop3_messages(address, old)
    mail.submit(mail.message("someone@remote.test"), address, new)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        mail.submit(mail.message("someone@remote.test"), address, old)


def test_change_on_the_page_counts_at_once_in_imap_pop3_and_submission(client, owner, relay_sink):
    assert mail.imap_login_works(owner.email, PASSWORD)  # a Dovecot with an auth cache now holds the old hash
    signed_in(client, owner)
    response = change(client)
    assert response.status_code == 302 and response.url == "/me/"
    assert_only_new_password_works(owner.email, NEW)
    assert client.get("/me/").status_code == 200  # this session stays signed in
    entry = AuditEntry.objects.filter(action="mailbox.set_password").latest("id")
    assert entry.actor_label == f"mailbox:{owner.email}" and entry.source_ip == "127.0.0.1"


@pytest.mark.parametrize("current, new, again, message", [
    ("not my password", NEW, None, "The current password is not correct."),
    (PASSWORD, NEW, NEW + "x", "The two new passwords differ."),
    (PASSWORD, "short", None, "at least 10 characters"),
    (PASSWORD, "password1234", None, "too common"),
])
def test_refused_changes_leave_the_hash_alone(client, owner, current, new, again, message):
    signed_in(client, owner)
    before = stored_hash(owner)
    response = change(client, current, new, again)
    assert response.status_code == 200 and message in response.content.decode()
    assert stored_hash(owner) == before
    assert mail.imap_login_works(owner.email, PASSWORD)


def test_guessing_the_current_password_is_throttled(client, owner):
    signed_in(client, owner)
    before = stored_hash(owner)
    for _ in range(5):
        assert change(client, current="a wrong guess").status_code == 200
    response = change(client)
    assert response.status_code == 429 and "Too many failed attempts" in response.content.decode()
    assert stored_hash(owner) == before


def test_the_address_itself_is_refused(client, owner):
    signed_in(client, owner)
    before = stored_hash(owner)
    assert "must not be the address" in change(client, new=owner.email).content.decode()
    assert stored_hash(owner) == before


def test_a_long_password_is_taken_whole(client, owner):
    long_password = "Lorem ipsum dolor sit amet, " * 4 + "the end"  # 119 characters
    signed_in(client, owner)
    assert change(client, new=long_password).status_code == 302
    assert mail.imap_login_works(owner.email, long_password)
    assert not mail.imap_login_works(owner.email, long_password[:72])


def test_post_without_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    signed_in_page = client.get("/me/login/")
    token = signed_in_page.cookies["csrftoken"].value
    assert client.post("/me/login/", {"address": owner.email, "password": PASSWORD,
                                      "csrfmiddlewaretoken": token}).status_code == 302
    before = stored_hash(owner)
    response = client.post("/me/password/", {"current_password": PASSWORD, "new_password1": NEW,
                                             "new_password2": NEW})
    assert response.status_code == 403 and stored_hash(owner) == before


def test_an_owner_changes_only_their_own_password(client, owners):
    mine, theirs = owners(), owners()
    signed_in(client, mine)
    theirs_before = stored_hash(theirs)
    response = client.post("/me/password/", {"current_password": PASSWORD, "new_password1": NEW,
                                             "new_password2": NEW, "address": theirs.email,
                                             "mailbox": theirs.pk, "email": theirs.email})
    assert response.status_code == 302
    assert stored_hash(theirs) == theirs_before and mail.imap_login_works(theirs.email, PASSWORD)
    assert mail.imap_login_works(mine.email, NEW)


# --- Roundcube's password plugin (httpapi driver) ---

@pytest.fixture
def roundcube(settings):
    settings.MAILADMIN_ROUNDCUBE_SECRET = SECRET
    return Client()  # no cookies, no CSRF token: as Roundcube calls it


def roundcube_call(client, user, curpass=PASSWORD, newpass=NEW, secret=SECRET, path=ENDPOINT, **extra):
    headers = {"HTTP_X_MAILADMIN_SECRET": secret} if secret is not None else {}
    return client.post(path, {"user": user, "curpass": curpass, "newpass": newpass}, **headers, **extra)


def test_roundcube_changes_the_password_and_answers_ok(roundcube, owner, relay_sink):
    assert mail.imap_login_works(owner.email, PASSWORD)  # as the user's Roundcube session did
    response = roundcube_call(Client(enforce_csrf_checks=True), owner.email)
    assert response.status_code == 200 and response.content == b"ok"
    assert_only_new_password_works(owner.email, NEW)


def test_roundcube_without_trailing_slash_is_not_redirected(roundcube, owner):
    response = roundcube_call(roundcube, owner.email, path=ENDPOINT.rstrip("/"))
    assert response.status_code == 200 and response.content == b"ok"
    assert mail.imap_login_works(owner.email, NEW)


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x"])
def test_roundcube_with_a_wrong_secret_is_refused(roundcube, owner, secret):
    before = stored_hash(owner)
    response = roundcube_call(roundcube, owner.email, secret=secret)
    assert response.status_code == 403 and b"secret" in response.content
    assert stored_hash(owner) == before


def test_roundcube_with_a_wrong_current_password_is_refused(roundcube, owner):
    before = stored_hash(owner)
    wrong = roundcube_call(roundcube, owner.email, curpass="not my password")
    unknown = roundcube_call(roundcube, "nobody@self.example")
    assert wrong.status_code == unknown.status_code == 403 and wrong.content == unknown.content
    assert stored_hash(owner) == before and mail.imap_login_works(owner.email, PASSWORD)


def test_roundcube_new_password_against_the_policy_is_refused_with_the_reason(roundcube, owner):
    before = stored_hash(owner)
    response = roundcube_call(roundcube, owner.email, newpass="short")
    assert response.status_code == 422 and b"at least 10 characters" in response.content
    assert stored_hash(owner) == before


def test_roundcube_endpoint_refuses_get_and_missing_fields(roundcube, owner):
    assert roundcube.get(ENDPOINT, HTTP_X_MAILADMIN_SECRET=SECRET).status_code == 405
    response = roundcube.post(ENDPOINT, {"user": owner.email, "curpass": PASSWORD}, HTTP_X_MAILADMIN_SECRET=SECRET)
    assert response.status_code == 400 and response.content != b"ok"


def test_roundcube_endpoint_is_off_without_a_secret(settings, owner):
    settings.MAILADMIN_ROUNDCUBE_SECRET = ""
    assert roundcube_call(Client(), owner.email, secret="").status_code == 404
    assert mail.imap_login_works(owner.email, PASSWORD)


def test_roundcube_endpoint_is_throttled_like_the_sign_in(roundcube, owner):
    for _ in range(5):
        roundcube_call(roundcube, owner.email, curpass="a wrong guess")
    before = stored_hash(owner)
    response = roundcube_call(roundcube, owner.email)
    assert response.status_code == 429 and stored_hash(owner) == before


def test_guessing_the_secret_is_throttled_per_client(roundcube, owners):
    owner = owners()
    for _ in range(5):
        roundcube_call(roundcube, owner.email, secret="guess")
    assert roundcube_call(roundcube, owner.email).status_code == 429
    assert roundcube_call(Client(REMOTE_ADDR="192.0.2.20"), owner.email).content == b"ok"


def test_axes_never_records_the_typed_passwords(roundcube, owner):
    from axes.models import AccessAttempt

    roundcube_call(roundcube, owner.email, curpass="a secret wrong guess", newpass="another secret one")
    recorded = " ".join(attempt.post_data for attempt in AccessAttempt.objects.all())
    assert "curpass" in recorded  # the attempt was recorded...
    assert "a secret wrong guess" not in recorded and "another secret one" not in recorded  # ...without them


def test_roundcube_failures_for_one_address_lock_only_that_address(roundcube, owners, django_user_model):
    """Roundcube calls from one address for all its users: a user (or a made-up address) failing
    five times locks that address alone, not the endpoint, the owners' page or the admins."""
    owner, neighbour = owners(), owners()
    django_user_model.objects.create_user("rc-admin", password="a long enough password")
    for target in ("nobody@self.example", owner.email):
        for _ in range(5):
            assert roundcube_call(roundcube, target, curpass="a wrong guess").status_code == 403
    assert roundcube_call(roundcube, owner.email).status_code == 429
    assert roundcube_call(roundcube, neighbour.email).content == b"ok"
    assert roundcube.post("/me/login/", {"address": owner.email, "password": PASSWORD}).status_code == 302
    assert roundcube.post("/login/", {"username": "rc-admin", "password": "a long enough password"}).status_code == 302


def test_wrong_secrets_lock_only_the_endpoint_for_that_client(roundcube, owner):
    for _ in range(5):
        roundcube_call(roundcube, owner.email, secret="guess")
    assert roundcube_call(roundcube, owner.email).status_code == 429
    assert roundcube.post("/me/login/", {"address": owner.email, "password": PASSWORD}).status_code == 302


def test_rotating_forwarded_headers_does_not_reset_the_count_of_wrong_secrets(roundcube, owner):
    for number in range(5):
        roundcube_call(roundcube, owner.email, secret="guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
                       HTTP_X_REAL_IP=f"203.0.113.{number}")
    assert roundcube_call(roundcube, owner.email, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    assert mail.imap_login_works(owner.email, PASSWORD)  # the password was not changed


@pytest.mark.parametrize("length", [248, 254, 400])
def test_roundcube_counts_and_locks_a_long_address(roundcube, owner, length):
    address = long_address(length)
    for _ in range(5):
        assert roundcube_call(roundcube, address, curpass="a wrong guess").status_code == 403
    assert roundcube_call(roundcube, address).status_code == 429
    assert roundcube_call(roundcube, owner.email).content == b"ok"
