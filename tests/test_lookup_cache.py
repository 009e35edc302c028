"""Postfix's lookup cache (memcached in front of the SQL maps): a change made through the panel
counts at Postfix's next RCPT although the old answer was cached, a new address works at once,
and with memcached down mail is still accepted from MariaDB."""
import smtplib
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.core.management import call_command

from domains import services
from mailstack.config import lookup_cache_socket, paths
from mailstack.daemons import Memcached
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


def rcpt(address: str) -> int:
    """The code Postfix answers at RCPT TO for the address (the message is not sent: RSET)."""
    with smtplib.SMTP("127.0.0.1", settings.MAILSTACK["ports"]["smtp"], timeout=30) as client:
        client.ehlo("client.remote.test")
        client.mail("someone@remote.test")
        code, _ = client.rcpt(address)
        client.rset()
    return code


def cached(key: str) -> str | None:
    """What memcached holds for a key of the memcache-*.cf maps (root may use the socket)."""
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(lookup_cache_socket()))
        client.sendall(f"get {key}\r\n".encode())
        reply = b""
        while not reply.endswith(b"END\r\n"):
            reply += client.recv(4096)
    lines = reply.decode().split("\r\n")
    return lines[1] if lines[0].startswith("VALUE") else None


def postmap(map_name: str, key: str) -> str | None:
    config = paths().postfix_config
    result = subprocess.run(["postmap", "-c", str(config), "-q", key, f"memcache:{config / map_name}"],
                            capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.strip() if result.returncode == 0 else None


@pytest.fixture
def example(mail_domain):
    domain = mail_domain("example.org")
    domain.mailbox("live")
    return domain


def warm(address: str):
    assert rcpt(address) == 250
    assert cached(f"recipient-access:{address}") == "DUNNO", "the answer is in the cache"
    assert cached(f"email2email:{address}") == address


def test_the_cache_is_on_in_the_bundled_stack_and_only_root_and_postfix_reach_it():
    assert settings.MAILADMIN_POSTFIX_LOOKUP_CACHE and Memcached().running()
    status = lookup_cache_socket().stat()
    assert status.st_mode & 0o777 == 0o600 and lookup_cache_socket().owner() == "postfix"
    assert lookup_cache_socket().parent.stat().st_mode & 0o077 == 0
    main_cf = (paths().postfix_config / "main.cf").read_text()
    assert "memcache:" in main_cf and "inet:" not in (paths().postfix_config / "memcache-email2email.cf").read_text()


def test_suspending_a_mailbox_refuses_it_at_the_next_rcpt(example):
    warm("live@example.org")
    services.mailbox_update(actor=example.actor, mailbox=example.domain.mailboxes.get(email="live@example.org"),
                            active=False)
    assert rcpt("live@example.org") == 550
    services.mailbox_update(actor=example.actor, mailbox=example.domain.mailboxes.get(email="live@example.org"),
                            active=True)
    assert rcpt("live@example.org") == 250


def test_suspending_and_resuming_a_domain_counts_at_the_next_rcpt(example):
    warm("live@example.org")
    services.domain_update(actor=example.actor, domain=example.domain, active=False)
    assert rcpt("live@example.org") == 550
    services.domain_update(actor=example.actor, domain=example.domain, active=True)
    assert rcpt("live@example.org") == 250


def test_a_deleted_mailbox_is_unknown_at_the_next_rcpt(example):
    warm("live@example.org")
    services.mailbox_delete(actor=example.actor, mailbox=example.domain.mailboxes.get(email="live@example.org"))
    assert rcpt("live@example.org") == 550
    assert cached("email2email:live@example.org") is None


def test_a_deleted_domain_is_unknown_at_the_next_rcpt(example):
    warm("live@example.org")
    services.domain_delete(actor=example.actor, domain=example.domain)
    assert 550 <= rcpt("live@example.org") <= 554  # no longer one of our domains: refused for good


def test_a_renamed_mailbox_answers_at_its_new_address_only(example):
    warm("live@example.org")
    services.mailbox_rename(actor=example.actor, mailbox=example.domain.mailboxes.get(email="live@example.org"),
                            local_part="renamed")
    assert rcpt("live@example.org") == 550
    assert rcpt("renamed@example.org") == 250


def test_alias_changes_reroute_mail_at_once(example):
    example.mailbox("other")
    example.alias("team", "live@example.org")
    warm("live@example.org")
    assert postmap("memcache-virtual-alias-or-self.cf", "team@example.org") == "live@example.org"
    assert cached("virtual-alias-or-self:team@example.org") == "live@example.org"

    services.alias_set_destinations(actor=example.actor, domain=example.domain, source="team@example.org",
                                    destinations=["other@example.org"])
    assert postmap("memcache-virtual-alias-or-self.cf", "team@example.org") == "other@example.org"
    sent = mail.message("team@example.org")
    mail.send(sent)
    mail.wait_for("other@example.org", PASSWORD, sent["Subject"])

    # An alias over a mailbox's own address wins from its creation on, although the mailbox's
    # answer "itself" was cached.
    assert postmap("memcache-virtual-alias-or-self.cf", "live@example.org") == "live@example.org"
    example.alias("live", "other@example.org")
    assert postmap("memcache-virtual-alias-or-self.cf", "live@example.org") == "other@example.org"
    services.alias_delete(actor=example.actor, domain=example.domain, source="live@example.org")
    assert postmap("memcache-virtual-alias-or-self.cf", "live@example.org") == "live@example.org"
    services.alias_delete(actor=example.actor, domain=example.domain, source="team@example.org")
    assert rcpt("team@example.org") == 550


def test_a_new_address_is_accepted_at_once_as_misses_are_never_cached(example):
    assert rcpt("new@example.org") == 550
    example.mailbox("new")
    assert rcpt("new@example.org") == 250


def test_the_flush_command_empties_the_cache_after_changes_made_by_hand(example):
    from django.db import connection

    warm("live@example.org")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE virtual_users SET active=0 WHERE email='live@example.org'")
    assert rcpt("live@example.org") == 250, "a change made in SQL by hand is not seen while cached"
    call_command("lookup_cache", "flush", stdout=open("/dev/null", "w"))
    assert rcpt("live@example.org") == 550


def test_with_memcached_down_mail_is_accepted_from_the_database_without_delay(example):
    memcached = Memcached()
    memcached.stop()
    try:
        started = time.monotonic()
        assert rcpt("live@example.org") == 250
        assert rcpt("nobody@example.org") == 550
        assert time.monotonic() - started < 1.5, "no pause before asking MariaDB (max_try = 1)"
        # The panel's changes still go through, and count at once.
        services.mailbox_update(actor=example.actor, mailbox=example.domain.mailboxes.get(email="live@example.org"),
                                active=False)
        assert rcpt("live@example.org") == 550
    finally:
        memcached.start()
