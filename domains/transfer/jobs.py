"""Imports started in the panel and carried out by the mail-store worker, so that a file of
100,000 lines never holds a web request.

The panel stores the uploaded file in the import folder and queues an ImportJob; the worker
checks it first (the preview: a dry run whose report lists every problem by line); once the
admin confirms a preview without problems, the worker imports it, all or nothing, with the
uploader's rights as they are then.  Its progress (lines done) is written through a connection
of its own, since the import's transaction shows nothing until it ends.  The file is removed
when the import ends, when its preview found problems, or when it is cancelled or left a day.

While a worker carries out a job it holds a MariaDB lock named after the job (GET_LOCK, on the
connection that runs the import), taken before the job's RUNNING state is committed and given back
after its end is saved.  MariaDB frees it when that connection ends, so a RUNNING job whose lock is
free was left by a worker that stopped or crashed: its import's transaction rolled back, nothing of
it was imported, and it is queued again (recover_abandoned_imports).  A live worker's jobs keep
their lock, so a second worker never takes them.
"""
import time
import uuid
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from domains.audit import Actor
from domains.models import Domain, ImportJob
from domains.scope import Scope
from domains.transfer.formats import FileError, read_file
from domains.transfer.importing import ImportRejected, import_records

KEPT_PROBLEMS = 10_000  # a report longer than that is cut (its length is still told)
PREVIEW_KEPT = timedelta(days=1)  # a checked file waits this long for the admin's confirmation


def import_folder() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def import_job_create(*, actor: Actor, upload, file_format: str) -> ImportJob:
    """Stores the uploaded file and queues its preview."""
    folder = import_folder()
    folder.mkdir(mode=0o2770, exist_ok=True)
    stored_as = f"{uuid.uuid4().hex}.{file_format}"
    with open(folder / stored_as, "xb") as stream:
        for chunk in upload.chunks():
            stream.write(chunk)
    return ImportJob.objects.create(requested_by=actor.user, actor_label=actor.label, source_ip=actor.ip,
                                    file_name=upload.name[:255], file_format=file_format, stored_as=stored_as)


def import_job_confirm(*, job: ImportJob) -> bool:
    """Queues the import of a file whose preview found no problem; False if it is not one."""
    return bool(ImportJob.objects.filter(pk=job.pk, stage=ImportJob.PREVIEW, state=ImportJob.DONE, problems=[])
                .update(stage=ImportJob.IMPORT, state=ImportJob.PENDING, lines_done=0, finished=None))


def import_job_cancel(*, job: ImportJob) -> bool:
    """Drops a file that is waiting (for its preview, or checked and not confirmed)."""
    waiting = ImportJob.objects.filter(pk=job.pk, stage=ImportJob.PREVIEW, state__in=[ImportJob.PENDING,
                                                                                     ImportJob.DONE])
    if not waiting.update(state=ImportJob.CANCELLED, finished=timezone.now()):
        return False
    _remove(job)
    return True


def _lock_name(job_id: int) -> str:
    # Named locks are the server's, not a database's: the name tells which database's job it is
    # (MariaDB takes names of up to 64 characters).
    return f"mailadmin-import:{job_id}:{connection.settings_dict['NAME']}"[:64]


def _take_lock(job_id: int) -> bool:
    """Takes the job's lock on this thread's connection, without waiting; False if someone has it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", [_lock_name(job_id)])
        return cursor.fetchone()[0] == 1


def _give_lock(job_id: int):
    with connection.cursor() as cursor:
        cursor.execute("SELECT RELEASE_LOCK(%s)", [_lock_name(job_id)])


def recover_abandoned_imports() -> list[int]:
    """Queues again the jobs left RUNNING by a worker that no longer runs (their lock is free);
    returns their ids.  Their file is still in the import folder, and the preview or import
    starts again from its first line, with the uploader's rights as they are then."""
    recovered = []
    for job_id in ImportJob.objects.filter(state=ImportJob.RUNNING).values_list("pk", flat=True):
        if not _take_lock(job_id):
            continue  # a live worker is carrying it out
        try:  # the job may have ended since it was read: only a job still RUNNING is queued again
            if ImportJob.objects.filter(pk=job_id, state=ImportJob.RUNNING).update(state=ImportJob.PENDING,
                                                                                   lines_done=0):
                recovered.append(job_id)
        finally:
            _give_lock(job_id)
    return recovered


