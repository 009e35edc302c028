"""DKIM signing by the stack's OpenDKIM: what our users submit and what Dovecot sends for them
(auto-replies) leaves signed with their domain's key; mail arriving on port 25 is not signed."""
import json
import subprocess
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


def verified_signatures(content: bytes) -> list[tuple[str, str, bool]]:
    """(algorithm, selector, verifies) of each DKIM-Signature, verified by dkimpy against the published
    keys.  Debian's dkimpy (python3-dkim) with PyNaCl, which Ed25519 needs (and the suite's
    environment lacks), run by the system's Python."""
    records = {f"{key.record_name}.": key.record_value for key in DkimKey.objects.filter(retired=None)}
    script = """
import dkim, json, sys
records, message = json.loads(sys.argv[1]), sys.stdin.buffer.read()
dns = lambda name, timeout=5: records.get(name.decode(), "").encode() or None
checker = dkim.DKIM(message)
tags = [dkim.util.parse_tag_value(value) for name, value in checker.headers if name.lower() == b"dkim-signature"]
print(json.dumps([(t[b"a"].decode(), t[b"s"].decode(), checker.verify(idx=i, dnsfunc=dns))
                  for i, t in enumerate(tags)]))
"""
    done = subprocess.run(["/usr/bin/python3", "-c", script, json.dumps(records)], input=content,
                          capture_output=True, check=True)
    return [tuple(row) for row in json.loads(done.stdout)]


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


def test_a_domains_ed25519_key_adds_a_second_signature_once_activated_and_both_verify(signed, relay_sink):
    rsa = DkimKey.objects.get(domain=signed.domain, signing=True)
    ed25519 = services.dkim_key_create(actor=signed.actor, domain=signed.domain, algorithm="ed25519")
    assert ed25519.record_value.startswith("v=DKIM1; k=ed25519; p=") and len(ed25519.public_key) == 44

    before = submitted(relay_sink)
    services.dkim_key_activate(actor=signed.actor, key=ed25519, force=True)
    after = submitted(relay_sink)

    assert verified_signatures(before) == [("rsa-sha256", rsa.selector, True)]
    assert sorted(verified_signatures(after)) == [("ed25519-sha256", ed25519.selector, True),
                                                  ("rsa-sha256", rsa.selector, True)]


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
