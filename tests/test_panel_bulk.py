"""The mailbox list's bulk actions: every ticked mailbox changes or none does, each change is
audited, deleting asks for the number of mailboxes first, and a forged id of another domain's
mailbox refuses the whole request."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.models import AuditEntry, Mailbox, MailStoreJob

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def world():
    alpha = services.domain_create(actor=ACTOR, name="alpha.example", max_quota=10 * 2**30)
    beta = services.domain_create(actor=ACTOR, name="beta.example")
    boxes = [services.mailbox_create(actor=ACTOR, domain=alpha, local_part=name, password=PASSWORD, quota=2**30)
             for name in ("ann", "amy", "abe")]
    bob = services.mailbox_create(actor=ACTOR, domain=beta, local_part="bob", password=PASSWORD)
    alice = get_user_model().objects.create_user("alice", password="a long enough password")
    alice.domains.add(alpha)
    client = Client()
    client.force_login(alice)
    return {"boxes": boxes, "bob": bob, "client": client}


def bulk(client, mailboxes, action, follow=True, **fields):
    return client.post("/mailboxes/bulk/", {"mailboxes": [mailbox.pk for mailbox in mailboxes], "action": action,
                                            **fields}, follow=follow)


def rows():
    return list(Mailbox.objects.order_by("pk").values())


def test_the_list_offers_a_tick_per_mailbox_and_the_actions(world):
    page = world["client"].get("/mailboxes/").content.decode()
    assert page.count('name="mailboxes"') == 3 and f'value="{world["bob"].pk}"' not in page
    assert 'action="/mailboxes/bulk/"' in page and "Set the spam threshold" in page


def test_ticked_mailboxes_are_suspended_together_each_audited(world):
    audit = AuditEntry.objects.count()
    response = bulk(world["client"], world["boxes"][:2], "suspend")
    assert "2 mailboxes suspended." in response.content.decode()
    assert [row["active"] for row in rows()] == [False, False, True, True]
    assert AuditEntry.objects.count() == audit + 2
    assert "2 mailboxes resumed." in bulk(world["client"], world["boxes"][:2], "resume").content.decode()
    assert all(row["active"] for row in rows())


def test_quota_and_spam_threshold_for_many(world):
    assert "3 mailboxes given the quota." in bulk(world["client"], world["boxes"], "quota", quota=512).content.decode()
    assert {mailbox.quota for mailbox in Mailbox.objects.filter(domain__name="alpha.example")} == {512 * 2**20}
    bulk(world["client"], world["boxes"], "spam_threshold", spam_threshold="4.5")
    assert {str(mailbox.spam_threshold) for mailbox in Mailbox.objects.filter(domain__name="alpha.example")} == {"4.5"}


def test_a_refused_change_changes_nothing_and_names_the_mailboxes(world):
    before = rows()
    response = bulk(world["client"], world["boxes"], "quota", quota=20 * 1024).content.decode()  # over 10 GiB
    assert "Nothing was changed." in response
    assert all(f"{name}@alpha.example: The quota must be set and at most" in response for name in ("ann", "amy", "abe"))
    assert rows() == before


def test_a_forged_id_of_another_domain_refuses_everything(world):
    before, audit = rows(), AuditEntry.objects.count()
    for action in ("suspend", "delete"):
        response = bulk(world["client"], [*world["boxes"], world["bob"]], action, confirm=4).content.decode()
        assert "Tick only mailboxes of your domains." in response
    response = world["client"].post("/mailboxes/bulk/", {"mailboxes": ["x"], "action": "suspend"}, follow=True)
    assert "Tick only mailboxes of your domains." in response.content.decode()
    assert rows() == before and AuditEntry.objects.count() == audit


def test_deleting_asks_for_the_number_first(world):
    client, boxes = world["client"], world["boxes"]
    asked = bulk(client, boxes[:2], "delete")
    assert asked.status_code == 200 and "Delete 2 mailboxes?" in asked.content.decode()
    assert "amy@alpha.example" in asked.content.decode() and Mailbox.objects.count() == 4
    mistyped = bulk(client, boxes[:2], "delete", confirm=3).content.decode()
    assert "That is not the number of ticked mailboxes" in mistyped and Mailbox.objects.count() == 4

    done = bulk(client, boxes[:2], "delete", confirm=2).content.decode()

    assert "2 mailboxes deleted." in done
    assert sorted(Mailbox.objects.values_list("email", flat=True)) == ["abe@alpha.example", "bob@beta.example"]
    assert MailStoreJob.objects.filter(action=MailStoreJob.ARCHIVE).count() == 2


def test_nothing_ticked_or_no_quota_is_a_clear_error(world):
    assert "Tick at least one mailbox." in world["client"].post("/mailboxes/bulk/", {"action": "suspend"},
                                                                follow=True).content.decode()
    assert "Give the quota to set." in bulk(world["client"], world["boxes"], "quota").content.decode()
    assert world["client"].get("/mailboxes/bulk/").status_code == 405
