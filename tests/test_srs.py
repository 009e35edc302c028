"""SRS for forwarded mail (postsrsd): mail that leaves for another server with a foreign envelope
sender (an alias to an outside address, an owner's forwarding) gets an SRS sender of this host,
so it passes SPF where it arrives; a bounce to that address goes back to the original sender.
Mail delivered here and mail our own users send keep their sender."""
import smtplib
import subprocess
import time

import pytest
from django.conf import settings

from mailstack.config import paths
from mailstack.daemons import PostSRSd
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack

HOST = settings.MAILSTACK["hostname"]


def test_mail_forwarded_by_an_alias_leaves_with_an_srs_sender_and_the_local_copy_keeps_its_own(
        mail_domain, relay_sink):
    example = mail_domain("example.org")
    example.mailbox("kept")
    example.alias("team", "kept@example.org", "partner@elsewhere.test")
    sent = mail.message("team@example.org")
    mail.send(sent, sender="someone@remote.test")

    forwarded = relay_sink.wait_for(sent["Subject"])
    assert forwarded.rcpt_tos == ["partner@elsewhere.test"]
    assert mail.is_srs_of(forwarded.mail_from, "someone@remote.test"), forwarded.mail_from
    assert b"From: someone@remote.test" in forwarded.original_content, "the message itself is unchanged"
    local = mail.wait_for("kept@example.org", PASSWORD, sent["Subject"])
    assert local["Return-Path"] == "<someone@remote.test>"


def test_mail_our_users_send_keeps_their_sender(mail_domain, relay_sink):
    example = mail_domain("example.org")
    example.mailbox("writer")
    sent = mail.message("friend@elsewhere.test", sender="writer@example.org")
    mail.submit(sent, "writer@example.org", PASSWORD)

    assert relay_sink.wait_for(sent["Subject"]).mail_from == "writer@example.org"


def test_a_bounce_to_the_srs_address_reaches_the_original_sender(mail_domain, relay_sink):
    example = mail_domain("example.org")
    example.alias("onward", "partner@elsewhere.test")
    sent = mail.message("onward@example.org")
    mail.send(sent, sender="origin@remote.test")
    srs_address = relay_sink.wait_for(sent["Subject"]).mail_from

    bounce = mail.message(srs_address, body="Your message could not be delivered.", sender="")
    del bounce["Subject"]
    bounce["Subject"] = f"Undelivered: {sent['Subject']}"
    mail.send(bounce, recipients=[srs_address], sender="")

    returned = relay_sink.wait_for(bounce["Subject"])
    assert returned.rcpt_tos == ["origin@remote.test"] and returned.mail_from == "<>"


@pytest.mark.parametrize("address", [
    f"SRS0=AAAA=AB=remote.test=origin@{HOST}",  # a hash this host did not make
    f"someone@{HOST}",  # the host name receives nothing else
])
def test_addresses_of_the_host_name_that_it_did_not_sign_are_refused(address, relay_sink):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mail.send(mail.message(address), sender="")
    [(code, _)] = refused.value.recipients.values()
    assert code == 550


def test_forwarded_mail_waits_while_postsrsd_is_down_and_leaves_with_an_srs_sender_after(mail_domain, relay_sink):
    example = mail_domain("example.org")
    example.alias("away", "partner@elsewhere.test")
    postsrsd = PostSRSd()
    postsrsd.stop()
    try:
        sent = mail.message("away@example.org")
        mail.send(sent, sender="patient@remote.test")
        time.sleep(3)
        assert relay_sink.with_subject(sent["Subject"]) == [], "not sent on with its own sender"
    finally:
        postsrsd.start()
    subprocess.run(["postqueue", "-c", str(paths().postfix_config), "-f"], check=True)  # no waiting for the retry

    forwarded = relay_sink.wait_for(sent["Subject"])
    assert mail.is_srs_of(forwarded.mail_from, "patient@remote.test")
    assert [envelope for envelope in relay_sink.received if envelope.mail_from == "<>"
            and sent["Message-ID"].encode() in envelope.original_content] == [], "nothing bounced"
