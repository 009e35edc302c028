"""The mail-store worker (`manage.py mailstore work`) runs imports in a thread of their own: while a
large import runs, webhook deliveries (and mail-store jobs) go on; an import left RUNNING by a
worker that stopped is queued again, never one a live worker is carrying out.

Each test runs its own worker (the stack's own is stopped meanwhile), with passwords hashed as
BLF-CRYPT (~0.1 s each) so that an import of a few dozen lines runs for seconds."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from domains import services
from domains.audit import Actor
from domains.models import ImportJob, Mailbox
from domains.transfer import jobs
from mailstack.daemons import MailStoreWorker
from tests.webhooks.conftest import Receiver
from webhooks import services as webhook_services
from webhooks.events import EVENT_TYPES
from webhooks.models import Delivery

ACTOR = Actor.command("tests")
LINES = 80


@pytest.fixture
def worker(transactional_db, tmp_path):
    """Starts `manage.py mailstore work` processes of this test's own; stops them at the end."""
    started = []

    def start(slow=True) -> subprocess.Popen:
        environment = os.environ | {"DJANGO_SETTINGS_MODULE": "mailadmin.test_settings"}
        if slow:
            environment["MAILADMIN_PASSWORD_SCHEME"] = "BLF-CRYPT"
        with open(tmp_path / f"worker-{len(started)}.log", "wb") as log:
            process = subprocess.Popen([sys.executable, Path(settings.BASE_DIR) / "manage.py", "mailstore", "work",
                                        "--interval", "0.2"], env=environment, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    stack_worker = MailStoreWorker()
    stack_worker.stop()
    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    for job in ImportJob.objects.all():
        (jobs.import_folder() / job.stored_as).unlink(missing_ok=True)
    stack_worker.start()


def queued_import() -> ImportJob:
    """An import (its preview confirmed) of LINES mailboxes with plaintext passwords, by a superadmin."""
    root = get_user_model().objects.create_superuser("root", password="x" * 20)
    services.domain_create(actor=ACTOR, name="alpha.example")
    content = "kind,address,password\n" + "".join(f"mailbox,user{line}@alpha.example,a long enough password\n"
                                                  for line in range(LINES))
    job = jobs.import_job_create(actor=Actor.for_user(root), upload=SimpleUploadedFile("many.csv", content.encode()),
                                 file_format="csv")
    ImportJob.objects.filter(pk=job.pk).update(stage=ImportJob.IMPORT)
    return job


def wait_for(condition, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def state(job: ImportJob) -> str:
    return ImportJob.objects.get(pk=job.pk).state


def test_webhooks_are_delivered_while_a_large_import_runs(worker):
    job = queued_import()
    receiver = Receiver()
    try:
        worker()
        wait_for(lambda: state(job) == ImportJob.RUNNING, "the worker took the import")
        webhook_services.subscription_create(actor=ACTOR, url=receiver.url, event_types=EVENT_TYPES)
        services.domain_create(actor=ACTOR, name="beta.example")
        wait_for(lambda: Delivery.objects.filter(state=Delivery.DELIVERED).exists(),
                 "the domain.created event was delivered", 10)
        assert state(job) == ImportJob.RUNNING, "the webhook was delivered only once the import had ended"
        assert receiver.types() == [("domain.created", "beta.example")]
    finally:
        receiver.close()


def test_an_import_left_running_by_a_stopped_worker_is_queued_again_and_a_live_ones_is_not(worker):
    job = queued_import()
    first = worker()
    wait_for(lambda: state(job) == ImportJob.RUNNING, "the worker took the import")
    # Another worker starting now (here: the recovery it does first) leaves a live worker's import alone.
    assert jobs.recover_abandoned_imports() == []
    assert state(job) == ImportJob.RUNNING

    first.send_signal(signal.SIGTERM)  # as systemd stops it
    assert first.wait(timeout=30) == 0
    assert state(job) == ImportJob.RUNNING  # as the panel would show it, for ever, without the recovery
    assert not Mailbox.objects.filter(domain__name="alpha.example").exists(), "the import's transaction rolled back"

    # The next worker (hashing at the test settings' cheap cost) queues it again and carries it out.
    worker(slow=False)
    wait_for(lambda: state(job) == ImportJob.DONE, "the next worker carried out the import left running")
    job.refresh_from_db()
    assert (job.problems, job.lines_done, job.outcome) == ([], LINES, "")
    assert Mailbox.objects.filter(domain__name="alpha.example").count() == LINES
