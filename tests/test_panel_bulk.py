"""The bulk actions of the mailbox list, the domain page's mailbox table and its alias table:
every ticked row changes or none does, each change is audited, deleting asks for the number
first, and a forged id of another domain's row refuses the whole request."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.errors import BulkRejected
from domains.models import Alias, AuditEntry, Mailbox, MailStoreJob

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
    return {"boxes": boxes, "bob": bob, "client": client, "alpha": alpha, "beta": beta}


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


def test_the_domain_pages_mailbox_table_has_the_same_actions_and_returns_there(world):
    alpha = world["alpha"]
    page = world["client"].get(f"/domains/{alpha.pk}/").content.decode()
    assert page.count('name="mailboxes"') == 3 and f'name="next" value="/domains/{alpha.pk}/"' in page
    response = bulk(world["client"], world["boxes"][:1], "suspend", follow=False, next=f"/domains/{alpha.pk}/")
    assert response.url == f"/domains/{alpha.pk}/" and not Mailbox.objects.get(pk=world["boxes"][0].pk).active
    elsewhere = bulk(world["client"], world["boxes"][:1], "resume", follow=False, next="https://evil.example/")
    assert elsewhere.url == "/mailboxes/"


@pytest.fixture
def aliases(world):
    for name in ("sales", "info", "team"):
        services.alias_create(actor=ACTOR, domain=world["alpha"], source=f"{name}@alpha.example",
                              destinations=["ann@alpha.example", "abe@alpha.example"])
    services.alias_create(actor=ACTOR, domain=world["beta"], source="info@beta.example",
                          destinations=["bob@beta.example"])
    return world


def alias_rows():
    return sorted(Alias.objects.values_list("source", "destination"))


def bulk_aliases(client, domain, sources, **fields):
    return client.post(f"/domains/{domain.pk}/aliases/bulk/", {"sources": sources, **fields}, follow=True)


def test_ticked_aliases_are_deleted_together_after_their_number_is_typed(aliases):
    client, alpha = aliases["client"], aliases["alpha"]
    page = client.get(f"/domains/{alpha.pk}/").content.decode()
    assert page.count('name="sources"') == 3 and "Delete the ticked aliases" in page
    asked = bulk_aliases(client, alpha, ["sales@alpha.example", "info@alpha.example"]).content.decode()
    assert "Delete 2 aliases?" in asked and "Type 2 to delete them" in asked and Alias.objects.count() == 7
    assert "not the number of ticked aliases" in bulk_aliases(
        client, alpha, ["sales@alpha.example", "info@alpha.example"], confirm=1).content.decode()
    audit = AuditEntry.objects.count()

    done = bulk_aliases(client, alpha, ["sales@alpha.example", "info@alpha.example"], confirm=2).content.decode()

    assert "2 aliases deleted." in done
    assert {source for source, _ in alias_rows()} == {"team@alpha.example", "info@beta.example"}
    assert list(AuditEntry.objects.filter(pk__gt=0).order_by("-pk").values_list("action", "object_repr")[:2]) == [
        ("alias.delete", "sales@alpha.example"), ("alias.delete", "info@alpha.example")]
    assert AuditEntry.objects.count() == audit + 2


def test_a_forged_alias_of_another_domain_refuses_everything(aliases):
    client, alpha, beta = aliases["client"], aliases["alpha"], aliases["beta"]
    before, audit = alias_rows(), AuditEntry.objects.count()
    response = bulk_aliases(client, alpha, ["sales@alpha.example", "info@beta.example"], confirm=2)
    assert "Tick only aliases of this domain." in response.content.decode()
    assert bulk_aliases(client, beta, ["info@beta.example"], confirm=1).status_code == 404
    assert alias_rows() == before and AuditEntry.objects.count() == audit


def test_deleting_many_aliases_is_all_or_nothing(aliases):
    alpha = aliases["alpha"]
    before = alias_rows()
    with pytest.raises(BulkRejected) as rejected:
        services.aliases_delete_many(actor=ACTOR, aliases=[(alpha, "sales@alpha.example"),
                                                           (alpha, "gone@alpha.example")])
    assert [error.code for error in rejected.value.item_errors[1]] == ["not_found"] and alias_rows() == before
