"""Refusals the panel's scope and alias rules must hold beyond the single-hop cases: an alias of
another domain named under the admin's own domain, and loops through several aliases."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.models import Alias

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
