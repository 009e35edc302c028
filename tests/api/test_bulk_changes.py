"""Suspending, resuming, re-quotaing or deleting many mailboxes in one request: all or nothing,
each change audited, and never reaching a mailbox outside the key's domains."""
import pytest

from domains import services
from domains.models import AuditEntry, Mailbox, MailStoreJob
from tests import mail
from tests.api.conftest import ACTOR, BLF_HASH, Api, make_key, table_snapshot
from tests.conftest import PASSWORD


@pytest.fixture
def boxes(world):
    """box@ and two more mailboxes in a.example (the key "allowed" reaches a.example only)."""
    for name in ("one", "two"):
        services.mailbox_create(actor=ACTOR, domain=world["inside"], local_part=name, password_hash=BLF_HASH)
    return ["box@a.example", "one@a.example", "TWO@A.example"]


def test_many_mailboxes_are_suspended_together_each_audited(api, world, boxes):
    audit = AuditEntry.objects.count()
    response = api("POST", "mailboxes/bulk/update/", {"addresses": boxes, "changes": {"active": False}},
                   key=world["keys"]["allowed"])
    assert response.status_code == 200, response.body
    assert [row["address"] for row in response.body["mailboxes"]] == ["box@a.example", "one@a.example",
                                                                      "two@a.example"]
    assert not Mailbox.objects.filter(domain=world["inside"], active=True).exists()
    assert AuditEntry.objects.count() == audit + 3
    assert set(AuditEntry.objects.order_by("-id")[:3].values_list("action", flat=True)) == {"mailbox.update"}


def test_one_refused_item_leaves_every_mailbox_as_it_was(api, world, boxes):
    world["inside"].max_quota = 10**9
    world["inside"].save()
    before = table_snapshot()
    response = api("POST", "mailboxes/bulk/update/", {"addresses": boxes, "changes": {"quota": 2 * 10**9}},
                   key=world["keys"]["all_domains"])
    assert response.status_code == 422, response.body
    assert set(response.body["errors"]) == {"addresses[0].quota", "addresses[1].quota", "addresses[2].quota"}
    assert table_snapshot() == before


def test_a_mailbox_of_another_domain_in_the_list_is_404_and_nothing_changes(api, world, boxes):
    before, audit = table_snapshot(), AuditEntry.objects.count()
    forged = [*boxes, "box@c.example", "nobody@a.example", "not an address"]
    for path, body in (("mailboxes/bulk/update/", {"addresses": forged, "changes": {"active": False}}),
                       ("mailboxes/bulk/delete/", {"addresses": forged})):
        response = api("POST", path, body, key=world["keys"]["allowed"])
        assert response.status_code == 404, response.body
        assert response.body["errors"] == {"addresses[3]": ["Not found."], "addresses[4]": ["Not found."],
                                           "addresses[5]": ["Not found."]}
    assert table_snapshot() == before and AuditEntry.objects.count() == audit


def test_a_mailbox_listed_twice_is_refused(api, world, boxes):
    before = table_snapshot()
    response = api("POST", "mailboxes/bulk/update/", {"addresses": [*boxes, "Box@a.example"],
                                                      "changes": {"quota": 10**6}}, key=world["keys"]["allowed"])
    assert response.status_code == 422 and response.body["errors"] == {
        "addresses[3]": ["The mailbox box@a.example is listed twice (item 0)."]}, response.body
    assert table_snapshot() == before


@pytest.mark.parametrize(("allowed", "changes", "status"), [
    (["mailbox.update"], {"active": False}, 403),  # suspending is its own action, as for one mailbox
    (["mailbox.suspend"], {"quota": 10**6}, 403),
    (["mailbox.update", "mailbox.suspend"], {}, 400),
    (["mailbox.update", "mailbox.suspend"], {"active": False}, 200),
])
def test_the_keys_actions_and_the_bodys_shape_are_checked(api, world, boxes, allowed, changes, status):
    key = make_key("narrow", domains=[world["inside"]], allowed_actions=allowed)[1]
    response = api("POST", "mailboxes/bulk/update/", {"addresses": boxes, "changes": changes}, key=key)
    assert response.status_code == status, response.body


def test_many_mailboxes_are_deleted_together_and_their_mail_archived(api, world, boxes):
    response = api("POST", "mailboxes/bulk/delete/", {"addresses": boxes[1:]}, key=world["keys"]["allowed"])
    assert response.status_code == 204, response.body
    assert list(Mailbox.objects.filter(domain=world["inside"]).values_list("email", flat=True)) == ["box@a.example"]
    assert sorted(MailStoreJob.objects.filter(action=MailStoreJob.ARCHIVE).values_list("address", flat=True)) == [
        "one@a.example", "two@a.example"]
    assert api("POST", "mailboxes/bulk/delete/", {"addresses": ["box@a.example"]},
               key=world["keys"]["read_only"]).status_code == 403
    assert Mailbox.objects.filter(email="box@a.example").exists()


@pytest.mark.stack
def test_mailboxes_suspended_together_cannot_log_in_and_resume_together(mail_domain, client):
    domain = mail_domain("bulk-changes.example")
    addresses = [domain.mailbox(name).email for name in ("first", "second")]
    api, key = Api(client), make_key("billing", domains=[domain.domain])[1]
    assert all(mail.imap_login_works(address, PASSWORD) for address in addresses)

    assert api("POST", "mailboxes/bulk/update/", {"addresses": addresses, "changes": {"active": False}},
               key=key).status_code == 200
    assert not any(mail.imap_login_works(address, PASSWORD) for address in addresses)
    assert api("POST", "mailboxes/bulk/update/", {"addresses": addresses, "changes": {"active": True}},
               key=key).status_code == 200
    assert all(mail.imap_login_works(address, PASSWORD) for address in addresses)
