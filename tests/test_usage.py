"""Quota usage as Dovecot counts it: its quota_clone plugin writes mailbox_usage, which the
panel shows; the numbers follow delivery and deletion."""
import subprocess
import time

import pytest

from domains.models import MailboxUsage
from mailstack.config import paths
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


def dovecot_counts(user) -> dict[str, int]:
    """`doveadm quota get`: Dovecot's own figures (STORAGE in KiB, MESSAGE in messages)."""
    result = subprocess.run(["doveadm", "-c", str(paths().dovecot_config / "dovecot.conf"), "-f", "tab", "quota", "get",
                             "-u", user], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    return {row[1]: int(row[2]) for row in rows}  # quota name, type, value, limit, %


def usage_of(user, expected_messages, timeout=15) -> MailboxUsage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        usage = MailboxUsage.objects.filter(username=user).first()
        if usage and usage.messages == expected_messages:
            return usage
        time.sleep(0.2)
    raise AssertionError(f"usage of {user} did not reach {expected_messages} messages: {usage}")


def test_usage_follows_delivery_and_deletion_as_dovecot_counts_it(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("quota", quota=10 * 2**20)
    first, second = mail.message("quota@example.org", body="x" * 50_000), mail.message("quota@example.org")
    mail.send(first)
    mail.send(second)
    mail.wait_for("quota@example.org", PASSWORD, second["Subject"])
    mail.wait_for("quota@example.org", PASSWORD, first["Subject"])

    usage = usage_of("quota@example.org", 2)
    counted = dovecot_counts("quota@example.org")
    assert usage.bytes > 50_000
    assert -(-usage.bytes // 1024) == counted["STORAGE"] and counted["MESSAGE"] == 2  # doveadm rounds KiB up

    client = mail.imap("quota@example.org", PASSWORD)
    client.select("INBOX")
    _, found = client.search(None, "SUBJECT", f'"{first["Subject"]}"')
    client.store(found[0], "+FLAGS", "\\Deleted")
    client.expunge()
    client.logout()
    after = usage_of("quota@example.org", 1)
    assert after.bytes < 10_000
    assert -(-after.bytes // 1024) == dovecot_counts("quota@example.org")["STORAGE"]
