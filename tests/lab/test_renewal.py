"""The renewal of pebble's certificate on mx (installed with MAILADMIN_TLS=acme by the session
fixture `acme_root`), run as Debian's certbot.timer runs it: `systemctl start certbot.service`,
with the install's drop-in (certbot trusts the lab CA for pebble) and its deploy hook. Mail
queued before the renewal is delivered after it.

To make the renewal due now, certbot's own setting `renew_before_expiry` in the renewal file
of the lineage is set beyond the certificate's lifetime: the unit then runs unchanged.
"""
import hashlib
import re

import pytest

from tests.lab.mail import bounces, client_mail, new_subject, queue, remote_delivery, remote_send
from tests.lab.waiting import wait_until

PORTS = [(443, None), (465, None), (587, "smtp"), (25, "smtp"), (993, None), (995, None)]
STABLE = ["/etc/mailadmin/tls/fullchain.pem", "/etc/mailadmin/tls/privkey.pem"]
LINEAGE = "/etc/letsencrypt/live/mailadmin"
RENEWAL_CONF = "/etc/letsencrypt/renewal/mailadmin.conf"


def digests(host, paths):
    return {path: hashlib.sha256(host.path(path).read_bytes()).hexdigest() for path in paths}


def served(lab, root):
    """{port: the certificate served there (issuer, subject, serial)}, checked against pebble's
    root and the name mx.example.net."""
    return {port: client_mail(lab, "certificate", port=port, ca=str(root), starttls=starttls)
            for port, starttls in PORTS}


def serial_of(host, path):
    done = host.run("openssl", "x509", "-noout", "-serial", "-in", path)
    return done.stdout.strip().removeprefix("serial=").upper()


def mx_bounces(lab):
    """Lines of mx's journal where its Postfix bounced a message."""
    journal = lab.mx.run("journalctl", "--no-pager", "-q").stdout
    return re.findall(r".*status=bounced.*", journal)


def flushed(host):
    host.run("postqueue", "-f")
    return True


def waiting_for_bob(mx_host):
    """Queue IDs of messages to bob@example.com that mx's Postfix deferred."""
    return [message["queue_id"] for message in queue(mx_host)
            for recipient in message["recipients"]
            if recipient["address"] == "bob@example.com" and recipient.get("delay_reason")]


@pytest.fixture(scope="module")
def renewal(mx, acme_root, mailbox):
    """A message to bob waiting in mx's queue (remote's Postfix stopped), then the renewal as the
    timer runs it; remote's Postfix is started again at the end, also when a test fails."""
    before = {"stable": digests(mx.mx, STABLE), "served": served(mx, acme_root), "bounces": bounces(mx),
              "mx_bounces": mx_bounces(mx)}
    subject = new_subject("queued before the renewal")
    mx.remote.run("systemctl", "stop", "postfix")
    try:
        result = client_mail(mx, "submit", port=587, user=mailbox.address, password=mailbox.password,
                             sender=mailbox.address, to="bob@example.com", subject=subject,
                             ca=str(acme_root))
        assert result == {"sent": True}
        # Deferred: remote refuses connections to port 25 while its Postfix is stopped.
        queued = wait_until(lambda: waiting_for_bob(mx.mx), 30, "the message deferred in mx's queue")

        conf = mx.mx.path(RENEWAL_CONF)
        conf.write_text("renew_before_expiry = 36500 days\n" + conf.read_text())
        done = mx.mx.run("systemctl", "start", "certbot.service", timeout=120, check=False)
        unit = mx.mx.run("systemctl", "show", "certbot.service", "-p", "Result,DropInPaths").stdout
        journal = mx.mx.run("journalctl", "-u", "certbot.service", "--no-pager", "-n", "30").stdout
        log = mx.mx.path("/var/log/letsencrypt/letsencrypt.log").read_text()  # this run's (certbot -q)
        yield {"before": before, "subject": subject, "queued": queued, "returncode": done.returncode,
               "unit": unit, "journal": journal, "log": log}
    finally:
        mx.remote.run("systemctl", "start", "postfix")


def test_the_timer_s_unit_renews_through_the_drop_in_and_the_deploy_hook_replaces_the_stable_files(mx, renewal):
    # Debian's timer is what starts the unit on a host, twice a day.
    assert mx.mx.run("systemctl", "is-active", "certbot.timer", check=False).stdout.strip() == "active"
    assert renewal["returncode"] == 0 and "Result=success" in renewal["unit"], renewal["journal"]
    assert "/etc/systemd/system/certbot.service.d/mailadmin.conf" in renewal["unit"]
    assert "Running deploy-hook command: /etc/letsencrypt/renewal-hooks/deploy/mailadmin" in renewal["log"]
    assert "reported error code" not in renewal["log"], renewal["log"][-3000:]
    after = digests(mx.mx, STABLE)
    assert all(after[path] != renewal["before"]["stable"][path] for path in STABLE), "the stable files changed"
    # The hook copied certbot's new lineage (a new key too) to the paths every daemon reads.
    assert digests(mx.mx, [f"{LINEAGE}/fullchain.pem"]).popitem()[1] == after[STABLE[0]]
    assert digests(mx.mx, [f"{LINEAGE}/privkey.pem"]).popitem()[1] == after[STABLE[1]]


def test_every_tls_port_serves_the_renewed_certificate(mx, acme_root, renewal):
    old = {certificate["serial"] for certificate in renewal["before"]["served"].values()}
    new_serial = serial_of(mx.mx, STABLE[0])
    assert len(old) == 1 and new_serial not in old
    now = served(mx, acme_root)
    assert {port: certificate["serial"] for port, certificate in now.items()} == {port: new_serial for port, _ in PORTS}
    for certificate in now.values():
        assert certificate["issuer"].startswith("Pebble Intermediate CA"), certificate


def test_mail_queued_before_the_renewal_reaches_bob_over_tls_and_nothing_bounces(mx, renewal):
    bobs = mx.remote.path("/var/mail/bob")
    mx.remote.run("systemctl", "start", "postfix")
    wait_until(lambda: flushed(mx.mx) and bobs.exists() and renewal["subject"] in bobs.read_text(), 30,
               "the queued message in bob's mailbox at remote")
    message = bobs.read_text().split(f"Subject: {renewal['subject']}")[0].rsplit("\nFrom ", 1)[-1]
    assert "from mx.example.net" in message and "by remote.example.com (Postfix) with ESMTPS" in message
    assert not set(renewal["queued"]) & {message["queue_id"] for message in queue(mx.mx)}
    assert bounces(mx) == renewal["before"]["bounces"] and mx_bounces(mx) == renewal["before"]["mx_bounces"]


def test_mail_from_remote_still_arrives_after_the_renewal(mx, acme_root, mailbox, renewal):
    subject = new_subject("after the renewal")
    message_id = remote_send(mx, mailbox.address, subject)
    sent, tls = wait_until(lambda: flushed(mx.remote) and remote_delivery(mx.remote_log(), message_id),
                           30, "remote's delivery")
    assert tls and tls.startswith("Untrusted TLS connection established to mx.example.net"), tls
    login = {"user": mailbox.address, "password": mailbox.password, "ca": str(acme_root)}
    wait_until(lambda: subject in client_mail(mx, "imap_subjects", **login), 30, "the message over IMAPS")
