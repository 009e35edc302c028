"""With a MariaDB replica configured (MAILADMIN_DB_REPLICAS), mail keeps flowing while the primary
is down: Postfix accepts and Dovecot delivers and logs in through the replica, and the panel,
which writes to the primary only, says it is unavailable.

This runs a second private stack of its own (its own folder and ports, a primary on 127.0.0.1
and a replica on 127.0.0.2), so the suite's stack never reads from a replica."""
import email
import imaplib
import json
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.api.conftest import BLF_HASH

pytestmark = pytest.mark.stack

BASE = settings.PORT_BASE + 300
VAR = Path(settings.BASE_DIR) / "var" / "test-replica"
REPLICA = "127.0.0.2"
PASSWORD = "correct horse battery staple"
ENVIRONMENT = os.environ | {"DJANGO_SETTINGS_MODULE": "mailadmin.test_settings", "MAILADMIN_PORT_BASE": str(BASE),
                            "MAILADMIN_VAR_DIR": str(VAR), "MAILADMIN_DB_REPLICAS": REPLICA,
                            "MAILADMIN_RELAYHOST": ""}


def manage(*arguments, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, Path(settings.BASE_DIR) / "manage.py", *arguments], env=ENVIRONMENT,
                            capture_output=True, text=True, timeout=600)
    assert not check or result.returncode == 0, result.stdout + result.stderr
    return result


def sql(socket: str, statement: str) -> str:
    result = subprocess.run(["mariadb", f"--socket={VAR / 'run' / socket}", "-uroot", "-N", "-B", "mailadmin",
                             "-e", statement], capture_output=True, text=True)
    return result.stdout.strip()


def imap(user: str, password: str) -> imaplib.IMAP4:
    context = ssl.create_default_context(cafile=str(VAR / "tls" / "cert.pem"))
    context.check_hostname = False
    client = imaplib.IMAP4("127.0.0.1", BASE + 143, timeout=30)
    client.starttls(ssl_context=context)
    client.login(user, password)
    return client


def inbox_subjects(user: str) -> list[str]:
    client = imap(user, PASSWORD)
    try:
        client.select("INBOX", readonly=True)
        subjects = []
        for number in client.search(None, "ALL")[1][0].split():
            header = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1]
            subjects.append(str(email.message_from_bytes(header)["Subject"]))
        return subjects
    finally:
        client.logout()


@pytest.fixture(scope="module")
def replicated_stack():
    shutil.rmtree(VAR, ignore_errors=True)
    try:
        manage("mailstack", "up")
        yield
    finally:
        manage("mailstack", "down", check=False)
        shutil.rmtree(VAR, ignore_errors=True)


def test_the_replica_gets_the_per_domain_totals_once_and_trigger_rights_are_explained(replicated_stack, tmp_path):
    records = tmp_path / "totals.json"
    records.write_text(json.dumps({"domains": [{"address": "totals.example"}],
                                   "mailboxes": [{"address": f"{name}@totals.example", "password_hash": BLF_HASH}
                                                 for name in ("ann", "bob")]}))
    manage("import", str(records))
    query = ("SELECT t.mailboxes FROM mailadmin_domain_totals t JOIN virtual_domains d ON d.id = t.domain_id"
             " WHERE d.name = 'totals.example'")
    deadline = time.monotonic() + 30
    while sql("mariadb-replica-1.sock", query) != "2":  # the primary's trigger rows, not counted again
        assert time.monotonic() < deadline, f"the replica's total is {sql('mariadb-replica-1.sock', query)!r}"
        time.sleep(0.5)
    assert sql("mariadb.sock", query) == "2"

    # A primary with a binary log and without log_bin_trust_function_creators: the panel's account
    # (no SUPER) may not create the triggers, and says why before MariaDB refuses.
    sql("mariadb.sock", "SET GLOBAL log_bin_trust_function_creators = 0")
    try:
        attempt = manage("shell", "-c", "from django.db import connection\nfrom domains import totals, triggers\n"
                         "cursor = connection.cursor()\nprint(totals.trigger_blocker(cursor))\n"
                         "try:\n    triggers.create(cursor, totals.TRIGGERS)\nexcept Exception as error:\n"
                         "    print('refused', error.args[0])")
    finally:
        sql("mariadb.sock", "SET GLOBAL log_bin_trust_function_creators = 1")
    assert "log_bin_trust_function_creators = 1" in attempt.stdout
    assert "refused 1419" in attempt.stdout


def test_mail_is_accepted_delivered_and_read_through_the_replica_while_the_primary_is_down(replicated_stack,
                                                                                          tmp_path):
    # Both daemons are configured with both servers.
    assert f"inet:{REPLICA}:" in (VAR / "etc" / "postfix" / "mysql-virtual-mailbox-maps.cf").read_text()
    assert f"host={REPLICA}" in (VAR / "etc" / "dovecot" / "dovecot-sql.conf.ext").read_text()
    records = tmp_path / "mail.json"
    records.write_text(json.dumps({"domains": [{"address": "replica.example"}],
                                   "mailboxes": [{"address": "ann@replica.example", "password": PASSWORD}]}))
    manage("import", str(records))  # written to the primary
    deadline = time.monotonic() + 30
    while sql("mariadb-replica-1.sock", "SELECT email FROM virtual_users WHERE domain_id = (SELECT id FROM"
              " virtual_domains WHERE name = 'replica.example')") != "ann@replica.example":
        assert time.monotonic() < deadline, "the replica did not receive the new mailbox"
        time.sleep(0.5)

    subprocess.run(["mariadb-admin", f"--socket={VAR / 'run' / 'mariadb.sock'}", "-uroot", "shutdown"], check=True)
    assert sql("mariadb.sock", "SELECT 1") == ""  # the primary is really down

    subject = f"replica {uuid.uuid4()}"
    with smtplib.SMTP("127.0.0.1", BASE + 25, timeout=60) as client:
        refused = client.sendmail("someone@remote.test", ["ann@replica.example"],
                                  f"From: someone@remote.test\r\nTo: ann@replica.example\r\nSubject: {subject}\r\n\r\n"
                                  "Hello.\r\n")
    assert refused == {}
    with smtplib.SMTP("127.0.0.1", BASE + 25, timeout=60) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as unknown:
            client.sendmail("someone@remote.test", ["nobody@replica.example"], "Subject: x\r\n\r\nx\r\n")
    assert unknown.value.recipients["nobody@replica.example"][0] == 550

    deadline = time.monotonic() + 60
    while subject not in inbox_subjects("ann@replica.example"):
        assert time.monotonic() < deadline, "the message was not delivered while the primary was down"
        time.sleep(1)
    with pytest.raises(imaplib.IMAP4.error):
        imap("ann@replica.example", "a wrong password")

    # The panel writes to the primary only: it says it is unavailable.
    panel = manage("shell", "-c", "from django.test import Client\n"
                   "response = Client(raise_request_exception=False).post('/login/', "
                   "{'username': 'x', 'password': 'y'}, HTTP_HOST='localhost')\n"
                   "print(response.status_code, 'Temporarily unavailable' in response.content.decode())")
    assert panel.stdout.splitlines()[-1] == "503 True"
