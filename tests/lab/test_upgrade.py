"""An upgrade on the installed mx, as an operator makes one: the checkout gets a new revision
and `./mailctl install` runs again, while remote sends a message every second. Only the panel
and the worker restart; nothing is lost or bounced; a further run changes nothing.

The new revision is an empty commit made inside mx: the checkout there lies on mx's overlay, so
the commit never reaches the machine's own checkout (the test checks that too).
"""
import re
import subprocess

from tests.lab.hosts import CHECKOUT
from tests.lab.mail import bounces, client_mail, queue
from tests.lab.steady_mail import SteadySender
from tests.lab.waiting import wait_until

SERVICE_ACTION = re.compile(r"^services: (restarted|reloaded|started|stopped|enabled) (\S+)", re.MULTILINE)
MESSAGES = 40


def head(run):
    return run("git", "-C", str(CHECKOUT), "rev-parse", "HEAD").stdout.strip()


def machine_head():
    return head(lambda *command: subprocess.run(command, capture_output=True, text=True, check=True))


def panel_status(lab):
    return lab.client.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(lab.ca.cert),
                          "https://mx.example.net/login/", check=False).stdout


def flushed_and_received(lab, mailbox, subjects):
    lab.remote.run("postqueue", "-f")
    inbox = client_mail(lab, "imap_subjects", user=mailbox.address, password=mailbox.password)
    return not [subject for subject in subjects if subject not in inbox]


def test_an_upgrade_restarts_only_the_panel_and_the_worker_and_loses_no_mail(mx, mailbox):
    bounced_before = bounces(mx)
    machine_revision = machine_head()
    sender = SteadySender(mx, mailbox.address, "during the upgrade", count=MESSAGES)
    sender.start()
    try:
        wait_until(lambda: len(sender.sent) >= 3, 30, "remote sending")
        mx.mx.run("git", "-c", "user.name=lab", "-c", "user.email=lab@example.net", "-C", str(CHECKOUT),
                  "commit", "--allow-empty", "-q", "-m", "upgrade")
        new_revision = head(mx.mx.run)
        assert new_revision != machine_revision, "mx's checkout has a new revision"
        assert machine_head() == machine_revision, "the machine's own checkout is untouched"

        output = mx.install_mx({})
        assert len(sender.sent) < MESSAGES, "the install ran while remote was still sending"
    finally:
        sent = sender.finish(timeout=MESSAGES * 3)

    actions = SERVICE_ACTION.findall(output)
    assert actions == [("restarted", "mailadmin.service"), ("restarted", "mailadmin-mailstore.service")], output
    assert f"code revision {new_revision}" in output
    assert "configuration: every file is as rendered; nothing written" in output
    wait_until(lambda: panel_status(mx) == "200", 30, "the panel over HTTPS after the upgrade")

    assert len(sent) == MESSAGES
    wait_until(lambda: flushed_and_received(mx, mailbox, sent), 120, f"all {MESSAGES} messages in the mailbox")
    assert bounces(mx) == bounced_before, "nothing bounced"
    assert queue(mx.remote) == [] and queue(mx.mx) == []

    again = mx.install_mx({})
    assert SERVICE_ACTION.findall(again) == [], again
    assert "configuration: every file is as rendered; nothing written" in again
    assert not re.search(r"^(configuration: )?wrote ", again, re.MULTILINE), again
    assert machine_head() == machine_revision
