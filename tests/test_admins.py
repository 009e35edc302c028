"""Superadmins manage admin accounts; domain admins cannot reach any of it."""
import pytest
from django.contrib.auth import get_user_model

from domains import services
from domains.audit import Actor
from domains.models import AuditEntry

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def people(admin_user):
    actor = Actor.command("tests")
    alpha = services.domain_create(actor=actor, name="alpha.example")
    beta = services.domain_create(actor=actor, name="beta.example")
    alice = User.objects.create_user("alice", password="alice's long password")
    alice.domains.add(alpha)
    bert = User.objects.create_user("bert", password="bert's long password")
    bert.domains.add(beta)
    return {"alpha": alpha, "beta": beta, "alice": alice, "bert": bert, "root": admin_user}


def accounts_state():
    return sorted((user.username, user.is_superuser, user.is_active, user.password,
                   tuple(sorted(user.domains.values_list("name", flat=True)))) for user in User.objects.all())


def test_domain_admins_cannot_reach_admin_accounts_at_all(client, people):
    client.force_login(people["alice"])
    before = accounts_state()
    for target in (people["root"], people["bert"], people["alice"]):
        for url in (f"/admins/{target.pk}/edit/", f"/admins/{target.pk}/password/", f"/admins/{target.pk}/delete/"):
            assert client.get(url).status_code == 404, url
            body = {"email": "x@y.org", "is_superuser": "on", "is_active": "", "domains": [people["beta"].pk],
                    "password": "a new long password 1", "confirm": "a new long password 1"}
            assert client.post(url, body).status_code == 404, url
    assert client.get("/admins/").status_code == 404
    assert client.post("/admins/new/", {"username": "mallory", "password": "a new long password 1",
                                        "is_superuser": "on"}).status_code == 404
    assert accounts_state() == before
    assert "Admins" not in client.get("/").content.decode()


def test_superadmin_creates_a_domain_admin_for_chosen_domains(admin_client, people):
    response = admin_client.post("/admins/new/", {"username": "carol", "email": "carol@provider.example",
                                                  "password": "carol's long password", "domains": [people["alpha"].pk]})
    assert response.status_code == 302
    carol = User.objects.get(username="carol")
    assert not carol.is_superuser and list(carol.domains.all()) == [people["alpha"]]
    assert carol.check_password("carol's long password")
    assert AuditEntry.objects.filter(action="admin.create", object_repr="carol").exists()
    assert "carol" in admin_client.get("/admins/").content.decode()


def test_weak_or_taken_usernames_and_passwords_are_refused(admin_client, people):
    before = accounts_state()
    for body in ({"username": "dave", "password": "short"}, {"username": "dave", "password": "password1234"},
                 {"username": "alice", "password": "a perfectly long password"},
                 {"username": "<script>", "password": "a perfectly long password"}):
        response = admin_client.post("/admins/new/", body)
        assert response.status_code == 200, body
    assert accounts_state() == before


def test_superadmin_reassigns_domains_and_resets_a_password(admin_client, people):
    alice = people["alice"]
    admin_client.post(f"/admins/{alice.pk}/edit/", {"email": "", "is_active": "on", "domains": [people["beta"].pk]})
    assert list(alice.domains.all()) == [people["beta"]]
    admin_client.post(f"/admins/{alice.pk}/password/", {"password": "alice's brand new password",
                                                       "confirm": "alice's brand new password"})
    alice.refresh_from_db()
    assert alice.check_password("alice's brand new password")


def test_nobody_removes_or_demotes_themselves_or_the_last_superadmin(admin_client, people):
    root = people["root"]
    admin_client.post(f"/admins/{root.pk}/edit/", {"email": "", "is_active": "on"})  # superadmin box unticked
    admin_client.post(f"/admins/{root.pk}/delete/")
    root.refresh_from_db()
    assert root.is_superuser and root.is_active
    page = admin_client.post(f"/admins/{root.pk}/delete/").content.decode()
    assert "cannot delete your own account" in page

    admin_client.post(f"/admins/{people['bert'].pk}/delete/")
    assert not User.objects.filter(username="bert").exists()


@pytest.mark.parametrize("current, message", [(None, "This field is required."), ("", "This field is required."),
                                              ("not my password", "The current password is not correct.")])
def test_an_admin_setting_their_own_password_must_give_the_current_one(admin_client, people, current, message):
    root = people["root"]
    before = User.objects.get(pk=root.pk).password
    body = {"password": "root's brand new password", "confirm": "root's brand new password"}
    if current is not None:
        body["current_password"] = current
    response = admin_client.post(f"/admins/{root.pk}/password/", body)
    assert response.status_code == 200 and message in response.content.decode()
    assert User.objects.get(pk=root.pk).password == before
    assert not AuditEntry.objects.filter(action="admin.set_password").exists()


def test_an_admin_sets_their_own_password_with_the_current_one_and_stays_signed_in(admin_client, people):
    root = people["root"]
    page = admin_client.get(f"/admins/{root.pk}/password/").content.decode()
    assert 'name="current_password"' in page
    assert 'name="current_password"' not in admin_client.get(f"/admins/{people['bert'].pk}/password/").content.decode()
    response = admin_client.post(f"/admins/{root.pk}/password/", {
        "current_password": "password", "password": "root's brand new password",
        "confirm": "root's brand new password"})
    assert response.status_code == 302
    assert User.objects.get(pk=root.pk).check_password("root's brand new password")
    assert admin_client.get("/admins/").status_code == 200


def test_guessing_ones_own_current_password_is_throttled(admin_client, people):
    root = people["root"]
    before = User.objects.get(pk=root.pk).password
    body = {"password": "root's brand new password", "confirm": "root's brand new password"}
    for _ in range(5):
        admin_client.post(f"/admins/{root.pk}/password/", {**body, "current_password": "a wrong guess"})
    response = admin_client.post(f"/admins/{root.pk}/password/", {**body, "current_password": "password"})
    assert response.status_code == 429 and "Too many failed attempts" in response.content.decode()
    assert User.objects.get(pk=root.pk).password == before


def test_a_domain_admin_changes_their_own_password_with_the_current_one(client, people):
    alice = people["alice"]
    client.force_login(alice)
    assert client.get("/").content.decode().count('href="/account/password/"') == 1
    before = User.objects.get(pk=alice.pk).password
    body = {"password": "alice's brand new password", "confirm": "alice's brand new password"}
    refused = client.post("/account/password/", {**body, "current_password": "a wrong guess"})
    assert refused.status_code == 200 and "The current password is not correct." in refused.content.decode()
    assert User.objects.get(pk=alice.pk).password == before
    response = client.post("/account/password/", {**body, "current_password": "alice's long password"})
    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).check_password("alice's brand new password")
    assert client.get("/").status_code == 200  # still signed in
    entry = AuditEntry.objects.get(action="admin.set_password")
    assert entry.actor == alice and entry.object_repr == "alice"