def _remove(job: ImportJob):
    (import_folder() / job.stored_as).unlink(missing_ok=True)


class _Progress:
    """Writes the lines done to the job's row now and then, through a connection outside the
    import's transaction.  Only a hint: it never waits for a lock (the row is another
    transaction's only while that one has not committed it) nor fails the import."""

    def __init__(self, job: ImportJob, every: float = 1.0):
        self.job, self.every, self.shown, self.done = job, every, 0.0, {}
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, kind: str, done: int, total: int):
        self.done[kind] = done
        now = time.monotonic()
        if self.connection is None or (now - self.shown < self.every and done < total):
            return
        self.shown = now
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SET SESSION innodb_lock_wait_timeout = 0")
                cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET lines_done = %s WHERE id = %s",
                               [sum(self.done.values()), self.job.pk])
        except DatabaseError:
            self.close()

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _domain_names(job: ImportJob) -> list[str] | None:
    """The domains the uploader may import into now (None: any, and new ones)."""
    scope = Scope.of_user(job.requested_by)
    if scope.all_domains:
        return None
    return list(Domain.objects.filter(pk__in=scope.domain_ids).values_list("name", flat=True))


def _run(job: ImportJob):
    user = job.requested_by
    if user is None or not user.is_active:
        job.state, job.outcome = ImportJob.FAILED, _("The admin who uploaded the file no longer exists.")
        return
    try:
        records, problems = read_file(import_folder() / job.stored_as, job.file_format)
    except FileError as error:
        job.state = ImportJob.DONE
        job.problems = [[error.line or 0, str(error)]]
        return
    except (OSError, UnicodeDecodeError) as error:
        job.state, job.outcome = ImportJob.FAILED, str(error)[:255]
        return
    ImportJob.objects.filter(pk=job.pk).update(lines_total=len(records))
    job.lines_total, progress = len(records), _Progress(job)
    try:
        summary = import_records(actor=Actor(label=job.actor_label, user=user, ip=job.source_ip), records=records,
                                 problems=problems, dry_run=job.stage == ImportJob.PREVIEW,
                                 domains=_domain_names(job), progress=progress)
        job.summary, job.problems = asdict(summary), []
    except ImportRejected as rejected:
        job.problems = [[line, message] for line, message in rejected.problems[:KEPT_PROBLEMS]]
        if len(rejected.problems) > KEPT_PROBLEMS:
            job.outcome = _("%(count)d problems; the first %(kept)d are listed.") % {
                "count": len(rejected.problems), "kept": KEPT_PROBLEMS}
    finally:
        progress.close()
    job.state, job.lines_done = ImportJob.DONE, job.lines_total


def run_due_imports() -> list[ImportJob]:
    """Carries out every queued preview and import, oldest first, after queueing again those a
    stopped worker left; drops files left unconfirmed."""
    finished = []
    recover_abandoned_imports()
    for job in ImportJob.objects.filter(stage=ImportJob.PREVIEW, state=ImportJob.DONE,
                                        created__lt=timezone.now() - PREVIEW_KEPT):
        import_job_cancel(job=job)
    while True:
        with transaction.atomic():
            job = (ImportJob.objects.select_for_update(skip_locked=True).filter(state=ImportJob.PENDING)
                   .order_by("created", "id").first())
            if job is None or not _take_lock(job.pk):  # its lock is taken: a recovery is queueing it now
                return finished
            job.state = ImportJob.RUNNING
            job.save(update_fields=["state"])
        try:
            _run(job)
        except Exception as error:  # noqa: BLE001 - recorded, and the worker goes on with the next job
            job.state, job.outcome = ImportJob.FAILED, f"{type(error).__name__}: {error}"[:255]
        job.finished = timezone.now()
        try:
            job.save()
        finally:  # if its end could not be saved, the job is RUNNING with a free lock: it runs again
            _give_lock(job.pk)
        if job.stage == ImportJob.IMPORT or job.state == ImportJob.FAILED or job.problems:
            _remove(job)
        finished.append(job)
