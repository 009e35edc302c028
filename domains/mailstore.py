"""The mail-store worker: carries out MailStoreJobs on the folders below the mail root.

Archive moves a deleted mailbox's (or domain's) folder into the archive and schedules its
purge after the retention period; restore moves an archive back as the home of a mailbox that
has no mail yet; purge removes an archive for good.  Only this worker touches stored mail.
"""
import os
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domains.models import Mailbox, MailStoreJob

ARCHIVE_FOLDER = ".archive"


def mail_root() -> Path:
    return Path(settings.MAILSTACK["vmail_dir"])


def _inside(root: Path, relative: str) -> Path:
    """`relative` below `root`, refusing anything that would leave it."""
    path = (root / relative).resolve()
    if not relative or not path.is_relative_to(root.resolve()) or path == root.resolve():
        raise ValueError(f"{relative!r} is not a folder below the mail root")
    return path


def _archive(job: MailStoreJob, root: Path, now) -> str:
    source = _inside(root, job.path)
    if not source.exists():
        return "nothing was stored"
    job.archive = f"{ARCHIVE_FOLDER}/{now:%Y%m%d-%H%M%S}-{job.pk}-{job.path.replace('/', '_')}"
    target = _inside(root, job.archive)
    target.parent.mkdir(parents=True, exist_ok=True)
    old_folders = _old_folders_beside_new_mailboxes(job, source)
    if old_folders is None:
        source.rename(target)  # same file system: atomic, and ownership stays the mail user's
    else:
        target.mkdir()
        shutil.copystat(source, target)
        owner = source.stat()
        os.chown(target, owner.st_uid, owner.st_gid)
        for folder in old_folders:
            (source / folder).rename(target / folder)
    retention = timedelta(days=settings.MAILADMIN_MAILSTORE_RETENTION_DAYS)
    MailStoreJob.objects.create(action=MailStoreJob.PURGE, domain_id=job.domain_id, domain_name=job.domain_name,
                                address=job.address, path=job.path, archive=job.archive, not_before=now + retention,
                                requested_by="mailstore")
    return f"archived until {now + retention:%Y-%m-%d}"


def _old_folders_beside_new_mailboxes(job: MailStoreJob, source: Path) -> list[str] | None:
    """For the archive of a domain's folder while the domain exists again: the folders in it that
    its new mailboxes do not use (each was given a fresh name by the services, never an old one),
    which are the old mail.  None when no mailbox uses the folder: it is archived whole.  The
    folders are listed before the mailboxes are read, so a mailbox created meanwhile (whose
    fresh folder cannot be in the list) is never taken."""
    if job.address:
        return None
    folders = sorted(entry.name for entry in source.iterdir())
    in_use = {maildir.split("/", 1)[1] for maildir in
              Mailbox.objects.filter(maildir__startswith=f"{job.path}/").values_list("maildir", flat=True)}
    in_use |= {email.split("@", 1)[0] for email in Mailbox.objects.filter(
        domain__name=job.path, maildir="").values_list("email", flat=True)}
    if not in_use:
        return None
    return [folder for folder in folders if folder not in in_use]


def _restore(job: MailStoreJob, root: Path, now) -> str:
    source, target = _inside(root, job.archive), _inside(root, job.path)
    if target.exists():
        raise RuntimeError("the mailbox has received mail since; restore works only into a mailbox without any")
    target.parent.mkdir(parents=True, exist_ok=True)
    source.rename(target)
    MailStoreJob.objects.filter(action=MailStoreJob.PURGE, archive=job.archive, state=MailStoreJob.PENDING).update(
        state=MailStoreJob.DONE, finished=now, outcome="restored instead")
    return "restored"


def _purge(job: MailStoreJob, root: Path, now) -> str:
    archived = _inside(root, job.archive)
    if archived.exists():
        shutil.rmtree(archived)
    return "removed"


HANDLERS = {MailStoreJob.ARCHIVE: _archive, MailStoreJob.RESTORE: _restore, MailStoreJob.PURGE: _purge}


def run_due_jobs(now=None) -> list[MailStoreJob]:
    """Carries out every pending job that is due, oldest first; returns them with their outcome."""
    now = now or timezone.now()
    root, finished = mail_root(), []
    while True:
        with transaction.atomic():
            job = (MailStoreJob.objects.select_for_update(skip_locked=True)
                   .filter(state=MailStoreJob.PENDING, not_before__lte=now).order_by("not_before", "id").first())
            if job is None:
                return finished
            try:
                job.outcome, job.state = HANDLERS[job.action](job, root, now), MailStoreJob.DONE
            except (OSError, RuntimeError, ValueError) as error:
                job.outcome, job.state = str(error)[:255], MailStoreJob.FAILED
            job.finished = now
            job.save()
        finished.append(job)
