"""Mail to and from mx installed by `./mailctl install` (operator-provided certificate files),
as the internet meets it: remote finds us by our MX, client reads and submits over TLS."""
import re

import pytest

from tests.lab.mail import client_mail, new_subject, remote_delivery, remote_send
from tests.lab.waiting import wait_until

PORTS = [465, 587]


def test_remote_delivers_to_our_mailbox_over_starttls_and_the_client_reads_it_over_imaps_and_pop3s(mx, mailbox):
    subject = new_subject("inbound")
    message_id = remote_send(mx, mailbox.address, subject)

    sent, tls = wait_until(lambda: remote_delivery(mx.remote_log(), message_id), 60, "remote's delivery to mx")
    assert "relay=mx.example.net[" in sent and "]:25," in sent and "250 2.0.0 Ok" in sent
    assert tls and tls.startswith("Trusted TLS connection established to mx.example.net["), tls

    login = {"user": mailbox.address, "password": mailbox.password}
    wait_until(lambda: subject in client_mail(mx, "imap_subjects", **login), 30, "the message over IMAPS 993")
    assert subject in client_mail(mx, "pop3_subjects", **login)


@pytest.mark.parametrize("port", PORTS)
def test_the_mailbox_owner_submits_and_remote_receives_it_over_tls(mx, mailbox, port):
    subject = new_subject(f"outbound {port}")
    result = client_mail(mx, "submit", port=port, user=mailbox.address, password=mailbox.password,
                         sender=mailbox.address, to="bob@example.com", subject=subject)
    assert result == {"sent": True}

    bobs = mx.remote.path("/var/mail/bob")
    wait_until(lambda: bobs.exists() and subject in bobs.read_text(), 60, "the message in bob's mailbox at remote")
    message = bobs.read_text().split(f"Subject: {subject}")[0].rsplit("\nFrom ", 1)[-1]
    # Remote's Postfix names the protocol of the hop from mx: ESMTPS is ESMTP over TLS.
    assert "from mx.example.net" in message and "by remote.example.com (Postfix) with ESMTPS" in message


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("sender", ["someone-else@example.org", "bob@example.com"])
def test_a_sender_address_the_login_does_not_own_is_refused(mx, mailbox, port, sender):
    result = client_mail(mx, "submit", port=port, user=mailbox.address, password=mailbox.password,
                         sender=sender, to="bob@example.com", subject=new_subject("forged"))
    assert result["refused"][0] == 553 and "not owned by user" in result["refused"][1], result


def test_auth_before_starttls_on_587_is_refused(mx, mailbox):
    result = client_mail(mx, "auth_without_tls", port=587, user=mailbox.address, password=mailbox.password)
    assert result["starttls_offered"] and not result["auth_offered"]
    assert result["reply"][0] == 530, result


@pytest.mark.parametrize("port", PORTS)
def test_a_wrong_password_is_refused(mx, mailbox, port):
    result = client_mail(mx, "submit", port=port, user=mailbox.address, password="not " + mailbox.password,
                         sender=mailbox.address, to="bob@example.com", subject=new_subject("wrong password"))
    assert result["refused"][0] == 535 and result["at"] == "AUTH", result


def test_the_operators_systemctl_reload_postfix_reaches_the_running_postfix(mx, mailbox):
    """Debian's postfix.service is a wrapper around the instance postfix@- the install starts: it
    must be active too, or `systemctl reload postfix` answers "not active, cannot reload"."""
    master = mx.mx.run("cat", "/var/spool/postfix/pid/master.pid").stdout.strip()

    reloaded = mx.mx.run("systemctl", "reload", "postfix", check=False)

    assert reloaded.returncode == 0, reloaded.stderr
    after = mx.mx.run("cat", "/var/spool/postfix/pid/master.pid").stdout.strip()
    assert master and after == master, "reloaded, not restarted"
    assert "reload" in mx.mx.run("journalctl", "-u", "postfix@-.service", "-n", "5", "--no-pager").stdout.lower()
    subject = new_subject("after the operator's reload")
    remote_send(mx, mailbox.address, subject)
    login = {"user": mailbox.address, "password": mailbox.password}
    wait_until(lambda: subject in client_mail(mx, "imap_subjects", **login), 60, "mail after the reload")


def test_a_returning_imap_login_skips_the_hash_on_the_installed_dovecot(mx, mailbox):
    """The installed Dovecot loads the returning-login passdb (docs/logins.md): the client's second
    login with the same password is answered from it, counted by Dovecot's own stats."""
    def decisions():
        text = mx.mx.run("curl", "-sS", "http://127.0.0.1:9900/metrics").stdout
        return {result: float(value) for result, value in
                re.findall(r'^dovecot_mailadmin_login_cache_total\{result="(\w+)"\} (\S+)$', text, re.MULTILINE)}

    login = {"user": mailbox.address, "password": mailbox.password}
    client_mail(mx, "imap_subjects", **login)
    before = decisions()
    client_mail(mx, "imap_subjects", **login)
    wait_until(lambda: decisions().get("hit", 0) > before.get("hit", 0), 10, "a returning login answered from memory")
    assert decisions().get("stored", 0) >= 1
