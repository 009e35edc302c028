"""DKIM signing by the stack's OpenDKIM: what our users submit and what Dovecot sends for them
(auto-replies) leaves signed with their domain's key; mail arriving on port 25 is not signed."""
import uuid

import dkim as dkimpy
import pytest

from domains import services
from domains.models import DkimKey
from tests import mail
from tests.conftest import PASSWORD
from tests.selfservice.conftest import managesieve_put_active

pytestmark = pytest.mark.stack


@pytest.fixture
def signed(mail_domain):
    domain = mail_domain("signed.example")
    domain.mailbox("alice")
    return domain


def published(name: bytes, timeout=5):
    """The DNS a verifier would ask: the TXT records of the domain's published keys, from the database."""
    for key in DkimKey.objects.filter(retired=None).select_related("domain"):
        if name.decode().rstrip(".") == key.record_name:
            return key.record_value.encode()
    return None


def signature_selector(content: bytes):
    signature = next(line for line in content.split(b"\r\n\r\n")[0].replace(b"\r\n\t", b" ").split(b"\r\n")
                     if line.lower().startswith(b"dkim-signature:"))
    tags = dict(part.strip().split(b"=", 1) for part in signature.split(b":", 1)[1].split(b";") if b"=" in part)
    return tags[b"d"].decode(), tags[b"s"].decode()


def submitted(relay_sink):
    sent = mail.message("friend@remote.test", sender="alice@signed.example")
    mail.submit(sent, "alice@signed.example", PASSWORD)
    return relay_sink.wait_for(sent["Subject"]).original_content.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")


def test_a_submitted_message_leaves_signed_with_the_domains_key_and_verifies(signed, relay_sink):
    content = submitted(relay_sink)

    key = DkimKey.objects.get(domain=signed.domain, signing=True)
    assert signature_selector(content) == ("signed.example", key.selector)
    assert dkimpy.verify(content, dnsfunc=published)


def test_a_rotations_key_signs_only_once_activated_and_mail_signed_before_still_verifies(signed, relay_sink):
    old = DkimKey.objects.get(domain=signed.domain, signing=True)
    new = services.dkim_key_create(actor=signed.actor, domain=signed.domain)

    before = submitted(relay_sink)
    services.dkim_key_activate(actor=signed.actor, key=new, force=True)
    after = submitted(relay_sink)

    assert signature_selector(before) == ("signed.example", old.selector)
    assert signature_selector(after) == ("signed.example", new.selector)
    assert dkimpy.verify(after, dnsfunc=published) and dkimpy.verify(before, dnsfunc=published)


def test_mail_arriving_on_port_25_is_not_signed(signed):
    sent = mail.message("alice@signed.example", sender="someone@remote.test")
    mail.send(sent)

    delivered = mail.wait_for("alice@signed.example", PASSWORD, sent["Subject"])

    assert "DKIM-Signature" not in delivered


def test_dovecots_auto_reply_leaves_signed(signed, relay_sink):
    subject = f"Away {uuid.uuid4()}"
    managesieve_put_active("alice@signed.example", PASSWORD, "away",
                           f'require "vacation";\nvacation :days 1 :subject "{subject}" "I am away.";\n'.encode())
    mail.send(mail.message("alice@signed.example", sender="someone@remote.test"))

    reply = relay_sink.wait_for(subject).original_content.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")

    assert signature_selector(reply)[0] == "signed.example"
    assert dkimpy.verify(reply, dnsfunc=published)
