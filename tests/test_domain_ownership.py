"""A domain deleted and created again for another admin is another domain: its new admin sees
neither the old stored mail nor the old audit rows, and restores nothing of them.  Domain admins
do not see superadmins' client addresses."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.mailstore import run_due_jobs
from domains.models import MailStoreJob
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack

SUPERADMIN_IP, OLD_ADMIN_IP = "198.51.100.7", "203.0.113.9"


def domain_admin(name, domain):
    admin = get_user_model().objects.create_user(name, password="a long enough password")
    admin.domains.add(domain)
    client = Client(REMOTE_ADDR=OLD_ADMIN_IP)
    client.force_login(admin)
    return admin, client


def archived_mailbox(domain, actor):
    """ann@<domain> with one message, deleted, and its mail archived by the worker."""
    ann = services.mailbox_create(actor=actor, domain=domain, local_part="ann", password=PASSWORD)
    sent = mail.message(ann.email)
    mail.send(sent)
    mail.wait_for(ann.email, PASSWORD, sent["Subject"])
    job = services.mailbox_delete(actor=actor, mailbox=ann)
    run_due_jobs()
    job.refresh_from_db()
    assert job.archive, job.outcome
    return job


def test_a_domain_created_again_for_another_admin_shows_nothing_of_the_old_one(transactional_db, admin_user,
                                                                             admin_client):
    boss = Actor.for_user(admin_user, ip=SUPERADMIN_IP)
    first = services.domain_create(actor=boss, name="shop.example", description="first owner")
    old_admin, old_client = domain_admin("olga", first)
    old_job = archived_mailbox(first, Actor.for_user(old_admin, ip=OLD_ADMIN_IP))
    assert "ann@shop.example" in old_client.get("/stored-mail/").content.decode()

    services.domain_delete(actor=boss, domain=first)
    second = services.domain_create(actor=boss, name="shop.example", description="second owner")
    _, new_client = domain_admin("nina", second)
    services.mailbox_create(actor=boss, domain=second, local_part="ann", password=PASSWORD)

    stored = new_client.get("/stored-mail/").content.decode()
    assert "ann@shop.example" not in stored and "Nothing has been deleted." in stored
    assert new_client.post(f"/stored-mail/{old_job.pk}/restore/").status_code == 404
    audit = new_client.get("/audit/").content.decode()
    assert "olga" not in audit and "mailbox.delete" not in audit and "first owner" not in audit
    assert "second owner" in audit
    assert not MailStoreJob.objects.filter(action=MailStoreJob.RESTORE).exists()

    # Superadmins still see the old domain's history and stored mail.
    assert "olga" in admin_client.get("/audit/?domain=shop.example").content.decode()
    assert "ann@shop.example" in admin_client.get("/stored-mail/").content.decode()


def test_domain_admins_do_not_see_superadmins_client_addresses(transactional_db, admin_user, admin_client):
    boss = Actor.for_user(admin_user, ip=SUPERADMIN_IP)
    shop = services.domain_create(actor=boss, name="shop.example")
    admin, client = domain_admin("olga", shop)
    services.mailbox_create(actor=Actor.for_user(admin, ip=OLD_ADMIN_IP), domain=shop, local_part="ann",
                            password=PASSWORD)

    page = client.get("/audit/").content.decode()
    assert "domain.create" in page and SUPERADMIN_IP not in page
    assert OLD_ADMIN_IP in page
    assert SUPERADMIN_IP in admin_client.get("/audit/").content.decode()
