"""Returning logins (docs/logins.md): a mailbox logging in again with the password that last
verified skips the Argon2 check, yet a new password, a suspension or a wrong password counts at
once.  Which way each login went is read from Dovecot's own counter of the passdb script's
decisions (metric mailadmin_login_cache: hit, miss, stored), not from timings."""
import time
from collections import Counter

import pytest
from django.db import connection
from django.test import override_settings

from domains import services
from domains.audit import Actor
from mailstack import dovecot_stats, stack
from mailstack.daemons import Dovecot
from tests import mail
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a brand new passphrase"


def decisions() -> Counter:
    return Counter({labels["result"]: value for name, labels, value in dovecot_stats.counters()
                    if name == "login_cache"})


def login(user, password, *, wait=5.0) -> tuple[bool, Counter]:
    """Whether an IMAP login succeeds, and the script's decisions it caused (Dovecot's processes
    send their events to the stats process on their own connections: a moment later at most)."""
    before = decisions()
    works = mail.imap_login_works(user, password)
    deadline = time.monotonic() + wait
    while not (caused := decisions() - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    return works, caused


@pytest.fixture
def mailbox(mail_domain):
    return mail_domain("returning.example").mailbox("pat")


def test_a_returning_login_skips_the_hash_and_a_first_one_pays_it(mailbox):
    assert login(mailbox.email, PASSWORD) == (True, Counter(miss=1, stored=1))
    assert login(mailbox.email, PASSWORD) == (True, Counter(hit=1))
    assert login(mailbox.email, PASSWORD) == (True, Counter(hit=1))


def test_a_wrong_password_is_refused_while_the_right_one_is_remembered(mailbox):
    assert login(mailbox.email, PASSWORD)[0]
    assert login(mailbox.email, "not the password") == (False, Counter(miss=1))
    assert login(mailbox.email, PASSWORD) == (True, Counter(hit=1))


def test_a_new_password_counts_at_once(mailbox):
    assert login(mailbox.email, PASSWORD)[0]
    assert login(mailbox.email, PASSWORD) == (True, Counter(hit=1))
    services.mailbox_set_password(actor=Actor.command("tests"), mailbox=mailbox, password=NEW_PASSWORD)
    assert login(mailbox.email, PASSWORD) == (False, Counter(miss=1))
    assert login(mailbox.email, NEW_PASSWORD) == (True, Counter(miss=1, stored=1))
    assert login(mailbox.email, NEW_PASSWORD) == (True, Counter(hit=1))


def test_a_suspension_by_plain_sql_counts_at_once(mailbox):
    """As the tutorial's administrators do it: no flush, no reload."""
    assert login(mailbox.email, PASSWORD)[0]
    assert login(mailbox.email, PASSWORD) == (True, Counter(hit=1))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE virtual_users SET active=0 WHERE email=%s", [mailbox.email])
    assert login(mailbox.email, PASSWORD, wait=0.5) == (False, Counter())  # refused by the lookup, before the script


@pytest.fixture
def one_second_life(mailbox):
    with override_settings(MAILADMIN_DOVECOT_RETURNING_LOGIN_SECONDS=1):
        stack.render_configs()
        Dovecot().start()  # reloads: a new auth process, nothing remembered
        # The new auth process counts its events once the stats process has sent it the filters.
        deadline = time.monotonic() + 10
        while login(mailbox.email, PASSWORD, wait=0.5) != (True, Counter(miss=1, stored=1)):
            assert time.monotonic() < deadline, "Dovecot does not count the script's decisions after a reload"
        yield
    stack.render_configs()
    Dovecot().start()


def test_a_login_after_the_entrys_life_pays_the_hash_again(mailbox, one_second_life):
    time.sleep(1.1)  # the entry's whole life: nothing to wait for but the clock
    assert login(mailbox.email, PASSWORD) == (True, Counter(miss=1, stored=1))
