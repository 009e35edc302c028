"""One visibility rule: a domain admin in the panel and an API key for the same domains reach
the same rows, filtered the same way."""
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.scope import Scope
from tests.api.conftest import BLF_HASH, make_key

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")


@pytest.fixture
def world():
    alpha = services.domain_create(actor=ACTOR, name="alpha.example")
    beta = services.domain_create(actor=ACTOR, name="beta.example")
    for domain in (alpha, beta):
        for local_part in ("sales", "salesx", "support", "info"):
            services.mailbox_create(actor=ACTOR, domain=domain, local_part=local_part, password_hash=BLF_HASH)
    alice = get_user_model().objects.create_user("alice", password="a long enough password")
    alice.domains.add(alpha)
    key, plaintext = make_key("alpha billing", domains=[alpha], read_only=True)
    return {"alpha": alpha, "alice": alice, "key": key, "plaintext": plaintext}


def test_a_domain_admin_and_a_key_for_the_same_domains_have_the_same_scope(world):
    panel, api = Scope.of_user(world["alice"]), Scope.of_key(world["key"])
    assert panel.domain_ids == api.domain_ids == (world["alpha"].pk,)
    assert (panel.read_only, api.read_only) == (False, True)


@pytest.mark.parametrize("prefix", ["sa", " SALES ", "s"])
def test_the_panel_and_the_api_list_the_same_mailboxes_for_a_prefix(world, prefix):
    client = Client()
    client.force_login(world["alice"])
    page = client.get("/mailboxes/", {"q": prefix}).content.decode()
    in_panel = re.findall(r"<td>(?:<label[^>]*>)?([^<@\s]+@[^<\s]+)(?:</label>)?</td>", page)
    response = Client().get("/api/v1/mailboxes/", {"prefix": prefix},
                            HTTP_AUTHORIZATION=f"Bearer {world['plaintext']}")
    in_api = [row["address"] for row in json.loads(response.content)["results"]]
    assert in_panel == in_api
    assert in_api and all(address.startswith(prefix.strip().lower()) and address.endswith("@alpha.example")
                          for address in in_api)
