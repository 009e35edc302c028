"""Adoption on a live server: mx is first set up by hand as an ISPmail server (Bookworm edition,
tests/lab/ispmail.py) holding mail; while remote sends it a message every second, `./mailctl
install` adopts it in place. Afterwards every message is in its mailbox exactly once, nothing
bounced, the old passwords log in over IMAPS, and a second install changes nothing.

The test takes mx before it is installed (the lab boots it afresh if an earlier test installed
it) and leaves a fresh mx for the tests after it.
"""
import re
import threading
import time
import uuid
from collections import Counter

import pytest

from tests.lab import ispmail
from tests.lab.hosts import MX_CERT, MX_KEY
from tests.lab.mail import bounces, client_mail, queue, remote_delivery, remote_send
from tests.lab.waiting import wait_until

MESSAGES = 60  # one a second, while the install runs and after
SENT_BEFORE_INSTALL = 5
RECIPIENTS = ["john@example.org", "jane@example.org", ispmail.BLF_ACCOUNT.address, "info@example.org",
              "anyone@example.net"]


def mailboxes_of(recipient):
    """The mailboxes a message to `recipient` lands in, by the tutorial's rows."""
    if recipient in ispmail.ALIASES:
        return ispmail.ALIASES[recipient]
    if recipient.endswith(ispmail.CATCH_ALL[0]) and recipient not in {a.address for a in ispmail.ACCOUNTS}:
        return [ispmail.CATCH_ALL[1]]
    return [recipient]


class Sender(threading.Thread):
    """Remote sends `count` messages, one a second, round the recipients; `sent` grows as it goes."""

    def __init__(self, lab, tag, count):
        super().__init__(daemon=True)
        self.lab, self.tag, self.count = lab, tag, count
        self.sent, self.error = [], None

    def run(self):
        started = time.monotonic()
        try:
            for number in range(self.count):
                recipient = RECIPIENTS[number % len(RECIPIENTS)]
                subject = f"adoption {self.tag} {number}"
                self.sent.append((recipient, subject, remote_send(self.lab, recipient, subject)))
                time.sleep(max(0.0, started + number + 1 - time.monotonic()))
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error


def inbox(lab, account):
    return Counter(client_mail(lab, "imap_subjects", user=account.address, password=account.password))


def expected(messages):
    """{mailbox address: Counter of subjects} for (recipient, subject) pairs."""
    wanted = {account.address: Counter() for account in ispmail.ACCOUNTS}
    for recipient, subject, *_ in messages:
        for mailbox in mailboxes_of(recipient):
            wanted[mailbox][subject] += 1
    return wanted


def running_daemons(host):
    """{unit: main PID} of the host's running services."""
    units = host.run("systemctl", "list-units", "--type=service", "--state=running", "--no-legend", "--plain").stdout
    names = [line.split()[0] for line in units.splitlines() if line.strip()]
    return {name: host.run("systemctl", "show", "-p", "MainPID", "--value", name).stdout.strip() for name in names}


def delivered(lab, wanted):
    return all(set(wanted[account.address]) <= set(inbox(lab, account)) for account in ispmail.ACCOUNTS)


def flushed(*hosts):
    for host in hosts:
        host.run("postqueue", "-f")
    return True


def lab_tests_after(request):
    items = request.session.items
    last = max(number for number, item in enumerate(items) if item.module is request.module)
    return any("lab" in item.fixturenames for item in items[last + 1:])


@pytest.fixture(scope="module")
def ispmail_mx(request, lab):
    """mx set up by hand as an ISPmail server (a fresh mx for the lab tests after this module)."""
    if lab.install_output is not None:
        lab.renew_mx()
    started = time.monotonic()
    ispmail.set_up(lab.mx, MX_CERT, MX_KEY)
    lab.step(f"mx set up by hand as an ISPmail server in {time.monotonic() - started:.1f} s")
    yield lab
    if lab_tests_after(request):
        lab.renew_mx()


