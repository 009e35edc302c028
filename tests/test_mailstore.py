"""Stored mail: the web process never touches mail folders.  Deletes are archived by the
mail-store worker (the stack's own, running beside the tests), kept for the retention period,
restorable, then purged; a rename keeps the mail where it is."""
import smtplib
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from domains import services
from domains.mailstore import mail_root, run_due_jobs
from domains.models import Alias, MailStoreJob
from mailstack.daemons import MailStoreWorker
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


def finished(job: MailStoreJob, timeout=20) -> MailStoreJob:
    """Waits for the stack's worker to carry the job out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state != MailStoreJob.PENDING:
            return job
        time.sleep(0.3)
    raise AssertionError(f"the mail-store worker did not carry out {job}")


def delivered(user, body="Keep this.") -> str:
    sent = mail.message(user, body=body)
    mail.send(sent)
    mail.wait_for(user, PASSWORD, sent["Subject"])
    return sent["Subject"]


def test_a_deleted_mailbox_is_archived_kept_restorable_and_purged_after_retention(mail_domain):
    example = mail_domain("example.org")
    john = example.mailbox("john")
    subject = delivered("john@example.org")
    home = mail_root() / "example.org" / "john"

    job = services.mailbox_delete(actor=example.actor, mailbox=john)
    assert job.state == MailStoreJob.PENDING and job.path == "example.org/john"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail.send(mail.message("john@example.org"))

    job = finished(job)
    assert job.state == MailStoreJob.DONE, job.outcome
    assert not home.exists() and (mail_root() / job.archive / "Maildir").is_dir()
    purge = MailStoreJob.objects.get(action=MailStoreJob.PURGE, archive=job.archive)
    retention = timedelta(days=settings.MAILADMIN_MAILSTORE_RETENTION_DAYS)
    assert abs(purge.not_before - (job.finished + retention)) < timedelta(seconds=5)

    again = example.mailbox("john")  # the mistake is noticed: the mailbox comes back, then its mail
    restore = finished(services.mailbox_restore(actor=example.actor, archived=job, mailbox=again))
    assert restore.state == MailStoreJob.DONE, restore.outcome
    assert mail.fetch("john@example.org", PASSWORD, subject) is not None

    services.mailbox_delete(actor=example.actor, mailbox=again)
    archived = finished(MailStoreJob.objects.filter(action=MailStoreJob.ARCHIVE).latest("id"))
    run_due_jobs(now=timezone.now() + retention + timedelta(minutes=1))
    assert not (mail_root() / archived.archive).exists()


def test_a_renamed_mailbox_keeps_its_mail_and_aliases_follow(mail_domain):
    example = mail_domain("example.org")
    john = example.mailbox("john")
    example.alias("sales", "john@example.org")
    before = delivered("john@example.org")

    services.mailbox_rename(actor=example.actor, mailbox=john, local_part="jack")
    assert mail.fetch("jack@example.org", PASSWORD, before) is not None
    after = delivered("jack@example.org")
    via_alias = mail.message("sales@example.org")
    mail.send(via_alias)
    mail.wait_for("jack@example.org", PASSWORD, via_alias["Subject"])
    assert mail.fetch("jack@example.org", PASSWORD, after) is not None
    assert list(Alias.objects.filter(source="sales@example.org").values_list("destination", flat=True)) == [
        "jack@example.org"]
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail.send(mail.message("john@example.org"))
    assert not mail.imap_login_works("john@example.org", PASSWORD)


def test_an_address_deleted_and_created_again_never_mixes_old_and_new_mail(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("ann")
    old_subject = delivered("ann@example.org", body="old")
    services.mailbox_delete(actor=example.actor, mailbox=example.domain.mailboxes.get(email="ann@example.org"))
    example.mailbox("ann")
    new_subject = delivered("ann@example.org", body="new")
    archive = finished(MailStoreJob.objects.filter(action=MailStoreJob.ARCHIVE, address="ann@example.org").get())
    assert archive.state == MailStoreJob.DONE
    assert mail.fetch("ann@example.org", PASSWORD, old_subject) is None
    assert mail.fetch("ann@example.org", PASSWORD, new_subject) is not None


def test_a_deleted_domain_is_archived_whole(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("a")
    delivered("a@example.org")
    job = finished(services.domain_delete(actor=example.actor, domain=example.domain))
    assert job.state == MailStoreJob.DONE and job.path == "example.org"
    assert not (mail_root() / "example.org").exists()
    assert (mail_root() / job.archive / "a" / "Maildir").is_dir()



def test_a_domain_created_again_before_its_archive_runs_keeps_the_new_mail(mail_domain):
    """The worker may be behind: a domain deleted, created again and receiving mail before the
    archive of its old folder runs.  The new mailboxes get folders of their own, and the archive
    takes only the old mail."""
    example = mail_domain("example.org")
    example.mailbox("a")
    old_subject = delivered("a@example.org", body="old")
    worker = MailStoreWorker()
    worker.stop()  # a worker behind: the stack's own, stopped until the new mail is in
    try:
        job = services.domain_delete(actor=example.actor, domain=example.domain)
        again = mail_domain("example.org")
        again.mailbox("a")
        new_subject = delivered("a@example.org", body="new")
        job.refresh_from_db()
        assert job.state == MailStoreJob.PENDING
    finally:
        worker.start()
    job = finished(job)

    assert job.state == MailStoreJob.DONE
    assert mail.fetch("a@example.org", PASSWORD, new_subject) is not None
    assert mail.fetch("a@example.org", PASSWORD, old_subject) is None
    assert (mail_root() / job.archive / "a" / "Maildir").is_dir(), "the old mail is in the archive"
