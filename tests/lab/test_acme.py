"""The ACME variant: the same mx installed again with MAILADMIN_TLS=acme takes its certificate
from the lab's ACME server (pebble, http-01 at mx's port 80 through nginx) and serves it on
every TLS port; mail still flows. The install is the session fixture `acme_root` (conftest.py),
which tests/lab/test_renewal.py uses next."""
import pytest

from tests.lab.mail import client_mail, new_subject, remote_delivery, remote_send
from tests.lab.waiting import wait_until

PORTS = [(443, None), (465, None), (587, "smtp"), (25, "smtp"), (993, None), (995, None)]


@pytest.mark.parametrize("port,starttls", PORTS)
def test_every_tls_port_serves_the_certificate_pebble_issued(mx, acme_root, port, starttls):
    # Checked against pebble's root alone and for the name mx.example.net.
    names = client_mail(mx, "certificate", port=port, ca=str(acme_root), starttls=starttls)
    assert names["issuer"].startswith("Pebble Intermediate CA"), names


def test_mail_still_arrives_with_the_acme_certificate(mx, acme_root, mailbox):
    subject = new_subject("acme")
    message_id = remote_send(mx, mailbox.address, subject)
    sent, tls = wait_until(lambda: remote_delivery(mx.remote_log(), message_id), 60, "remote's delivery")
    # Remote does not know pebble's CA: the connection is encrypted, not trusted.
    assert tls and tls.startswith("Untrusted TLS connection established to mx.example.net"), tls
    login = {"user": mailbox.address, "password": mailbox.password, "ca": str(acme_root)}
    wait_until(lambda: subject in client_mail(mx, "imap_subjects", **login), 30, "the message over IMAPS")
