"""A mailbox suspended, deleted, renamed or given a new password (or its domain suspended or
deleted) keeps no IMAP, POP3 or ManageSieve session that logged in before the change: Dovecot ends
them after the commit (`doveadm kick`).  Other mailboxes' sessions stay open."""
import os
import signal

import pytest

from domains import services
from mailstack.daemons import MailStoreWorker, _pid_from
from tests import mail
from tests.conftest import PASSWORD
from tests.mail import ended

pytestmark = pytest.mark.stack

CHANGES = {
    "suspend": lambda example, mailbox: services.mailbox_update(actor=example.actor, mailbox=mailbox, active=False),
    "delete": lambda example, mailbox: services.mailbox_delete(actor=example.actor, mailbox=mailbox),
    "rename": lambda example, mailbox: services.mailbox_rename(actor=example.actor, mailbox=mailbox,
                                                               local_part="renamed"),
    "set password": lambda example, mailbox: services.mailbox_set_password(actor=example.actor, mailbox=mailbox,
                                                                           password="a fresh passphrase 2026"),
    "suspend the domain": lambda example, mailbox: services.domain_update(actor=example.actor, domain=example.domain,
                                                                          active=False),
    "delete the domain": lambda example, mailbox: services.domain_delete(actor=example.actor, domain=example.domain),
}


@pytest.fixture
def mail_store_paused():
    """The mail-store worker archives a deleted mailbox's folder within seconds, which ends its
    sessions in its own way: paused here, so that only what the change itself does is seen."""
    worker = _pid_from(MailStoreWorker().pidfile)
    os.kill(worker, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(worker, signal.SIGCONT)


def imap_session(address):
    session = mail.imap(address, PASSWORD)
    assert session.select("INBOX")[0] == "OK"
    return session


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_ends_the_mailboxs_open_imap_session(mail_domain, mail_store_paused, change):
    example = mail_domain("example.org")
    mailbox = example.mailbox("pat")
    example.mailbox("sam")
    other = mail_domain("other.example")
    other.mailbox("kim")
    session, colleague, outsider = (imap_session(address) for address in
                                    ("pat@example.org", "sam@example.org", "kim@other.example"))

    CHANGES[change](example, mailbox)

    assert ended(session.noop)
    # The kick is done when the change returns: by the time pat's session has ended, any other
    # session the kick named has been told to end too.
    whole_domain = "domain" in change
    assert ended(colleague.noop, timeout=0.5) == whole_domain
    assert not ended(outsider.noop, timeout=0.5)
    outsider.logout()


def test_suspending_ends_pop3_and_managesieve_sessions_too(mail_domain):
    example = mail_domain("example.org")
    mailbox = example.mailbox("pat")
    pop3 = mail.pop3_session("pat@example.org", PASSWORD)
    sieve = mail.ManageSieve("pat@example.org", PASSWORD)

    CHANGES["suspend"](example, mailbox)

    assert ended(pop3.noop)
    assert ended(lambda: sieve.command(b"NOOP"))


@pytest.mark.parametrize("change", ["suspend", "delete", "rename", "set password"])
def test_a_change_drops_the_mailboxs_auth_cache_entry(mail_domain, mail_store_paused, empty_auth_cache, change):
    example = mail_domain("example.org")
    mailbox = example.mailbox("pat")
    assert mail.imap_login_works("pat@example.org", PASSWORD)  # Dovecot's cache now holds the login

    CHANGES[change](example, mailbox)

    assert not mail.imap_login_works("pat@example.org", PASSWORD)
