"""Faults on the installed mx: mail waits while MariaDB or Dovecot is down, and after every
service of mx is restarted at once; nothing is lost, nothing bounced.

Remote's Postfix would retry deferred mail after minutes; the tests flush its queue (and mx's)
every few seconds instead. Postfix's MySQL client reconnects 60 s after it lost the database,
so mail after a database outage can wait up to that long.
"""
from tests.lab.mail import (
    bounces,
    client_mail,
    new_subject,
    queue,
    queue_id,
    remote_deferral,
    remote_delivery,
    remote_send,
)
from tests.lab.waiting import wait_until

MX_SERVICES = ["mariadb", "postfix", "dovecot", "spamd", "nginx", "mailadmin", "mailadmin-mailstore"]


def flushed(*hosts):
    for host in hosts:
        host.run("postqueue", "-f")
    return True


def received(lab, mailbox, *subjects):
    inbox = client_mail(lab, "imap_subjects", user=mailbox.address, password=mailbox.password)
    return all(subject in inbox for subject in subjects)


def test_while_mariadb_is_down_remote_gets_451_and_keeps_the_message_until_it_is_back(mx, mailbox):
    before = bounces(mx)
    subject = new_subject("during the database outage")
    mx.mx.run("systemctl", "stop", "mariadb")
    try:
        message_id = remote_send(mx, mailbox.address, subject)
        deferred = wait_until(lambda: remote_deferral(mx.remote_log(), message_id), 60, "remote's deferral")
        assert "said: 451 4." in deferred, deferred
        waiting = [entry["queue_id"] for entry in queue(mx.remote)]
        assert queue_id(mx.remote_log(), message_id) in waiting, "the message waits in remote's queue"
    finally:
        mx.mx.run("systemctl", "start", "mariadb")

    wait_until(lambda: flushed(mx.remote) and remote_delivery(mx.remote_log(), message_id), 150,
               "remote's delivery once MariaDB is back")
    wait_until(lambda: received(mx, mailbox, subject), 30, "the message in the mailbox")
    assert bounces(mx) == before


def test_while_dovecot_is_down_mx_keeps_the_message_until_it_is_back(mx, mailbox):
    before = bounces(mx)
    subject = new_subject("during the Dovecot outage")
    mx.mx.run("systemctl", "stop", "dovecot")
    try:
        message_id = remote_send(mx, mailbox.address, subject)
        # Postfix's MySQL client on mx may still answer 451 for a minute after the last test's outage.
        wait_until(lambda: flushed(mx.remote) and remote_delivery(mx.remote_log(), message_id), 90,
                   "remote's delivery to mx")
        waiting = wait_until(lambda: [r for m in queue(mx.mx) for r in m["recipients"] if r.get("delay_reason")],
                             30, "the message deferred in mx's queue")
        assert [r["address"] for r in waiting] == [mailbox.address]
    finally:
        mx.mx.run("systemctl", "start", "dovecot")

    wait_until(lambda: flushed(mx.mx) and received(mx, mailbox, subject), 120, "the message once Dovecot is back")
    assert queue(mx.mx) == []
    assert bounces(mx) == before


def test_every_service_of_mx_restarted_at_once_loses_and_bounces_nothing(mx, mailbox):
    before = bounces(mx)
    subjects = [new_subject(f"queued before the restart {n}") for n in range(3)]
    mx.mx.run("systemctl", "stop", "dovecot")  # so that the messages wait in mx's queue
    try:
        sent = [remote_send(mx, mailbox.address, subject) for subject in subjects]
        wait_until(lambda: flushed(mx.remote) and all(remote_delivery(mx.remote_log(), m) for m in sent), 90,
                   "the messages handed to mx")
        assert queue(mx.mx), "they wait in mx's queue"
        mx.mx.run("systemctl", "restart", *MX_SERVICES, timeout=120)
    finally:
        mx.mx.run("systemctl", "start", *MX_SERVICES, timeout=120)
    wait_until(lambda: mx.mx.run("systemctl", "is-active", *MX_SERVICES, check=False).stdout.split()
               == ["active"] * len(MX_SERVICES), 60, "every service of mx active again")

    wait_until(lambda: flushed(mx.mx) and received(mx, mailbox, *subjects), 150, "every queued message delivered")
    assert queue(mx.mx) == []
    assert bounces(mx) == before
    panel = mx.client.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(mx.ca.cert),
                          "https://mx.example.net/login/", check=False)
    assert panel.stdout == "200", f"the panel after the restart: {panel.stdout} {panel.stderr}"
