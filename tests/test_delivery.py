"""The whole delivery path, for real: Postfix with the SQL maps, SpamAssassin, Dovecot LMTP,
Sieve, IMAP and POP3, against rows written by the panel's services."""
import smtplib
import ssl
import subprocess
import time

import pytest

from domains import services
from domains.audit import Actor
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


def test_mail_to_a_mailbox_lands_in_its_maildir_and_reads_over_imap_and_pop3(mail_domain, settings):
    example = mail_domain("example.org")
    example.mailbox("john")
    sent = mail.message("john@example.org", body="Hello John.")
    mail.send(sent)

    received = mail.wait_for("john@example.org", PASSWORD, sent["Subject"])
    assert received.get_content().strip() == "Hello John."
    maildir = settings.MAILSTACK["vmail_dir"] / "example.org" / "john" / "Maildir"
    assert any(sent["Message-ID"].encode() in path.read_bytes() for path in maildir.glob("*/*") if path.is_file())
    assert any(sent["Subject"].encode() in raw for raw in mail.pop3_messages("john@example.org", PASSWORD))


def test_alias_with_several_destinations_delivers_to_each(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("anna")
    example.mailbox("bert")
    example.alias("team", "anna@example.org", "bert@example.org")
    sent = mail.message("team@example.org")
    mail.send(sent)

    for user in ("anna@example.org", "bert@example.org"):
        assert mail.wait_for(user, PASSWORD, sent["Subject"])["To"] == "team@example.org"


def test_catch_all_takes_unknown_addresses_but_never_a_real_mailbox(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("real")
    example.mailbox("catcher")
    example.alias("", "catcher@example.org")
    to_real = mail.message("real@example.org")
    to_unknown = mail.message("whoever@example.org")
    mail.send(to_real)
    mail.send(to_unknown)

    mail.wait_for("real@example.org", PASSWORD, to_real["Subject"])
    mail.wait_for("catcher@example.org", PASSWORD, to_unknown["Subject"])
    assert mail.fetch("catcher@example.org", PASSWORD, to_real["Subject"]) is None


def refusal(recipient: str) -> tuple[int, bytes]:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mail.send(mail.message(recipient))
    return refused.value.recipients[recipient]


def test_unknown_recipient_is_refused_at_rcpt_time(mail_domain):
    mail_domain("example.org")
    code, text = refusal("nobody@example.org")
    assert code == 550
    assert b"User unknown" in text


def test_suspended_mailbox_and_suspended_domain_are_refused(mail_domain):
    example = mail_domain("example.org")
    mailbox = example.mailbox("paused")
    example.alias("", "paused@example.org")  # a catch-all must not take a suspended mailbox's mail
    services.mailbox_update(actor=example.actor, mailbox=mailbox, active=False)
    assert refusal("paused@example.org")[0] == 550
    assert not mail.imap_login_works("paused@example.org", PASSWORD)

    other = mail_domain("other.example")
    other.mailbox("kim")
    services.domain_update(actor=other.actor, domain=other.domain, active=False)
    assert refusal("kim@other.example")[0] >= 550
    assert not mail.imap_login_works("kim@other.example", PASSWORD)


def test_mailbox_created_by_the_services_logs_in_and_a_new_password_replaces_the_old(mail_domain):
    example = mail_domain("example.org")
    mailbox = example.mailbox("pat")
    assert mail.imap_login_works("pat@example.org", PASSWORD)
    assert not mail.imap_login_works("pat@example.org", "wrong password, surely")

    services.mailbox_set_password(actor=Actor.command("tests"), mailbox=mailbox, password="a fresh passphrase 2026")
    assert not mail.imap_login_works("pat@example.org", PASSWORD)
    assert mail.imap_login_works("pat@example.org", "a fresh passphrase 2026")


def test_authenticated_submission_relays_to_a_remote_host(mail_domain, relay_sink):
    example = mail_domain("example.org")
    example.mailbox("sender")
    sent = mail.message("friend@remote.test", sender="sender@example.org")
    mail.submit(sent, "sender@example.org", PASSWORD)
    relayed = relay_sink.wait_for(sent["Subject"])
    assert relayed.rcpt_tos == ["friend@remote.test"]
    assert relayed.mail_from == "sender@example.org"


def test_unauthenticated_relay_and_a_wrong_password_are_refused(mail_domain, relay_sink):
    example = mail_domain("example.org")
    example.mailbox("sender")
    unauthenticated = mail.message("friend@remote.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mail.send(unauthenticated)
    code, text = refused.value.recipients["friend@remote.test"]
    assert code == 554 and b"Relay access denied" in text

    wrong_password = mail.message("friend@remote.test", sender="sender@example.org")
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        mail.submit(wrong_password, "sender@example.org", "not the password")
    assert refused.value.smtp_code == 535
    assert relay_sink.with_subject(unauthenticated["Subject"]) == []
    assert relay_sink.with_subject(wrong_password["Subject"]) == []


def send_through_dovecots_listener(sent, sender, starttls=False, certificate=None):
    """As a local program other than Dovecot would: to the listener for Dovecot's own mail."""
    with smtplib.SMTP("127.0.0.1", mail.PORTS["dovecot_submission"], timeout=30) as client:
        client.ehlo("client.localhost")
        if starttls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            if certificate:
                context.load_cert_chain(*certificate)
            client.starttls(context=context)
        client.send_message(sent, from_addr=sender, to_addrs=["friend@remote.test"])


@pytest.fixture
def foreign_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=dovecot-submission.localhost", "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("sender", ["", "someone@remote.test"])  # an auto-reply's null sender, a forward's
@pytest.mark.parametrize("how", ["plain", "starttls", "another certificate"])
def test_the_listener_for_dovecots_own_mail_relays_nothing_for_other_local_clients(relay_sink, foreign_certificate,
                                                                                   sender, how):
    sent = mail.message("friend@remote.test")
    certificate = foreign_certificate if how == "another certificate" else None
    code, text = mail.refusal(lambda: send_through_dovecots_listener(sent, sender, how != "plain", certificate))
    assert code >= 500, text
    time.sleep(1)
    assert relay_sink.with_subject(sent["Subject"]) == []