def test_install_adopts_a_live_ispmail_server_without_losing_or_bouncing_mail(ispmail_mx):
    lab, mx = ispmail_mx, ispmail_mx.mx
    tag = uuid.uuid4().hex[:8]
    bounced_before = bounces(lab)
    # The server set up by hand works: remote's mail reaches its mailboxes and an alias.
    stored = [(recipient, f"stored before adoption {tag} {recipient}") for recipient in
              ("john@example.org", "info@example.org", ispmail.BLF_ACCOUNT.address)]
    ids = [remote_send(lab, recipient, subject) for recipient, subject in stored]
    wait_until(lambda: all(remote_delivery(lab.remote_log(), i) for i in ids), 60, "remote's delivery to mx")
    wait_until(lambda: delivered(lab, expected(stored)), 30, "the messages in the ISPmail mailboxes")
    users_before = ispmail.users(mx)

    sender = Sender(lab, tag, MESSAGES)
    sender.start()
    wait_until(lambda: len(sender.sent) >= SENT_BEFORE_INSTALL or sender.error, 30, "remote sending")
    # The install pointed at the tutorial's database and its administration account.
    settings = lab.files_tls_settings() | {"MAILADMIN_DB_NAME": ispmail.DATABASE,
                                           "MAILADMIN_DB_USER": ispmail.ADMIN_USER,
                                           "MAILADMIN_DB_PANEL_PASSWORD": ispmail.ADMIN_PASSWORD}
    output = lab.install_mx(settings)
    sent_during_install = len(sender.sent) - SENT_BEFORE_INSTALL
    sender.join(MESSAGES + 30)
    assert not sender.is_alive() and sender.error is None, sender.error
    print(f"\nadoption: {sent_during_install} messages sent while the install ran; install output:\n{output}")

    # The pre-flight found nothing blocking, migrate adopted the tables in place: every row is the
    # same, with the panel's columns added.
    assert ("pre-flight: Pre-flight of database mailserver (rows: virtual_domains 2, virtual_users 4, "
            "virtual_aliases 5)") in output
    assert "pre-flight: Ready: `manage.py migrate` adopts these tables in place." in output
    assert "Applying domains.0001_initial... OK" in output
    assert ispmail.users(mx) == users_before
    assert ispmail.sql(mx, "SELECT DISTINCT active FROM virtual_users", ispmail.DATABASE) == [["1"]]
    # The adopted domains got their DKIM keys, whose records the domain page shows.
    assert "dkim: a signing key for 2 domain(s) without one" in output
    # The tutorial's configuration was backed up, then replaced by the panel's.
    backup = re.search(r"configuration: the previous files are kept in (\S+)", output).group(1)
    assert "virtual_transport = lmtp:unix:private/dovecot-lmtp" in mx.path(f"{backup}/etc/postfix/main.cf").read_text()
    assert "lmtp:unix:private/dovecot-lmtp" not in mx.run("postconf", "-h", "virtual_transport").stdout

    # Remote's deferrals (if mx was away a moment) are retried now, not minutes later.
    wait_until(lambda: flushed(lab.remote, mx) and not queue(lab.remote) and not queue(mx), 120,
               "remote's and mx's queues empty")
    deferred = re.findall(r".*to=<[^>]*@example\.(?:org|net)>.*status=deferred.*", lab.remote_log())
    print(f"adoption: remote's deferrals to mx: {len(deferred)}\n" + "\n".join(deferred))
    wanted = expected(stored + [(recipient, subject) for recipient, subject, _ in sender.sent])
    wait_until(lambda: delivered(lab, wanted), 60, "every message in its mailbox")
    # Exactly once each, every old password logging in over IMAPS (both hash styles).
    for account in ispmail.ACCOUNTS:
        got = inbox(lab, account)
        assert {s: n for s, n in got.items() if tag in s} == dict(wanted[account.address]), account.address
    assert bounces(lab) == bounced_before

    # A second run right after changes nothing and restarts no daemon.
    daemons = running_daemons(mx)
    again = lab.install_mx({})
    assert "configuration: every file is as rendered; nothing written" in again
    assert "pre-flight:" not in again and "Applying" not in again and "dkim:" not in again
    assert not re.search(r"services: (started|reloaded|restarted|enabled)", again), again
    assert running_daemons(mx) == daemons
