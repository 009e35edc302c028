"""Keys that make narrower keys, and domain admins managed through the API by a key for all domains."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from api.models import ApiKey
from api.services import api_key_revoke
from domains.models import AuditEntry
from tests.api.conftest import ACTOR, make_key

STRONG = "a long enough admin password 7"


@pytest.fixture
def manager(world):
    """A key for a.example that may manage keys, and may only suspend mailboxes besides."""
    key, plaintext = make_key("reseller", domains=[world["inside"]],
                              allowed_actions=["api_key.manage", "mailbox.suspend", "mailbox.update"],
                              expires=timezone.now() + timedelta(days=30))
    return key, plaintext


def test_a_key_makes_a_narrower_key_that_works_within_its_reach(api, world, manager):
    parent, plaintext = manager
    response = api("POST", "api-keys/", {"name": "suspender", "domains": ["a.example"], "read_only": False,
                                         "allowed_actions": ["mailbox.suspend"],
                                         "expires": (parent.expires - timedelta(days=1)).isoformat()}, key=plaintext)
    assert response.status_code == 201, response.body
    child_key = response.body["key"]
    assert response.body["domains"] == ["a.example"] and child_key.startswith("mak_")
    assert ApiKey.objects.get(prefix=response.body["prefix"]).parent == parent
    assert api("POST", "mailboxes/box@a.example/suspend/", key=child_key).status_code == 200
    assert api("DELETE", "mailboxes/box@a.example/", key=child_key).status_code == 403
    assert api("GET", "mailboxes/box@c.example/", key=child_key).status_code == 404
    listed = api("GET", "api-keys/", key=plaintext).body["results"]
    assert [row["prefix"] for row in listed] == [response.body["prefix"]] and "key" not in listed[0]
    assert api("GET", "api-keys/", key=world["keys"]["allowed"]).body["results"] == []
    entry = AuditEntry.objects.filter(action="api_key.create").latest("id")
    assert entry.actor_label == f"api-key:{parent.prefix}:reseller"


@pytest.mark.parametrize("body", [
    {"all_domains": True},
    {"domains": ["a.example"], "allowed_actions": ["mailbox.delete"]},
    {"domains": ["a.example"], "allowed_actions": []},  # every action: more than the parent's
    {"domains": ["a.example"], "allowed_actions": ["mailbox.suspend"], "expires": None},
    {"domains": ["a.example"], "allowed_actions": ["mailbox.suspend"], "expires": "2999-01-01T00:00:00Z"},
])
def test_a_key_never_makes_a_wider_key(api, manager, body):
    keys = ApiKey.objects.count()
    response = api("POST", "api-keys/", {"name": "wider", **body}, key=manager[1])
    assert response.status_code == 422 and response.body["code"] == "wider", response.body
    assert ApiKey.objects.count() == keys


def test_a_key_cannot_make_keys_for_domains_it_does_not_reach_or_without_the_right(api, world, manager):
    narrow = make_key("narrow", domains=[world["inside"]], allowed_actions=["mailbox.suspend"])[1]
    keys = ApiKey.objects.count()
    assert api("POST", "api-keys/", {"name": "x", "domains": ["c.example"], "allowed_actions": ["mailbox.suspend"],
                                     "expires": timezone.now().isoformat()}, key=manager[1]).status_code == 404
    # A key for every action still makes no key: api_key.manage is given only by name.
    assert api("POST", "api-keys/", {"name": "x", "domains": ["a.example"]},
               key=world["keys"]["allowed"]).status_code == 403
    assert api("POST", "api-keys/", {"name": "x", "domains": ["a.example"],
                                     "allowed_actions": ["mailbox.suspend"]}, key=narrow).status_code == 403
    assert ApiKey.objects.count() == keys


def test_revoking_a_key_revokes_the_keys_it_made(api, world, manager):
    parent, plaintext = manager
    body = {"name": "child", "domains": ["a.example"], "allowed_actions": ["mailbox.suspend"],
            "expires": parent.expires.isoformat()}
    child = api("POST", "api-keys/", body, key=plaintext).body
    unrelated = make_key("unrelated", domains=[world["inside"]], allowed_actions=["api_key.manage"])[1]
    assert api("DELETE", f"api-keys/{child['prefix']}/", key=unrelated).status_code == 404
    assert api("GET", f"api-keys/{child['prefix']}/", key=unrelated).status_code == 404
    assert api("GET", "mailboxes/", key=child["key"]).status_code == 200

    api_key_revoke(actor=ACTOR, key=parent)

    assert api("GET", "mailboxes/", key=child["key"]).status_code == 401
    assert ApiKey.objects.get(prefix=child["prefix"]).revoked is not None


def test_a_key_revokes_a_key_it_made(api, manager):
    parent, plaintext = manager
    child = api("POST", "api-keys/", {"name": "child", "domains": ["a.example"], "allowed_actions": ["mailbox.suspend"],
                                      "expires": parent.expires.isoformat()}, key=plaintext).body
    assert api("DELETE", f"api-keys/{parent.prefix}/", key=child["key"]).status_code in (403, 404)
    assert api("DELETE", f"api-keys/{child['prefix']}/", key=plaintext).status_code == 204
    assert api("GET", "mailboxes/", key=child["key"]).status_code == 401
    assert api("GET", "mailboxes/", key=plaintext).status_code == 200


@pytest.fixture
def onboarding(world):
    return make_key("onboarding", all_domains=True, allowed_actions=["admin.manage"])[1]


def test_a_key_for_all_domains_creates_changes_and_removes_a_domain_admin(api, world, onboarding):
    response = api("POST", "admins/", {"username": "customer", "email": "c@a.example", "password": STRONG,
                                       "domains": ["a.example"], "superadmin": True}, key=onboarding)
    assert response.status_code == 201, response.body
    admin = get_user_model().objects.get(username="customer")
    assert not admin.is_superuser and admin.check_password(STRONG)
    assert list(admin.domains.values_list("name", flat=True)) == ["a.example"]
    assert response.body["superadmin"] is False and response.body["domains"] == ["a.example"]

    changed = api("PATCH", "admins/customer/", {"domains": ["a.example", "c.example"], "active": False},
                  key=onboarding)
    assert changed.status_code == 200 and changed.body["domains"] == ["a.example", "c.example"]
    assert not get_user_model().objects.get(username="customer").is_active
    listed = {row["username"] for row in api("GET", "admins/", key=onboarding).body["results"]}
    assert "customer" in listed

    assert api("DELETE", "admins/customer/", key=onboarding).status_code == 204
    assert not get_user_model().objects.filter(username="customer").exists()
    assert AuditEntry.objects.filter(action="admin.delete", actor_label__startswith="api-key:").exists()


def test_admin_accounts_are_out_of_reach_of_keys_for_listed_domains_and_of_superadmins(api, world, onboarding):
    boss = get_user_model().objects.create_superuser("boss", "boss@a.example", STRONG)
    users = get_user_model().objects.count()
    allowed = world["keys"]["allowed"]
    assert api("GET", "admins/", key=allowed).status_code == 403
    assert api("POST", "admins/", {"username": "x", "password": STRONG}, key=allowed).status_code == 403
    assert api("PATCH", "admins/boss/", {"active": False}, key=onboarding).status_code == 403
    assert api("DELETE", "admins/boss/", key=onboarding).status_code == 403
    reader = make_key("reader", all_domains=True, allowed_actions=["mailbox.suspend"])[1]
    assert api("GET", "admins/boss/", key=reader).body["superadmin"] is True
    assert api("POST", "admins/", {"username": "x", "password": STRONG}, key=reader).status_code == 403
    boss.refresh_from_db()
    assert boss.is_active and get_user_model().objects.count() == users


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"username": "weak", "password": "short"}, 422, "password_too_short"),
    ({"username": "bad name", "password": STRONG}, 400, "invalid"),
    ({"username": "x", "password": STRONG, "domains": ["missing.example"]}, 404, ""),
])
def test_bad_admins_are_refused_and_nothing_is_created(api, world, onboarding, body, status, code):
    users = get_user_model().objects.count()
    response = api("POST", "admins/", body, key=onboarding)
    assert response.status_code == status and response.body.get("code", "") == code, response.body
    assert get_user_model().objects.count() == users


def test_a_taken_username_is_409(api, world, onboarding):
    body = {"username": "twice", "password": STRONG}
    assert api("POST", "admins/", body, key=onboarding).status_code == 201
    assert api("POST", "admins/", body, key=onboarding).status_code == 409
