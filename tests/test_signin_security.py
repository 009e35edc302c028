"""Sign-in security: lockout after failed passwords, the TOTP second factor, recovery codes,
and the production (HTTPS) settings."""
import os
import re
import secrets
import subprocess
import sys
from base64 import b32decode
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp

from mailadmin import forwarded_headers
from mailadmin.client_ip import client_ip
from tests.conftest import long_address
from tests.signin import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password"
SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/verify/"
BASE_DIR = Path(__file__).resolve().parent.parent


def sign_in(client, username, password=PASSWORD, **headers):
    return client.post("/login/", {"username": username, "password": password}, **headers)


def sign_in_again(client, username):
    client.post("/logout/")
    assert sign_in(client, username).status_code == 302


def code_from_app(secret, steps_ahead=0):
    """What an authenticator app shows for `secret`, now or `steps_ahead` periods of 30 s later."""
    key = b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=steps_ahead):06d}"


def turn_on_two_factor(client):
    """Goes through the setup page as a person would; returns the secret and the recovery codes shown."""
    page = client.get(SETUP).content.decode()
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page).group(1)
    shown = client.post(SETUP, {"code": code_from_app(secret)})
    assert shown.status_code == 200
    return secret, recovery_codes_in(shown)


def recovery_codes_in(response):
    listing = re.search(r'id="recovery-codes">(.*?)</ul>', response.content.decode(), re.S).group(1)
    return re.findall(r"<li>([a-z2-7]+)</li>", listing)


def verify(client, code):
    return client.post(VERIFY, {"code": code})


def reaches_home(client):
    return client.get("/").status_code == 200


@pytest.fixture
def superadmin(django_user_model):
    return django_user_model.objects.create_superuser("root", password=PASSWORD)


@pytest.fixture
def domain_admin(django_user_model):
    return django_user_model.objects.create_user("dora", password=PASSWORD)


# --- lockout -------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_known_and_unknown_usernames_alike(client, domain_admin):
    refusals = {}
    for username, address in (("dora", "198.51.100.1"), ("nobody", "198.51.100.2")):
        for _ in range(4):
            wrong = sign_in(client, username, "wrong password", REMOTE_ADDR=address)
            assert wrong.status_code == 200 and "correct username and password" in wrong.content.decode()
        assert sign_in(client, username, "wrong password", REMOTE_ADDR=address).status_code == 429
        refusals[username] = sign_in(client, username, PASSWORD, REMOTE_ADDR="198.51.100.3")
    assert refusals["dora"].status_code == refusals["nobody"].status_code == 429
    assert "Sign-in is locked for a while" in refusals["dora"].content.decode()
    assert "15 minutes" in refusals["dora"].content.decode()
    # Alike but for the CSRF token of the page's language menu, which is new in every answer.
    pages = [re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", refusals[name].content) for name in refusals]
    assert pages[0] == pages[1]
    assert client.get("/").status_code == 302  # not signed in


def test_rotating_forwarded_headers_does_not_reset_the_count(client, domain_admin):
    def forwarded(address):
        return {"HTTP_X_FORWARDED_FOR": address, "HTTP_X_REAL_IP": address}

    for n in range(5):
        sign_in(client, "dora", "wrong password", **forwarded(f"203.0.113.{n}"))
    assert sign_in(client, "dora", **forwarded("203.0.113.99")).status_code == 429


def test_one_client_guessing_many_usernames_is_locked_whatever_headers_it_sends(client, domain_admin):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert sign_in(client, "dora", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_case_variants_of_a_username_share_one_count(client, domain_admin):
    for n, variant in enumerate(("DORA", "Dora", "dOra", "doRA", "DorA")):
        sign_in(client, variant, "wrong password", REMOTE_ADDR=f"198.51.100.{n + 10}")
    assert sign_in(client, "dora", REMOTE_ADDR="198.51.100.50").status_code == 429


def test_a_success_resets_only_the_failures_of_the_account_that_signed_in(django_user_model, domain_admin):
    """An admin guessing another admin's password between their own sign-ins is still locked."""
    django_user_model.objects.create_user("eve", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="198.51.100.60")
    for _ in range(12):
        sign_in(attacker, "dora", "wrong password")
        sign_in(attacker, "eve")
        attacker.post("/logout/")
    assert sign_in(Client(REMOTE_ADDR="198.51.100.61"), "dora").status_code == 429
    assert sign_in(attacker, "eve").status_code == 429  # the guessing client is locked too


def test_a_success_clears_the_failures_it_follows(django_user_model, domain_admin):
    client = Client(REMOTE_ADDR="198.51.100.62")
    for _ in range(4):
        sign_in(client, "dora", "wrong password")
    assert sign_in(client, "dora").status_code == 302
    client.post("/logout/")
    for _ in range(4):
        assert sign_in(client, "dora", "wrong password").status_code == 200
    assert sign_in(client, "dora").status_code == 302


@pytest.mark.parametrize("length", [248, 250, 254, 300])
def test_a_long_username_is_counted_and_locked_like_any_other(domain_admin, length):
    username = long_address(length)
    assert len(username) == length
    client = Client(REMOTE_ADDR="198.51.100.63")
    for _ in range(4):
        assert sign_in(client, username, "wrong password").status_code == 200
    assert sign_in(client, username, "wrong password").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="198.51.100.64"), username.upper(), "wrong password").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="198.51.100.65"), "dora").status_code == 302  # only that name is locked


