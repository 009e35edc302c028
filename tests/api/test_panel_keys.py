"""The panel's API key pages: superadmins list, create (the key shown once) and revoke; to
anyone else the pages do not exist; the plaintext never appears again, nor in the audit log."""
import json
import re

import pytest
from django.test import Client

from api.models import ApiKey
from domains.models import AuditEntry
from tests.api.conftest import make_key
from tests.signin import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def domain_admin(django_user_model, world):
    admin = django_user_model.objects.create_user("alice", password="a long enough password 1")
    admin.domains.add(world["inside"])
    return admin


def create(client, **fields):
    data = {"name": "billing system", "domains": ["a.example"], "allowed_actions": [], **fields}
    return client.post("/api-keys/new/", data)


def shown_key(response) -> str:
    return re.search(r'<code id="api-key">([^<]+)</code>', response.content.decode()).group(1)


def test_a_superadmin_creates_a_key_that_is_shown_once_and_works(admin_client, admin_user, world, api):
    response = create(admin_client, read_only="on", allowed_actions=["mailbox.suspend"], expires_days="30")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plaintext = shown_key(response)
    key = ApiKey.objects.get(name="billing system")
    assert plaintext.startswith(f"mak_{key.prefix}_")
    assert key.read_only and key.allowed_actions == ["mailbox.suspend"] and key.expires is not None
    assert list(key.domains.all()) == [world["inside"]]
    assert api("GET", "domains/", key=plaintext).body["results"][0]["name"] == "a.example"

    listing = admin_client.get("/api-keys/").content.decode()
    assert f"mak_{key.prefix}" in listing and "billing system" in listing and "read-only" in listing
    assert "mailbox.suspend" in listing and "a.example" in listing
    secret = plaintext.removeprefix(f"mak_{key.prefix}_")  # the secret itself may contain "_"
    assert secret not in listing
    audit = AuditEntry.objects.get(action="api_key.create", actor=admin_user)
    assert audit.after["prefix"] == key.prefix
    assert secret not in json.dumps([audit.before, audit.after, audit.object_repr])
    audit_page = admin_client.get("/audit/")
    assert audit_page.status_code == 200 and "api_key.create" in audit_page.content.decode()
    assert secret not in audit_page.content.decode()


def test_a_key_for_all_domains_or_listed_ones_never_both(admin_client, world):
    response = create(admin_client, all_domains="on")
    assert response.status_code == 200 and "exactly one of the two" in response.content.decode()
    assert create(admin_client, domains=[]).status_code == 200
    assert not ApiKey.objects.filter(name="billing system").exists()
    response = create(admin_client, all_domains="on", domains=[])
    assert ApiKey.objects.get(name="billing system").all_domains
    assert shown_key(response)


def test_a_superadmin_revokes_a_key_after_confirming(admin_client, world, api):
    key, plaintext = make_key("to revoke", domains=[world["inside"]])
    confirm = admin_client.get(f"/api-keys/{key.pk}/revoke/")
    assert confirm.status_code == 200 and "Revoke" in confirm.content.decode()
    assert ApiKey.objects.get(pk=key.pk).revoked is None
    assert admin_client.post(f"/api-keys/{key.pk}/revoke/").status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked is not None
    assert api("GET", "domains/", key=plaintext).status_code == 401
    assert "revoked" in admin_client.get("/api-keys/").content.decode()
    assert AuditEntry.objects.filter(action="api_key.revoke").exists()


def test_domain_admins_get_404_on_every_page_and_change_nothing(client, domain_admin, world):
    key, _ = make_key("existing", domains=[world["inside"]])
    sign_in_with_second_factor(client, domain_admin)
    keys_before = list(ApiKey.objects.order_by("pk").values())
    for method, path in [("get", "/api-keys/"), ("get", "/api-keys/new/"), ("post", "/api-keys/new/"),
                         ("get", f"/api-keys/{key.pk}/revoke/"), ("post", f"/api-keys/{key.pk}/revoke/")]:
        data = {"name": "sneaky", "all_domains": "on"} if path.endswith("new/") else {}
        assert getattr(client, method)(path, data).status_code == 404, path
    assert list(ApiKey.objects.order_by("pk").values()) == keys_before
    assert "API keys" not in client.get("/").content.decode()


def test_posts_need_the_csrf_token(admin_user, world):
    key, _ = make_key("existing", domains=[world["inside"]])
    client = sign_in_with_second_factor(Client(enforce_csrf_checks=True), admin_user)
    assert create(client).status_code == 403
    assert client.post(f"/api-keys/{key.pk}/revoke/").status_code == 403
    assert not ApiKey.objects.filter(name="billing system").exists()
    assert ApiKey.objects.get(pk=key.pk).revoked is None
