"""Backups with borg, restored into the test stack: every message (count and content per folder),
every password, alias, API key and audit row comes back; mail delivered while a backup runs is
either in it or arrived after it; prune keeps what the settings say; a restore over data refuses."""
import hashlib
import json
import pwd
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from api.models import ApiKey
from api.services import api_key_create
from domains.audit import Actor
from domains.models import AuditEntry, Domain
from mailstack import backup
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack

FOLDERS = ("INBOX", "Junk", "Archive/2026")


@pytest.fixture
def repository(settings, tmp_path):
    settings.MAILADMIN_BACKUP_REPOSITORY = tmp_path / "borg"
    return settings.MAILADMIN_BACKUP_REPOSITORY


def folder_hashes(user: str) -> dict[str, tuple[int, str]]:
    """Per folder: the number of messages and one hash over their contents (in any order)."""
    client = mail.imap(user, PASSWORD)
    found = {}
    try:
        for folder in FOLDERS:
            assert client.select(f'"{folder}"', readonly=True)[0] == "OK", folder
            numbers = client.search(None, "ALL")[1][0].split()
            digests = sorted(hashlib.sha256(client.fetch(number, "(BODY.PEEK[])")[1][0][1]).hexdigest()
                             for number in numbers)
            found[folder] = (len(digests), hashlib.sha256("".join(digests).encode()).hexdigest())
    finally:
        client.logout()
    return found


def store_mail(user: str, count: int, password: str = PASSWORD) -> None:
    """`count` messages delivered to INBOX over SMTP, and as many put into Junk and a subfolder."""
    for _ in range(count):
        sent = mail.message(user, body="Delivered.")
        mail.send(sent)
        mail.wait_for(user, password, sent["Subject"])
    client = mail.imap(user, password)
    try:
        client.create('"Archive/2026"')
        for folder in ("Junk", "Archive/2026"):
            for number in range(count):
                message = mail.message(user, body=f"Filed into {folder}, number {number}.")
                assert client.append(f'"{folder}"', None, None, message.as_bytes())[0] == "OK"
    finally:
        client.logout()


def destroy_everything():
    """What a lost host looks like to a restore: no rows, no mail folders."""
    Domain.objects.all().delete()
    AuditEntry.objects.all().delete()
    ApiKey.objects.all().delete()
    vmail = Path(settings.MAILSTACK["vmail_dir"])
    for folder in vmail.iterdir():
        shutil.rmtree(folder)