def test_forwarded_for_counts_only_with_trusted_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert client_ip(request) == "10.0.0.2"
    settings.MAILADMIN_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.7"  # what the proxy appended, not what the client sent
    settings.MAILADMIN_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")) == "10.0.0.2"


def test_sign_out_is_a_post(client, domain_admin):
    client.force_login(domain_admin)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302


# --- second factor -------------------------------------------------------------------------

def test_the_setup_page_needs_sign_in(client):
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_setup_page_shows_a_qr_code_and_the_secret(client, domain_admin):
    sign_in(client, "dora")
    page = client.get(SETUP).content.decode()
    assert re.search(r"<svg[^>]*>.*<path ", page, re.S)
    assert re.search(r'id="totp-secret"[^>]*>[A-Z2-7]{32}<', page)


def test_a_superadmin_with_a_password_only_is_sent_to_set_up_two_factor(client, superadmin):
    sign_in(client, "root")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    assert client.get("/account/two-factor/").status_code == 302
    wrong = client.post(SETUP, {"code": "12345"})
    assert "does not match" in wrong.content.decode() and not reaches_home(client)
    _, codes = turn_on_two_factor(client)
    assert len(set(codes)) == 10
    assert reaches_home(client)


def test_a_superadmin_enters_a_code_at_each_sign_in(client, superadmin):
    sign_in(client, "root")
    secret, _ = turn_on_two_factor(client)
    sign_in_again(client, "root")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert client.get(SETUP).status_code == 302  # no new secret behind the code's back
    assert verify(client, code_from_app(secret, steps_ahead=1))["Location"] == "/"
    assert reaches_home(client)


def test_wrong_codes_are_refused_and_a_recovery_code_works_once(client, superadmin):
    sign_in(client, "root")
    secret, codes = turn_on_two_factor(client)
    sign_in_again(client, "root")
    valid_now = {code_from_app(secret, steps_ahead=n) for n in (-1, 0, 1, 2)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in valid_now)
    assert "That code is not valid" in verify(client, wrong).content.decode()
    assert not reaches_home(client)
    # The app's right code, straight after a wrong one, must wait: tries are throttled.
    assert "Too many wrong codes" in verify(client, code_from_app(secret, steps_ahead=1)).content.decode()
    assert verify(client, codes[0].upper()).status_code == 302
    assert reaches_home(client)

    sign_in_again(client, "root")
    assert "That code is not valid" in verify(client, codes[0]).content.decode()
    assert not reaches_home(client)


