"""Refusals beyond the common cases: another domain's alias named under the admin's own domain,
loops through several aliases, foreign redirects after the second factor, quotes and backslashes in
searches, markup in display names, a domain whose role aliases fail halfway."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.models import Alias, AuditEntry, Domain, Mailbox
from tests.api.conftest import BLF_HASH

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")


@pytest.fixture
def world():
    alpha = services.domain_create(actor=ACTOR, name="alpha.example")
    beta = services.domain_create(actor=ACTOR, name="beta.example")
    services.alias_create(actor=ACTOR, domain=beta, source="team@beta.example", destinations=["bob@elsewhere.example"])
    alice = get_user_model().objects.create_user("alice", password="a long enough password")
    alice.domains.add(alpha)
    client = Client()
    client.force_login(alice)
    return {"alpha": alpha, "beta": beta, "client": client}


def aliases():
    return sorted(Alias.objects.values_list("source", "destination"))


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_another_domains_alias_under_the_admins_own_domain_is_404(world, action):
    before = aliases()
    url = f"/domains/{world['alpha'].pk}/aliases/team@beta.example/{action}/"
    assert world["client"].get(url).status_code == 404
    body = {"destinations": "evil@attacker.example", "confirm": "on"}
    assert world["client"].post(url, body).status_code == 404
    assert aliases() == before


def test_a_loop_through_three_aliases_is_refused(world):
    alpha, client = world["alpha"], world["client"]
    services.alias_create(actor=ACTOR, domain=alpha, source="a@alpha.example", destinations=["b@alpha.example"])
    services.alias_create(actor=ACTOR, domain=alpha, source="b@alpha.example", destinations=["c@alpha.example"])
    before = aliases()
    response = client.post(f"/domains/{alpha.pk}/aliases/new/", {"local_part": "c", "destinations": "a@alpha.example"})
    assert response.status_code == 200 and "loop" in response.content.decode()
    response = client.post(f"/domains/{alpha.pk}/aliases/b@alpha.example/edit/",
                           {"destinations": "c@alpha.example\nb@alpha.example"})
    assert response.status_code == 200 and "loop" in response.content.decode()
    assert aliases() == before


def test_the_second_factor_step_redirects_only_to_local_pages(client, django_user_model):
    from tests.test_signin_security import PASSWORD, VERIFY, sign_in, turn_on_two_factor

    django_user_model.objects.create_superuser("root", password=PASSWORD)
    sign_in(client, "root")
    _secret, recovery_codes = turn_on_two_factor(client)
    targets = {"http://evil.example/": "/", "//evil.example/": "/", "/\\evil.example/": "/",
               "/mailboxes/": "/mailboxes/"}
    for (target, expected), code in zip(targets.items(), recovery_codes, strict=False):
        client.post("/logout/")
        sign_in(client, "root")
        response = client.post(f"{VERIFY}?next={target}", {"code": code})
        assert response.status_code == 302 and response["Location"] == expected, target


@pytest.mark.parametrize("typed", ['"', "\\", ";", "\\%", "a\\_", '" OR ""="', "'; DROP TABLE virtual_users; --"])
def test_quotes_backslashes_and_semicolons_in_a_search_match_literally(world, typed):
    services.mailbox_create(actor=ACTOR, domain=world["alpha"], local_part="a_b", password_hash=BLF_HASH)
    for url in ("/mailboxes/", f"/domains/{world['alpha'].pk}/", "/"):
        response = world["client"].get(url, {"q": typed})
        assert response.status_code == 200, url
        assert "a_b@alpha.example" not in response.content.decode(), url
    assert Mailbox.objects.filter(email="a_b@alpha.example").exists()


def test_a_display_name_comes_back_escaped(world):
    xss = "<img src=x onerror=alert(1)>"
    services.mailbox_create(actor=ACTOR, domain=world["alpha"], local_part="ann", password_hash=BLF_HASH,
                            display_name=xss)
    for url in (f"/domains/{world['alpha'].pk}/", "/mailboxes/", "/audit/"):
        page = world["client"].get(url).content.decode()
        assert xss not in page, url
    page = world["client"].get(f"/domains/{world['alpha'].pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_domain_whose_second_role_alias_fails_leaves_nothing_behind(admin_client):
    audit_rows = AuditEntry.objects.count()
    response = admin_client.post("/domains/new/", {
        "name": "half.example", "max_mailboxes": 0, "max_aliases": 1, "default_quota": 0, "max_quota": 0,
        "quota_total": 0, "active": "on", "role_aliases_to": "hostmaster@provider.example"})
    assert response.status_code == 200 and "limit of 1 aliases" in response.content.decode()
    assert not Domain.objects.filter(name="half.example").exists()
    assert not Alias.objects.filter(source__endswith="@half.example").exists()
    assert AuditEntry.objects.count() == audit_rows


def test_a_superadmins_own_mailbox_in_the_admins_domain_gives_no_reach_to_the_superadmin(world, admin_user):
    """The domain admin manages the mailbox root@alpha.example like any other, and the superadmin
    account of the same address stays out of their reach."""
    admin_user.email = "root@alpha.example"
    admin_user.save()
    mailbox = services.mailbox_create(actor=ACTOR, domain=world["alpha"], local_part="root", password_hash=BLF_HASH)
    account = get_user_model().objects.values("password", "is_superuser", "is_active").get(pk=admin_user.pk)
    body = {"password": "a long enough password 2", "confirm": "a long enough password 2", "is_superuser": "",
            "is_active": "", "domains": [world["alpha"].pk], "confirm_name": "root"}
    for action in ("edit", "password", "delete"):
        assert world["client"].post(f"/admins/{admin_user.pk}/{action}/", body).status_code == 404
    assert world["client"].post(f"/mailboxes/{mailbox.pk}/password/", body).status_code == 302
    assert world["client"].post(f"/mailboxes/{mailbox.pk}/delete/", {"confirm": "on"}).status_code == 302
    assert get_user_model().objects.values("password", "is_superuser", "is_active").get(pk=admin_user.pk) == account


def test_a_role_or_another_domain_in_a_posted_form_is_ignored(world):
    alice = get_user_model().objects.get(username="alice")
    world["client"].post(f"/domains/{world['alpha'].pk}/mailboxes/new/", {
        "local_part": "carol", "password": "a long enough password 1", "domain_id": world["beta"].pk,
        "domain": world["beta"].pk, "role": "superadmin", "is_superuser": "on", "is_staff": "on"})
    assert Mailbox.objects.get(email="carol@alpha.example").domain_id == world["alpha"].pk
    assert not Mailbox.objects.filter(domain=world["beta"]).exists()
    alice.refresh_from_db()
    assert (alice.is_superuser, alice.is_staff, list(alice.domains.all())) == (False, False, [world["alpha"]])