def test_a_restore_brings_back_mail_passwords_aliases_keys_and_the_audit_log(mail_domain, repository, client):
    example = mail_domain("example.org")
    example.mailbox("john")
    example.mailbox("jane", password="another long password")
    example.alias("team", "jane@example.org")
    store_mail("john@example.org", 3)
    store_mail("jane@example.org", 2, "another long password")
    key, plaintext = api_key_create(actor=Actor.command("tests"), name="billing", all_domains=True, domains=[],
                                    read_only=True, allowed_actions=[], expires=None)
    before = {user: folder_hashes(user) for user in ("john@example.org",)}
    jane_before = mail.folder_subjects("jane@example.org", "another long password", "Junk")
    audit = list(AuditEntry.objects.order_by("pk").values_list("action", "object_repr"))
    assert ("api_key.create", str(key)) in audit

    call_command("backup", stdout=open("/dev/null", "w"))
    status = json.loads((Path(settings.VAR_DIR) / "backup-status.json").read_text())
    assert status["ok"] and status["archive"].startswith("mailadmin-") and status["original_size"] > 0
    assert status["error"] is None and datetime.fromisoformat(status["finished"]) > datetime.now(UTC) - timedelta(
        minutes=1)
    assert (status["result"], status["detail"]) == ("ok", status["archive"])  # what the Status page shows

    destroy_everything()
    assert not mail.imap_login_works("john@example.org", PASSWORD)
    assert client.get("/api/v1/domains/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401

    assert backup.restore(log=lambda line: None) == status["archive"]

    assert {user: folder_hashes(user) for user in before} == before
    assert before["john@example.org"]["INBOX"][0] == 3
    assert mail.folder_subjects("jane@example.org", "another long password", "Junk") == jane_before
    assert not mail.imap_login_works("jane@example.org", PASSWORD)  # her own password, not another's
    sent = mail.message("team@example.org")
    mail.send(sent)
    assert mail.wait_for("jane@example.org", "another long password", sent["Subject"])
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "object_repr"))[:len(audit)] == audit
    answer = client.get("/api/v1/domains/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert answer.status_code == 200 and "example.org" in answer.content.decode()
    owner = Path(settings.MAILSTACK["vmail_dir"]) / "example.org" / "john" / "Maildir" / "cur"
    assert owner.stat().st_uid == pwd.getpwnam(settings.MAILSTACK["mail_user"]).pw_uid


def test_mail_delivered_during_a_backup_is_in_it_or_came_after_it(mail_domain, repository):
    mail_domain("example.org").mailbox("busy")
    user = "busy@example.org"
    subjects = [f"during backup {number}" for number in range(30)]

    def sender():
        for subject in subjects:
            mail.send(_titled(user, subject))
            time.sleep(0.05)

    thread = threading.Thread(target=sender)
    thread.start()
    mail.wait_for(user, PASSWORD, subjects[3])
    delivered_before = set(mail.folder_subjects(user, PASSWORD))
    status = backup.backup(log=lambda line: None)
    thread.join(timeout=60)
    for subject in subjects:
        mail.wait_for(user, PASSWORD, subject)  # none lost on the live host either

    destroy_everything()
    backup.restore(status["archive"], log=lambda line: None)

    restored = mail.folder_subjects(user, PASSWORD)
    assert len(restored) == len(set(restored)), "a message is in the backup twice"
    assert set(restored) <= set(subjects)
    assert delivered_before <= set(restored), "a message delivered before the backup started is missing"
    for subject in restored:
        assert mail.fetch(user, PASSWORD, subject).get_content().strip() == f"{subject}, whole."


def _titled(to: str, subject: str):
    message = mail.message(to, body=f"{subject}, whole.")
    message.replace_header("Subject", subject)
    return message


def test_prune_keeps_the_archives_the_settings_say(settings, mail_domain, repository):
    mail_domain("example.org")
    settings.MAILADMIN_BACKUP_KEEP = {"daily": 2, "weekly": 0, "monthly": 0}
    backup.backup(log=lambda line: None)  # makes the repository
    where = backup.layout()
    for days in (3, 2, 1):
        stamp = datetime.now(UTC) - timedelta(days=days)
        backup.borg(where, "create", f"--timestamp={stamp:%Y-%m-%dT%H:%M:%S}",
                    f"{repository}::mailadmin-old-{days}", "secrets.json", cwd=where.root)
    assert len(backup.archives()) == 4

    newest = backup.backup(log=lambda line: None)["archive"]

    assert backup.archives() == ["mailadmin-old-1", newest]


def test_a_restore_over_data_is_refused_without_force_and_changes_nothing(mail_domain, repository):
    example = mail_domain("example.org")
    example.mailbox("john")
    backup.backup(log=lambda line: None)
    mail_domain("later.example")  # made after the backup: a restore would remove it
    sent = mail.message("john@example.org")
    mail.send(sent)
    mail.wait_for("john@example.org", PASSWORD, sent["Subject"])

    with pytest.raises(CommandError, match="already holds data .*1 mailbox.*--force"):
        call_command("restore")

    assert set(Domain.objects.values_list("name", flat=True)) == {"example.org", "later.example"}
    assert mail.fetch("john@example.org", PASSWORD, sent["Subject"]) is not None

    backup.restore(force=True, log=lambda line: None)
    assert set(Domain.objects.values_list("name", flat=True)) == {"example.org"}
    assert mail.fetch("john@example.org", PASSWORD, sent["Subject"]) is None
