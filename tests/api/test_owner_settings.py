"""What a billing system manages for its customers through the API: renaming a mailbox (its mail
follows), the owner's auto-reply and forwarding (carried out by Dovecot at the next delivery),
reading the audit log of its domains to reconcile, and restoring a deleted mailbox's mail."""
import uuid

import pytest

from domains.models import Alias, AuditEntry, Mailbox, MailStoreJob
from selfservice.models import MailboxRules
from tests import mail
from tests.api.conftest import Api, make_key
from tests.conftest import PASSWORD
from tests.selfservice.test_rules import relay_sink_settle
from tests.test_mailstore import finished

pytestmark = pytest.mark.stack


@pytest.fixture
def owners(mail_domain):
    """owners() -> a new mailbox (password PASSWORD) in billing.example."""
    domain = mail_domain("billing.example")

    def make():
        return domain.mailbox(f"u{uuid.uuid4().hex[:10]}")
    make.domain, make.factory = domain.domain, domain
    return make


@pytest.fixture
def billing(owners, client):
    """A mailbox with mail in it, an alias to it, and a key for its domain only."""
    owner = owners()
    local_part = f"sales-{uuid.uuid4().hex[:6]}"
    owners.factory.alias(local_part, owner.email)
    alias = f"{local_part}@{owners.domain.name}"
    key = make_key(f"billing-{uuid.uuid4().hex[:6]}", domains=[owners.domain])[1]
    return owner, alias, key, Api(client)


def test_a_renamed_mailbox_keeps_its_mail_and_its_aliases_and_frees_the_old_address(billing):
    owner, alias, key, api = billing
    before = mail.message(owner.email)
    mail.send(before)
    assert mail.wait_for(owner.email, PASSWORD, before["Subject"]) is not None
    new = f"renamed-{uuid.uuid4().hex[:6]}"
    new_address = f"{new}@{owner.domain.name}"

    response = api("POST", f"mailboxes/{owner.email}/rename/", {"local_part": new.upper()}, key=key)

    assert response.status_code == 200, response.body
    assert response.body["address"] == new_address and response["Location"] == f"/api/v1/mailboxes/{new_address}/"
    assert api("GET", f"mailboxes/{owner.email}/", key=key).status_code == 404
    # The mail delivered before is there under the new address, and new mail to it and to the alias arrives.
    assert mail.fetch(new_address, PASSWORD, before["Subject"]) is not None
    assert not mail.imap_login_works(owner.email, PASSWORD)
    assert Alias.objects.get(source=alias).destination == new_address
    after = mail.message(alias)
    mail.send(after)
    assert mail.wait_for(new_address, PASSWORD, after["Subject"]) is not None
    entry = AuditEntry.objects.filter(action="mailbox.rename").latest("id")
    assert entry.actor_label.startswith("api-key:") and entry.after["email"] == new_address


def test_renaming_onto_an_existing_address_is_refused_and_nothing_changes(billing, owners):
    owner, _, key, api = billing
    other = owners()
    response = api("POST", f"mailboxes/{owner.email}/rename/", {"local_part": other.email.split("@")[0]}, key=key)
    assert response.status_code == 409 and response.body["code"] == "conflict", response.body
    assert Mailbox.objects.get(pk=owner.pk).email == owner.email
    bad = api("POST", f"mailboxes/{owner.email}/rename/", {"local_part": "a+b"}, key=key)
    assert bad.status_code == 422 and bad.body["code"] == "mailbox_plus" and "local_part" in bad.body["errors"]
    assert Mailbox.objects.get(pk=owner.pk).email == owner.email


def test_forwarding_set_through_the_api_applies_at_the_next_delivery_and_clears(billing, relay_sink):
    owner, _, key, api = billing
    assert api("GET", f"mailboxes/{owner.email}/rules/", key=key).body["forward_to"] == []

    response = api("PATCH", f"mailboxes/{owner.email}/rules/",
                   {"forward_to": ["Far@Remote.test"], "forward_keep_copy": False}, key=key)

    assert response.status_code == 200, response.body
    assert response.body["forward_to"] == ["far@remote.test"] and response.body["forward_keep_copy"] is False
    sent = mail.message(owner.email)
    mail.send(sent)
    forwarded = relay_sink.wait_for(sent["Subject"])
    assert forwarded.rcpt_tos == ["far@remote.test"]
    assert mail.fetch(owner.email, PASSWORD, sent["Subject"]) is None

    assert api("DELETE", f"mailboxes/{owner.email}/rules/", key=key).status_code == 204
    assert api("GET", f"mailboxes/{owner.email}/rules/", key=key).body["forward_to"] == []
    kept = mail.message(owner.email)
    mail.send(kept)
    assert mail.wait_for(owner.email, PASSWORD, kept["Subject"]) is not None
    assert relay_sink_settle(relay_sink, kept["Subject"], 0) == 0