def test_new_recovery_codes_replace_the_old_ones(client, domain_admin):
    sign_in(client, "dora")
    _, old_codes = turn_on_two_factor(client)
    assert client.get("/account/two-factor/recovery-codes/").status_code == 405
    new_codes = recovery_codes_in(client.post("/account/two-factor/recovery-codes/"))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert "Recovery codes left: <strong>10</strong>" in client.get("/account/two-factor/").content.decode()

    sign_in_again(client, "dora")
    assert verify(client, new_codes[0]).status_code == 302
    sign_in_again(client, "dora")
    assert "That code is not valid" in verify(client, old_codes[0]).content.decode()


def test_a_domain_admin_may_turn_on_two_factor(client, domain_admin):
    sign_in(client, "dora")
    assert reaches_home(client)
    assert "Turn on two-factor sign-in" in client.get("/account/two-factor/").content.decode()
    secret, _ = turn_on_two_factor(client)
    assert reaches_home(client)

    sign_in_again(client, "dora")
    assert client.get("/")["Location"].startswith(VERIFY)
    verify(client, code_from_app(secret, steps_ahead=1))
    assert reaches_home(client)


def test_after_a_reset_the_superadmin_sets_up_two_factor_again(client, superadmin):
    sign_in(client, "root")
    turn_on_two_factor(client)
    call_command("two_factor_reset", "root", stdout=open(os.devnull, "w"))
    sign_in_again(client, "root")
    assert client.get("/")["Location"].startswith(SETUP)


def test_the_helper_for_other_tests_signs_a_superadmin_in_past_the_second_factor(client, superadmin):
    sign_in_with_second_factor(client, superadmin)
    assert reaches_home(client)


# --- production settings -------------------------------------------------------------------

def check_deploy(**environment):
    """`manage.py check --deploy` with the production settings and HTTPS on (the test stack's secrets)."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "mailadmin.settings", "MAILADMIN_HTTPS": "1",
                   "MAILADMIN_VAR_DIR": str(settings.MAILSTACK["var_dir"]), **environment}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=BASE_DIR, env=environment,
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def assert_no_issues(returncode, output):
    assert returncode == 0, output
    assert "System check identified no issues" in output, output
    assert not re.search(r"\(\w+\.[WE]\d+\)", output), output


@pytest.fixture
def no_forwarded_header_seen():
    """Forgets (committed, for `check --deploy` to see) that a forwarded header came untrusted."""
    forwarded_headers.forget()
    yield
    forwarded_headers.forget()


@pytest.mark.django_db(transaction=True)
def test_check_deploy_reports_no_issues_with_https_on(no_forwarded_header_seen):
    assert_no_issues(*check_deploy(MAILADMIN_DJANGO_SECRET_KEY=secrets.token_urlsafe(50)))


@pytest.mark.django_db(transaction=True)
def test_check_deploy_reports_no_issues_with_the_generated_secret_key(no_forwarded_header_seen):
    assert_no_issues(*check_deploy())


@pytest.mark.django_db(transaction=True)
def test_forwarded_headers_without_a_trusted_proxy_are_reported_once_and_by_check_deploy(
        no_forwarded_header_seen, domain_admin, caplog, monkeypatch):
    monkeypatch.setattr(forwarded_headers, "_reported", False)  # as in a freshly started process
    client = Client(REMOTE_ADDR="10.0.0.2")
    def logged():
        return [record.getMessage() for record in caplog.records if record.name == "mailadmin.forwarded_headers"]

    sign_in(client, "dora", "wrong password")
    assert not logged()
    assert_no_issues(*check_deploy())
    for _ in range(3):
        sign_in(client, "dora", "wrong password", HTTP_X_FORWARDED_FOR="198.51.100.70")
    assert len(logged()) == 1 and "MAILADMIN_TRUSTED_PROXY_COUNT" in logged()[0], logged()

    returncode, output = check_deploy()
    assert returncode == 0 and "(accounts.W001)" in output, output
    assert "X-Forwarded-For" in output and "MAILADMIN_TRUSTED_PROXY_COUNT" in output
    assert_no_issues(*check_deploy(MAILADMIN_TRUSTED_PROXY_COUNT="1"))
