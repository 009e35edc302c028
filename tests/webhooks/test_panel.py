"""The superadmins' webhook pages: create (the secret shown once), the list with deliveries and
attempts, disable, delete; domain admins get 404 on every one."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from tests.signin import sign_in_with_second_factor
from tests.webhooks.conftest import ACTOR, deliver
from webhooks import services as webhook_services
from webhooks.models import Subscription
from webhooks.signing import verify


def test_a_superadmin_creates_a_webhook_and_sees_its_deliveries_and_attempts(admin_client, receiver):
    response = admin_client.post("/webhooks/new/", {"url": receiver.url, "event_types": ["domain.created"],
                                                    "description": "billing", "active": "on"})
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.secret in response.content.decode() and subscription.created_by.is_superuser
    assert subscription.secret not in admin_client.get("/webhooks/").content.decode()  # shown once
    receiver.statuses = [502]
    services.domain_create(actor=ACTOR, name="seen.example")
    deliver()
    page = admin_client.get("/webhooks/").content.decode()
    assert receiver.url in page and "domain.created" in page and "seen.example" in page
    assert "HTTP 502" in page and "pending" in page
    assert verify(subscription.secret, receiver.received[0][0]["Mailadmin-Signature"], receiver.received[0][1])


def test_a_url_with_credentials_is_refused_on_the_page_and_nothing_is_created(admin_client):
    response = admin_client.post("/webhooks/new/", {"url": "https://user:secret@billing.example/hook",
                                                    "event_types": ["domain.created"], "active": "on"})
    assert response.status_code == 200 and "must not hold a user name or password" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_superadmin_disables_and_deletes_a_webhook(admin_client, receiver):
    subscription, _secret = webhook_services.subscription_create(actor=ACTOR, url=receiver.url,
                                                                 event_types=["domain.created"])
    assert admin_client.post(f"/webhooks/{subscription.pk}/active/").status_code == 302
    services.domain_create(actor=ACTOR, name="quiet.example")
    deliver()
    assert receiver.received == [] and not Subscription.objects.get().active
    assert admin_client.post(f"/webhooks/{subscription.pk}/delete/").status_code == 302
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_domain_admins_get_404_on_every_webhook_page():
    subscription, _secret = webhook_services.subscription_create(actor=ACTOR, url="https://billing.example/hook",
                                                                 event_types=["domain.created"])
    admin = get_user_model().objects.create_user("dora", password="a long enough password 1")
    admin.domains.add(services.domain_create(actor=ACTOR, name="dora.example"))
    client = sign_in_with_second_factor(Client(), admin)
    for path in ("/webhooks/", "/webhooks/new/", f"/webhooks/{subscription.pk}/delete/"):
        assert client.get(path).status_code == 404, path
    for path in ("/webhooks/new/", f"/webhooks/{subscription.pk}/active/", f"/webhooks/{subscription.pk}/delete/"):
        assert client.post(path, {"url": "https://evil.example/", "event_types": ["domain.created"]}).status_code == 404
    assert list(Subscription.objects.values_list("pk", "active")) == [(subscription.pk, True)]
