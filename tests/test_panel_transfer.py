"""Import and export in the panel, beside the browser test (tests/browser/test_transfer.py): who
may follow and export what, the worker's progress seen from outside the import's transaction,
rights read again when the import runs, and files left unconfirmed dropped."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from domains import services
from domains.audit import Actor
from domains.models import ImportJob, Mailbox
from domains.transfer import jobs

ACTOR = Actor.command("tests")
GOOD = b"kind,address,password\nmailbox,ann@alpha.example,a long enough password\n"


@pytest.fixture
def world(db):
    alpha = services.domain_create(actor=ACTOR, name="alpha.example")
    beta = services.domain_create(actor=ACTOR, name="beta.example")
    users = get_user_model().objects
    alice, bert = users.create_user("alice", password="x" * 20), users.create_user("bert", password="x" * 20)
    alice.domains.add(alpha)
    bert.domains.add(beta)
    clients = {}
    for user in (alice, bert):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    return {"alpha": alpha, "beta": beta, "alice": alice, "bert": bert, "clients": clients}


def uploaded(user, content=GOOD) -> ImportJob:
    return jobs.import_job_create(actor=Actor.for_user(user), upload=SimpleUploadedFile("mail.csv", content),
                                  file_format="csv")


def test_an_admin_follows_only_their_own_files_and_exports_only_their_domains(world):
    job = uploaded(world["alice"])
    alice, bert = world["clients"]["alice"], world["clients"]["bert"]
    assert "Waiting for the worker" in alice.get(f"/transfer/imports/{job.pk}/").content.decode()
    assert bert.get(f"/transfer/imports/{job.pk}/").status_code == 404
    assert bert.post(f"/transfer/imports/{job.pk}/cancel/").status_code == 404
    assert alice.get("/transfer/", {"domain": world["alpha"].pk}).status_code == 200
    assert bert.get("/transfer/export/", {"domain": world["alpha"].pk, "file_format": "csv"}).status_code == 404
    export = bert.get("/transfer/export/", {"domain": world["beta"].pk, "file_format": "json"})
    assert export.status_code == 200 and export["Content-Disposition"] == 'attachment; filename="beta.example.json"'
    (jobs.import_folder() / job.stored_as).unlink()


def test_a_file_of_another_kind_is_refused_at_upload(world):
    response = world["clients"]["alice"].post("/transfer/", {"file": SimpleUploadedFile("mail.txt", GOOD)})
    assert "Upload a file whose name ends in .csv or .json." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_import_runs_with_the_rights_its_admin_has_then(world):
    job = uploaded(world["alice"])
    jobs.run_due_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.DONE and job.problems == [] and job.summary["mailboxes"] == 1
    world["alice"].domains.remove(world["alpha"])  # between the preview and the confirmation
    assert jobs.import_job_confirm(job=job)
    jobs.run_due_imports()
    job.refresh_from_db()
    assert job.problems == [[2, "alpha.example is not one of your domains."]] and not Mailbox.objects.exists()
    assert not (jobs.import_folder() / job.stored_as).exists()


def test_a_checked_file_left_unconfirmed_for_a_day_is_dropped(world):
    job = uploaded(world["alice"])
    jobs.run_due_imports()
    assert (jobs.import_folder() / job.stored_as).exists()
    ImportJob.objects.filter(pk=job.pk).update(created=timezone.now() - timedelta(days=1, minutes=1))
    jobs.run_due_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.CANCELLED and not (jobs.import_folder() / job.stored_as).exists()
    assert not jobs.import_job_confirm(job=job)


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_while_the_import_transaction_is_open():
    user = get_user_model().objects.create_superuser("root", password="x" * 20)
    job = uploaded(user)
    progress = jobs._Progress(job, every=0)
    try:
        progress("domains", 3, 3)
        progress("mailboxes", 5, 10)
    finally:
        progress.close()
    assert ImportJob.objects.get(pk=job.pk).lines_done == 8
    (jobs.import_folder() / job.stored_as).unlink()
