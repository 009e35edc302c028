"""Rate limits: per API key, and per client address for failed key checks; both answer 429."""
import pytest
from django.core.cache import caches

from domains.models import Mailbox
from tests.api.conftest import BLF_HASH

pytestmark = pytest.mark.django_db(transaction=True)  # the counts are in a table every worker shares


@pytest.fixture(autouse=True)
def empty_counts():
    caches["api"].clear()
    yield
    caches["api"].clear()


def assert_429(response):
    assert response.status_code == 429, response.body
    assert response["Content-Type"] == "application/problem+json" and response.body["status"] == 429
    assert int(response["Retry-After"]) > 0


def test_each_key_has_its_own_rate(api, world, settings):
    settings.MAILADMIN_API_RATE = "3/min"
    key, other = world["keys"]["allowed"], world["keys"]["all_domains"]
    for _ in range(3):
        assert api("GET", "domains/", key=key).status_code == 200
    assert_429(api("GET", "domains/", key=key))
    assert_429(api("POST", "mailboxes/", {"address": "n@a.example", "password_hash": BLF_HASH}, key=key))
    assert not Mailbox.objects.filter(email="n@a.example").exists()
    assert api("GET", "domains/", key=other).status_code == 200  # another key is not slowed down


def test_guessing_keys_from_one_address_is_stopped(api, world, settings):
    settings.MAILADMIN_API_AUTH_FAILURE_RATE = "3/hour"
    valid, guesses = world["keys"]["allowed"], [f"mak_0000000{n}_{'x' * 43}" for n in range(3)]
    assert api("GET", "domains/", key=valid, REMOTE_ADDR="198.51.100.9").status_code == 200  # success counts nothing
    for guess in guesses:
        assert api("GET", "domains/", key=guess, REMOTE_ADDR="198.51.100.9").status_code == 401
    # Past the limit the address gets 429 whatever it sends, so a right guess is not told apart.
    assert_429(api("GET", "domains/", key="mak_00000009_" + "y" * 43, REMOTE_ADDR="198.51.100.9"))
    assert_429(api("GET", "domains/", key=valid, REMOTE_ADDR="198.51.100.9"))
    assert api("GET", "domains/", key=valid, REMOTE_ADDR="198.51.100.10").status_code == 200



def test_rotating_forwarded_headers_does_not_reset_the_count_of_key_guesses(api, world, settings):
    settings.MAILADMIN_API_AUTH_FAILURE_RATE = "3/hour"
    for number in range(3):
        guess = f"mak_0000000{number}_{'x' * 43}"
        assert api("GET", "domains/", key=guess, REMOTE_ADDR="198.51.100.11",
                   HTTP_X_FORWARDED_FOR=f"203.0.113.{number}").status_code == 401
    assert_429(api("GET", "domains/", key=world["keys"]["allowed"], REMOTE_ADDR="198.51.100.11",
                   HTTP_X_FORWARDED_FOR="203.0.113.99"))


def test_failed_key_checks_and_failed_sign_ins_never_lock_each_other(api, world, settings, django_user_model):
    settings.MAILADMIN_API_AUTH_FAILURE_RATE = "3/hour"
    django_user_model.objects.create_user("dora", password="a long enough password")
    for number in range(3):
        api("GET", "domains/", key=f"mak_0000000{number}_{'x' * 43}", REMOTE_ADDR="198.51.100.20")
    assert_429(api("GET", "domains/", key=world["keys"]["allowed"], REMOTE_ADDR="198.51.100.20"))
    sign_in = api.client.post("/login/", {"username": "dora", "password": "a long enough password"},
                              REMOTE_ADDR="198.51.100.20")
    assert sign_in.status_code == 302
    api.client.post("/logout/")

    for number in range(6):
        api.client.post("/login/", {"username": f"guess{number}", "password": "wrong"}, REMOTE_ADDR="198.51.100.21")
    assert api.client.post("/login/", {"username": "dora", "password": "a long enough password"},
                           REMOTE_ADDR="198.51.100.21").status_code == 429
    assert api("GET", "domains/", key=world["keys"]["allowed"], REMOTE_ADDR="198.51.100.21").status_code == 200
