"""Issue 15's lab points 2 and 6 on the installed mx: mail from remote that an owner forwards back
to remote passes SPF there thanks to SRS, and a bounce to the SRS address reaches the original
sender; a full mailbox is refused with 552 at RCPT (remote hears it, mx queues nothing) and its
owner was warned at 80%."""
import re

import pytest

from tests.lab import far_end
from tests.lab.mail import PANEL_USER, client_mail, manage, new_subject, queue, remote_send
from tests.lab.waiting import wait_until

PASSWORD = "lab password of the quota and SRS tests"
QUOTA = 40 * 1024  # bytes


def create(lab, local_part, **fields):
    done = manage(lab, "shell", input=f"""
from domains import services
from domains.audit import Actor
from domains.models import Domain
actor = Actor.command("lab")
domain = Domain.objects.filter(name="example.org").first() or services.domain_create(actor=actor, name="example.org")
services.mailbox_create(actor=actor, domain=domain, local_part={local_part!r}, password={PASSWORD!r}, **{fields!r})
""")
    assert done.returncode == 0, done.stderr
    return f"{local_part}@example.org"


def forward(lab, address, to):
    """The owner's forwarding, set as /me/ sets it (the self-service's service)."""
    done = manage(lab, "shell", input=f"""
from domains.models import Mailbox
from selfservice import services
mailbox = Mailbox.objects.get(email={address!r})
services.own_rules_set(actor=services.owner_actor(mailbox), mailbox=mailbox, forward_to=[{to!r}],
                       forward_keep_copy=True)
""")
    assert done.returncode == 0, done.stderr


def remote_send_sized(lab, to, subject, size):
    """A message of about `size` bytes from bob at remote, through remote's own Postfix."""
    body = ("x" * 75 + "\n") * (size // 76)
    lab.remote.run("/usr/sbin/sendmail", "-f", "bob@example.com", to,
                   input=f"From: bob@example.com\nTo: {to}\nSubject: {subject}\n\n{body}")


def inbox(lab, address):
    return client_mail(lab, "imap_subjects", user=address, password=PASSWORD)


@pytest.fixture(scope="module")
def forwarding_owner(mx):
    address = create(mx, "forwarder")
    forward(mx, address, "bob@example.com")
    return address


def test_mail_an_owner_forwards_back_to_remote_passes_spf_there_with_an_srs_sender(mx, forwarding_owner):
    subject = new_subject("forwarded")
    remote_send(mx, forwarding_owner, subject)

    forwarded = far_end.bob_message(mx, subject)

    assert re.fullmatch(r"<SRS0=[^=]+=[^=]+=example\.com=bob@mx\.example\.net>", forwarded["Return-Path"]), \
        forwarded["Return-Path"]
    assert far_end.verdicts(forwarded)["spf"] == "pass", forwarded["Received-SPF"]
    assert forwarded["From"] == "bob@example.com", "the message itself keeps its author"
    wait_until(lambda: subject in inbox(mx, forwarding_owner), 30, "the owner's copy")


def test_a_bounce_to_the_srs_address_reaches_the_original_sender(mx, forwarding_owner):
    subject = new_subject("to be bounced")
    remote_send(mx, forwarding_owner, subject)
    srs_address = far_end.bob_message(mx, subject)["Return-Path"].strip("<>")

    bounce = new_subject("bounce")
    sent = client_mail(mx, "deliver", sender="", to=srs_address, subject=bounce)

    assert sent == {"sent": True}
    returned = far_end.bob_message(mx, bounce)
    assert returned["Return-Path"] == "<>" or returned["Return-Path"] == "<MAILER-DAEMON>"


def test_a_full_mailbox_is_refused_at_rcpt_nothing_is_queued_and_its_owner_was_warned_at_80_percent(mx):
    address = create(mx, "quotafull", quota=QUOTA)
    first = new_subject("nearly full")
    remote_send_sized(mx, address, first, 34_000)  # about 85%
    wait_until(lambda: first in inbox(mx, address), 30, "the first message in the mailbox")
    wait_until(lambda: "Your mailbox is 80% full" in inbox(mx, address), 30, "the 80% warning")
    second = new_subject("last one")
    remote_send_sized(mx, address, second, 5_000)  # about 98%: still fits (quota_grace)
    wait_until(lambda: second in inbox(mx, address), 30, "the second message in the mailbox")

    refused = new_subject("refused")
    remote_send_sized(mx, address, refused, 2_000)

    line = wait_until(lambda: re.search(rf"to=<{re.escape(address)}>.*status=bounced.*", mx.remote_log()), 60,
                      "remote's bounce of the refused message")
    assert "552 5.2.2" in line.group(0) and "in reply to RCPT TO command" in line.group(0), line.group(0)
    assert not [entry for entry in queue(mx.mx) if any(r["address"] == address for r in entry["recipients"])]
    assert refused not in inbox(mx, address)
    assert inbox(mx, address).count("Your mailbox is 80% full") == 1


def test_the_srs_secret_is_root_s_alone(mx):
    assert mx.mx.run("stat", "-c", "%a %U", "/etc/postsrsd.secret").stdout.split() == ["600", "root"]
    read = mx.mx.run("runuser", "-u", PANEL_USER, "--", "cat", "/etc/postsrsd.secret", check=False)
    assert read.returncode != 0 and "Permission denied" in read.stderr
