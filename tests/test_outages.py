"""When a part of the stack is down, mail waits; it is never bounced and never lost.

Postfix's MySQL client retries a database it lost after a fixed 60 s: a process whose lookup
failed (trivial-rewrite on the first lookup after the restart, through its lost connection)
answers 451 until then.  Sending servers retry after minutes; the test retries as soon as the
database is back and then every few seconds, so it waits for those 60 s and not much longer.
"""
import json
import smtplib
import subprocess
import time

import pytest
from django.db import connections

from mailstack.config import paths
from mailstack.daemons import Dovecot, MariaDB
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


def queue_size() -> int:
    listing = subprocess.run(["postqueue", "-c", str(paths().postfix_config), "-j"], capture_output=True, text=True)
    return len([line for line in listing.stdout.splitlines() if line.strip()])


def flush_queue():
    subprocess.run(["postqueue", "-c", str(paths().postfix_config), "-f"], check=True)


def rcpt_refusal(sent) -> int:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mail.send(sent)
    return next(iter(refused.value.recipients.values()))[0]


def send_until_accepted(sent, pause=3, timeout=240):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return mail.send(sent)
        except smtplib.SMTPRecipientsRefused as refused:
            code = next(iter(refused.recipients.values()))[0]
            assert code == 451, f"a temporary failure turned into {code}"
            if time.monotonic() > deadline:
                raise
        time.sleep(pause)


def deferred_once(timeout=10) -> list[str]:
    """The delay reasons of the queued messages' recipients, once the queue holds one message
    whose delivery was tried and put off (postqueue -j gives its recipient a delay_reason then)."""
    deadline = time.monotonic() + timeout
    while True:
        listing = subprocess.run(["postqueue", "-c", str(paths().postfix_config), "-j"], capture_output=True,
                                 text=True).stdout
        reasons = [recipient.get("delay_reason") for line in listing.splitlines() if line.strip()
                   for recipient in json.loads(line)["recipients"]]
        if (len(reasons) == 1 and reasons[0]) or time.monotonic() > deadline:
            return reasons
        time.sleep(0.2)


def deliver_queue_until_received(user, subject, attempts=20):
    for _ in range(attempts):
        flush_queue()
        if mail.fetch(user, PASSWORD, subject) is not None:
            return
        time.sleep(2)
    raise AssertionError(f"{subject!r} was not delivered to {user} after the outage")


def test_mail_waits_out_dovecot_and_database_outages_and_nothing_bounces(mail_domain, relay_sink):
    # Mail an earlier test left queued (one still on its way when its test ended) would count here.
    subprocess.run(["postsuper", "-c", str(paths().postfix_config), "-d", "ALL"], capture_output=True, check=True)
    example = mail_domain("example.org")
    example.mailbox("john")
    dovecot, mariadb = Dovecot(), MariaDB()

    dovecot.stop()
    try:
        queued = mail.message("john@example.org")
        mail.send(queued)  # accepted: recipients are checked in the database
        [reason] = deferred_once()
        assert "Connection refused" in reason, "the message waits in Postfix's queue while Dovecot is down"

        connections.close_all()
        mariadb.stop()
        try:
            during_outage = mail.message("john@example.org")
            assert rcpt_refusal(during_outage) == 451
            dovecot.start()
            flush_queue()  # Dovecot is back but cannot look the user up
            time.sleep(8)
            assert queue_size() == 1, "the message still waits while the database is down"
        finally:
            mariadb.start()
            connections.close_all()
    finally:
        dovecot.start()

    send_until_accepted(during_outage)  # what the sending server does after a 451
    mail.wait_for("john@example.org", PASSWORD, during_outage["Subject"])
    deliver_queue_until_received("john@example.org", queued["Subject"])
    notices = [envelope for envelope in relay_sink.received  # to the remote sender, from the null sender
               if envelope.mail_from == "<>" and queued["Message-ID"].encode() in envelope.original_content]
    assert notices == []
    assert queue_size() == 0
