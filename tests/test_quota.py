"""Quota at RCPT time: Postfix asks Dovecot's quota-status whether a message fits, so a full
mailbox is refused with 552 while the sender is still connected (nothing is queued to wait for
days); owners are warned by mail at 80% and 95%; IMAP clients read the quota (GETQUOTAROOT)."""
import json
import re
import subprocess

import pytest

from mailstack.config import paths
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack

QUOTA = 100 * 1024  # bytes


def body_of(size: int) -> str:
    """Plain lines of about `size` bytes (short lines: sent as they are, not re-encoded)."""
    return ("x" * 75 + "\n") * (size // 76)


def queued_for(address: str) -> list[dict]:
    listing = subprocess.run(["postqueue", "-c", str(paths().postfix_config), "-j"], capture_output=True,
                             text=True, check=True).stdout
    return [entry for entry in map(json.loads, filter(str.strip, listing.splitlines()))
            if any(recipient["address"] == address for recipient in entry["recipients"])]


def deliver(address: str, size: int, mailbox: str = ""):
    sent = mail.message(address, body=body_of(size))
    mail.send(sent)
    mail.wait_for(mailbox or address, PASSWORD, sent["Subject"])


def warnings_in(address: str, percent: int) -> list[str]:
    return [subject for subject in mail.folder_subjects(address, PASSWORD) if f"{percent}% full" in subject]


def wait_for_warning(address: str, percent: int):
    """Dovecot runs the warning script once the delivery that crossed the threshold is done."""
    return mail.wait_for(address, PASSWORD, f"Your mailbox is {percent}% full", timeout=15)


def test_a_full_mailbox_is_refused_552_at_rcpt_and_nothing_is_queued(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("full", quota=QUOTA)
    deliver("full@example.org", 90_000)
    deliver("full@example.org", 15_000)  # the last message may overfill it, by up to a tenth (quota_grace)

    code, text = mail.refusal(lambda: mail.send(mail.message("full@example.org")))

    assert (code, text[:5]) == (552, b"5.2.2"), text
    mail.wait_until_postfix_idle()
    assert queued_for("full@example.org") == []
    # Our own users, submitting, hear it from their mail client at once too.
    example.mailbox("colleague")
    code, _ = mail.refusal(lambda: mail.submit(mail.message("full@example.org", sender="colleague@example.org"),
                                               "colleague@example.org", PASSWORD))
    assert code == 552


def test_a_message_larger_than_the_space_left_is_refused_and_a_smaller_one_delivers(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("nearly", quota=QUOTA)
    deliver("nearly@example.org", 60_000)

    code, _ = mail.refusal(lambda: mail.send(mail.message("nearly@example.org", body=body_of(60_000))))
    assert code == 552
    small = mail.message("nearly@example.org", body=body_of(10_000))
    mail.send(small)
    mail.wait_for("nearly@example.org", PASSWORD, small["Subject"])


def test_mail_for_a_mailbox_without_quota_and_for_an_alias_is_not_held_up(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("unlimited")
    example.alias("team", "unlimited@example.org")
    deliver("unlimited@example.org", 200_000)
    deliver("team@example.org", 1_000, mailbox="unlimited@example.org")


def test_mail_to_an_alias_of_a_full_mailbox_bounces_at_once_with_5_2_2_and_its_other_mailbox_gets_it(
        mail_domain, relay_sink):
    example = mail_domain("example.org")
    example.mailbox("brim", quota=QUOTA)
    example.mailbox("roomy")
    example.alias("desk", "brim@example.org", "roomy@example.org")
    deliver("brim@example.org", 90_000)
    deliver("brim@example.org", 15_000)
    sent = mail.message("desk@example.org")  # from someone@remote.test

    mail.send(sent)  # accepted: the policy check at RCPT sees the alias, not its mailboxes

    bounce = relay_sink.wait_for(sent["Subject"], timeout=20)
    assert bounce.rcpt_tos == ["someone@remote.test"] and bounce.mail_from == "<>"  # a bounce
    assert re.search(rb"Status: 5\.2\.2\s.*brim@example\.org|brim@example\.org.*5\.2\.2", bounce.original_content,
                     re.S), bounce.original_content[:2000]
    mail.wait_for("roomy@example.org", PASSWORD, sent["Subject"])
    mail.wait_until_postfix_idle()
    assert queued_for("brim@example.org") == []  # not held in the queue for days


def test_the_owner_is_warned_once_at_80_percent_and_once_at_95(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("warned", quota=QUOTA)
    deliver("warned@example.org", 30_000)
    assert warnings_in("warned@example.org", 80) == []

    deliver("warned@example.org", 55_000)  # about 85%
    warning = wait_for_warning("warned@example.org", 80)
    assert warning["To"] == "warned@example.org" and warning["Auto-Submitted"] == "auto-generated"
    assert "your mailbox warned@example.org is 80% full" in warning.get_content()

    deliver("warned@example.org", 5_000)  # about 90%: no second warning
    deliver("warned@example.org", 6_000)  # about 97%
    wait_for_warning("warned@example.org", 95)
    assert len(warnings_in("warned@example.org", 95)) == 1
    assert len(warnings_in("warned@example.org", 80)) == 1


def test_the_warning_speaks_the_owners_language(mail_domain):
    from selfservice.models import MailboxRules

    example = mail_domain("example.org")
    owner = example.mailbox("gewarnt", quota=QUOTA)
    MailboxRules.objects.create(mailbox=owner, language="de")  # chosen in the language menu
    deliver("gewarnt@example.org", 85_000)
    warning = mail.wait_for("gewarnt@example.org", PASSWORD, "Ihr Postfach ist zu 80 % voll", timeout=15)
    assert "Ihr Postfach gewarnt@example.org ist zu 80 % voll." in warning.get_content()


def test_imap_clients_read_the_quota_and_its_usage(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("imapquota", quota=QUOTA)
    deliver("imapquota@example.org", 20_000)

    client = mail.imap("imapquota@example.org", PASSWORD)
    try:
        _, capabilities = client.capability()  # after login
        assert b"QUOTA" in b" ".join(capabilities).split()
        status, ([root], [quota]) = client.getquotaroot("INBOX")
    finally:
        client.logout()
    assert status == "OK"
    assert root == b'INBOX "User quota"'
    name, resource, used, limit = re.fullmatch(r'"(.+)" \((\w+) (\d+) (\d+)\)', quota.decode()).groups()
    assert (name, resource, int(limit)) == ("User quota", "STORAGE", QUOTA // 1024)  # KiB
    assert 20 <= int(used) < 30