def test_an_auto_reply_set_through_the_api_answers_the_sender(billing, relay_sink):
    owner, _, key, api = billing
    subject = f"Away {uuid.uuid4()}"
    response = api("PATCH", f"mailboxes/{owner.email}/rules/",
                   {"vacation_active": True, "vacation_subject": subject, "vacation_text": "Back on Monday."}, key=key)
    assert response.status_code == 200, response.body
    sent = mail.message(owner.email)
    mail.send(sent)
    reply = relay_sink.wait_for(subject)
    assert reply.rcpt_tos == ["someone@remote.test"] and b"Back on Monday." in reply.content


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"vacation_active": True, "vacation_text": " "}, 422, "vacation_text"),
    ({"forward_to": ["SELF"]}, 422, "forward_self"),
    ({"vacation_start": "2026-12-10", "vacation_end": "2026-12-01", "vacation_active": True,
      "vacation_text": "x"}, 422, "vacation_dates"),
    ({"vacation_days": 31}, 400, "invalid"),
    ({"forward_to": ["a@x.test"] * 6}, 400, "invalid"),
])
def test_bad_rules_are_refused_and_nothing_changes(billing, body, status, code):
    owner, _, key, api = billing
    api("PATCH", f"mailboxes/{owner.email}/rules/", {"forward_to": ["kept@remote.test"]}, key=key)
    if body.get("forward_to") == ["SELF"]:
        body = {"forward_to": [owner.email.upper()]}
    response = api("PATCH", f"mailboxes/{owner.email}/rules/", body, key=key)
    assert response.status_code == status and response.body["code"] == code, response.body
    rules = MailboxRules.objects.get(mailbox=owner)
    assert rules.forward_to == ["kept@remote.test"] and not rules.vacation_active


def test_the_audit_log_shows_the_keys_domains_only_newest_first_and_filters(billing, owners):
    owner, _, key, api = billing
    api("POST", f"mailboxes/{owner.email}/suspend/", key=key)
    api("POST", f"mailboxes/{owner.email}/resume/", key=key)
    foreign = make_key("other", all_domains=True)
    outside = AuditEntry.objects.create(actor_label="someone", action="domain.update", domain_name="elsewhere.test",
                                        domain_id=owners.domain.pk + 10_000, object_repr="elsewhere.test")

    response = api("GET", "audit/?page_size=1000", key=key)

    assert response.status_code == 200, response.body
    rows = response.body["results"]
    assert rows and {row["domain"] for row in rows} == {owners.domain.name}
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    assert rows[0]["action"] == "mailbox.update" and rows[0]["after"]["active"] is True
    assert rows[0]["actor"].startswith("api-key:") and rows[0]["object"] == owner.email
    mine = api("GET", f"audit/?object={owner.email}&action=mailbox.update", key=key).body["results"]
    assert [(row["before"]["active"], row["after"]["active"]) for row in mine] == [(False, True), (True, False)]
    later = api("GET", f"audit/?since={rows[0]['at'].replace('+', '%2B')}", key=key).body["results"]
    assert rows[0]["id"] in [row["id"] for row in later] and all(row["at"] >= rows[0]["at"] for row in later)
    assert api("GET", "audit/?domain=elsewhere.test", key=key).body["results"] == []
    everything = api("GET", "audit/?domain=elsewhere.test", key=foreign[1]).body["results"]
    assert [row["id"] for row in everything] == [outside.id]
    assert api("GET", "audit/?since=yesterday", key=key).status_code == 400


def test_a_deleted_mailboxs_mail_is_listed_and_restored_through_the_api(billing, owners, mail_domain):
    owner, _, key, api = billing
    sent = mail.message(owner.email)
    mail.send(sent)
    assert mail.wait_for(owner.email, PASSWORD, sent["Subject"]) is not None
    assert api("DELETE", f"mailboxes/{owner.email}/", key=key).status_code == 204
    archived = finished(MailStoreJob.objects.filter(action=MailStoreJob.ARCHIVE, address=owner.email).latest("id"))
    assert archived.state == MailStoreJob.DONE, archived.outcome

    listed = api("GET", f"stored-mail/?domain={owner.domain.name}", key=key).body["results"]
    row = next(row for row in listed if row["id"] == archived.id)
    assert row["restorable"] is True and row["address"] == owner.email and "path" not in row
    # Another domain's key neither sees it nor restores it; without the mailbox there is nothing to restore into.
    other_domain = mail_domain("elsewhere-billing.example").domain
    other = make_key("other", domains=[other_domain])[1]
    assert archived.id not in [row["id"] for row in api("GET", "stored-mail/", key=other).body["results"]]
    assert api("POST", f"stored-mail/{archived.id}/restore/", key=other).status_code == 404
    assert api("POST", f"stored-mail/{archived.id}/restore/", key=key).status_code == 404

    assert api("POST", "mailboxes/", {"address": owner.email, "password": PASSWORD}, key=key).status_code == 201
    response = api("POST", f"stored-mail/{archived.id}/restore/", key=key)

    assert response.status_code == 202 and response.body["action"] == "restore", response.body
    assert finished(MailStoreJob.objects.get(pk=response.body["id"])).state == MailStoreJob.DONE
    assert mail.fetch(owner.email, PASSWORD, sent["Subject"]) is not None
