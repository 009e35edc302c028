"""A suspension through the API is the billing system's: the panel says so, and a domain admin
cannot resume it there; a superadmin or the API can."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains.models import Domain, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def domain_admin(world):
    admin = get_user_model().objects.create_user("dana", password="a long enough password")
    admin.domains.add(world["inside"])
    client = Client()
    client.force_login(admin)
    return client


def edit_mailbox(client, mailbox, active):
    return client.post(f"/mailboxes/{mailbox.pk}/edit/", {
        "display_name": "Box", "quota": "", "spam_threshold": "", **({"active": "on"} if active else {})})


def test_a_domain_admin_cannot_resume_a_mailbox_the_billing_system_suspended(api, world, domain_admin,
                                                                             admin_client):
    assert api("POST", "mailboxes/box@a.example/suspend/", key=world["keys"]["allowed"]).status_code == 200
    box = Mailbox.objects.get(email="box@a.example")
    assert (box.active, box.suspended_by) == (False, "billing")
    page = domain_admin.get(f"/domains/{world['inside'].pk}/").content.decode()
    assert "suspended by the billing system" in page

    response = edit_mailbox(domain_admin, box, active=True)
    assert response.status_code == 200
    assert "suspended by the billing system; only a superadmin" in response.content.decode()
    assert Mailbox.objects.filter(pk=box.pk, active=False, suspended_by="billing", display_name="").exists()

    assert edit_mailbox(admin_client, box, active=True).status_code == 302
    assert Mailbox.objects.filter(pk=box.pk, active=True, suspended_by="").exists()


def test_the_api_resumes_what_it_suspended_and_a_domain_admin_what_they_suspended(api, world, domain_admin):
    key = world["keys"]["allowed"]
    api("POST", "mailboxes/box@a.example/suspend/", key=key)
    response = api("POST", "mailboxes/box@a.example/resume/", key=key)
    assert response.status_code == 200 and response.body["active"] is True

    box = Mailbox.objects.get(email="box@a.example")
    assert edit_mailbox(domain_admin, box, active=False).status_code == 302
    assert Mailbox.objects.filter(pk=box.pk, active=False, suspended_by="admin").exists()
    assert "suspended by the billing system" not in domain_admin.get(f"/domains/{world['inside'].pk}/").content.decode()
    assert edit_mailbox(domain_admin, box, active=True).status_code == 302
    assert Mailbox.objects.filter(pk=box.pk, active=True).exists()


def test_a_domain_the_billing_system_suspended_is_shown_so_and_resumed_only_by_a_superadmin(api, world, domain_admin,
                                                                                          admin_client):
    assert api("POST", "domains/a.example/suspend/", key=world["keys"]["allowed"]).status_code == 200
    inside = world["inside"]
    page = domain_admin.get(f"/domains/{inside.pk}/").content.decode()
    assert "suspended by the billing system" in page
    assert "suspended by the billing system" in domain_admin.get("/").content.decode()

    domain_admin.post(f"/domains/{inside.pk}/edit/", {"description": "", "default_quota": "0", "active": "on"})
    assert Domain.objects.filter(pk=inside.pk, active=False, suspended_by="billing").exists()

    fields = {"description": "", "max_mailboxes": 0, "max_aliases": 0, "default_quota": 0, "max_quota": 0,
              "quota_total": 0, "spam_threshold": "", "active": "on"}
    assert admin_client.post(f"/domains/{inside.pk}/edit/", fields).status_code == 302
    assert Domain.objects.filter(pk=inside.pk, active=True, suspended_by="").exists()
