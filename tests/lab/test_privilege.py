"""The panel's system user on the installed mx: it cannot read stored mail, the TLS private key
or the daemons' database passwords, and yet a password it changes ends the mailbox's open IMAP
session and counts at once (through its one narrow path to Dovecot)."""
import json

from tests.lab.hosts import MX_KEY
from tests.lab.mail import (
    CLIENT_MAIL,
    as_panel_user,
    client_mail,
    create_mailbox,
    manage,
    new_subject,
    remote_send,
)
from tests.lab.waiting import wait_until

DAEMON_PASSWORDS = ("MAILADMIN_DB_POSTFIX_PASSWORD", "MAILADMIN_DB_DOVECOT_PASSWORD", "MAILADMIN_DB_DKIM_PASSWORD")


def test_the_panel_user_cannot_read_stored_mail_the_tls_key_or_the_daemons_database_passwords(mx, mailbox):
    subject = new_subject("stored")
    remote_send(mx, mailbox.address, subject)
    login = {"user": mailbox.address, "password": mailbox.password}
    wait_until(lambda: subject in client_mail(mx, "imap_subjects", **login), 60, "a stored message")
    stored = mx.mx.run("grep", "-rlF", "-e", subject, "/var/vmail").stdout.split()
    assert stored

    assert as_panel_user(mx, "test", "-r", "/etc/mailadmin/mailadmin.env").returncode == 0, "its own settings"
    for path in (*stored, "/var/vmail", "/etc/mailadmin/tls/privkey.pem", MX_KEY, "/etc/mailadmin/daemons.env"):
        refused = as_panel_user(mx, "cat", path)
        assert refused.returncode != 0 and "Permission denied" in refused.stderr, path

    secrets = dict(line.split("=", 1) for line in mx.mx.run("cat", "/etc/mailadmin/daemons.env").stdout.splitlines()
                   if line.startswith(DAEMON_PASSWORDS))
    assert set(secrets) == set(DAEMON_PASSWORDS)
    for name, secret in secrets.items():
        assert mx.mx.run("grep", "-rlsF", "-e", secret, "/etc/postfix", "/etc/dovecot", "/etc/opendkim").stdout, \
            f"{name} is in use"
        # grep -s: files the user cannot read are skipped (exit status 2 then), found ones listed.
        found = as_panel_user(mx, "grep", "-rlsF", "-e", secret, "/etc", "/var/lib/mailadmin", "/run", "/tmp")
        assert found.returncode in (1, 2) and found.stdout == "", f"{name} readable by the panel user: {found.stdout}"


def test_a_password_the_panel_user_changes_ends_the_open_imap_session_and_counts_at_once(mx):
    address = create_mailbox(mx, "example.org", "dave", "dave's first password")
    session = mx.client.popen("python3", CLIENT_MAIL, "imap_session", json.dumps(
        {"host": "mx.example.net", "user": address, "password": "dave's first password", "ca": str(mx.ca.cert)}))
    try:
        assert json.loads(session.stdout.readline()) == {"logged_in": True}
        changed = manage(mx, "shell", input=f"""
from domains import services
from domains.audit import Actor
from domains.models import Mailbox
services.mailbox_set_password(actor=Actor.command("lab"), mailbox=Mailbox.objects.get(email={address!r}),
                              password="dave's second password")
""")
        assert changed.returncode == 0, changed.stderr
        session.stdin.write("\n")
        session.stdin.flush()
        assert json.loads(session.stdout.readline())["ended"] is True
    finally:
        session.kill()
        session.wait(10)

    old = client_mail(mx, "imap_login", user=address, password="dave's first password")
    assert old["ok"] is False and "AUTHENTICATIONFAILED" in old["reply"]
    assert client_mail(mx, "imap_login", user=address, password="dave's second password") == {"ok": True}


def test_djangos_deployment_check_reports_nothing_on_the_installed_host(mx):
    checked = manage(mx, "check", "--deploy", "--fail-level", "DEBUG")

    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues (0 silenced)." in checked.stdout
