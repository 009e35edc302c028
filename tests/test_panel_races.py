"""Two admins submitting the same form at the same moment in the panel: one creates, the other is
told the address exists already; never a 500, never two rows."""
import pytest
from django.contrib.auth import get_user_model

from domains import services
from domains.audit import Actor
from domains.models import Alias, Mailbox
from tests.api.conftest import BLF_HASH, at_once

pytestmark = pytest.mark.django_db(transaction=True)  # each request commits on its own, as in production
ACTOR = Actor.command("tests")


@pytest.fixture
def domain():
    domain = services.domain_create(actor=ACTOR, name="race.example")
    services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password_hash=BLF_HASH)
    for name in ("alice", "bert"):
        get_user_model().objects.create_user(name, password="a long enough password").domains.add(domain)
    return domain


def as_either_admin(post):
    """Runs `post(client)` for alice and bert at once; returns (status, page) of each."""
    admins = iter(["alice", "bert"])

    def request(client):
        client.force_login(get_user_model().objects.get(username=next(admins)))
        response = post(client)
        return response.status_code, response.content.decode()

    return at_once(2, request)


@pytest.mark.parametrize(("form", "body", "rows"), [
    ("mailboxes", {"local_part": "carol", "password": "a long enough password 1"},
     lambda: Mailbox.objects.filter(email="carol@race.example")),
    ("aliases", {"local_part": "team", "destinations": "ann@race.example"},
     lambda: Alias.objects.filter(source="team@race.example")),
], ids=["mailbox", "alias"])
def test_two_admins_creating_one_address_at_once_get_one_row_and_a_clear_error(domain, form, body, rows):
    answers = as_either_admin(lambda client: client.post(f"/domains/{domain.pk}/{form}/new/", body))
    assert sorted(status for status, _page in answers) == [200, 302]
    assert any("exists already" in page for status, page in answers if status == 200)
    assert rows().count() == 1
