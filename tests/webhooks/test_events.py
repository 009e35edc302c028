"""Events from every path that changes the tables (the panel, the API, an owner's page, an import),
delivered once by the worker with a valid signature; nothing for a change that fails."""
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from domains import services
from domains.errors import Conflict
from domains.models import Domain
from tests.api.conftest import BLF_HASH, make_key
from tests.conftest import PASSWORD
from tests.selfservice.conftest import signed_in
from tests.webhooks.conftest import ACTOR, deliver, deliver_committed
from webhooks.models import Delivery


def test_a_panel_change_reaches_the_receiver_once_with_a_valid_signature(admin_client, superadmin_hook, receiver):
    _subscription, secret = superadmin_hook
    response = admin_client.post("/domains/new/", {
        "name": "panel.example", "max_mailboxes": 5, "max_aliases": 0, "default_quota": 0, "max_quota": 0,
        "quota_total": 0, "active": "on"})
    assert response.status_code == 302
    assert receiver.received == []  # never from the request: the worker sends it
    deliver()
    assert receiver.types(secret) == [("domain.created", "panel.example")]
    event = receiver.events()[0]
    assert event["data"]["after"]["name"] == "panel.example" and set(event) == {"id", "type", "created", "data"}
    deliver()
    assert len(receiver.received) == 1


def test_an_api_change_reaches_the_receiver_of_the_keys_subscription(api, db, receiver):
    key = make_key("billing", all_domains=True)[1]
    response = api("POST", "webhooks/", {"url": receiver.url, "event_types": ["domain.created", "mailbox.created"]},
                   key=key)
    assert response.status_code == 201, response.body
    secret = response.body["secret"]
    assert secret.startswith("whsec_") and "secret" not in api("GET", f"webhooks/{response.body['id']}/", key=key).body
    assert api("POST", "domains/", {"name": "api.example"}, key=key).status_code == 201
    assert api("POST", "mailboxes/", {"address": "ann@api.example", "password_hash": BLF_HASH},
               key=key).status_code == 201
    deliver()
    assert receiver.types(secret) == [("domain.created", "api.example"), ("mailbox.created", "api.example")]
    assert receiver.events()[1]["data"]["mailbox"] == "ann@api.example"
    deliveries = api("GET", f"webhooks/{response.body['id']}/deliveries/", key=key).body["results"]
    assert [(row["event_type"], row["state"], len(row["attempts"])) for row in deliveries] == [
        ("mailbox.created", "delivered", 1), ("domain.created", "delivered", 1)]
    assert deliveries[0]["attempts"][0]["status_code"] == 200


def test_an_owners_password_change_on_their_page_is_an_event(mail_domain, receiver):
    from webhooks import services as webhook_services

    _subscription, secret = webhook_services.subscription_create(
        actor=ACTOR, url=receiver.url, event_types=["mailbox.password_changed"])
    owner = mail_domain("owner.example").mailbox("owner")
    client = signed_in(Client(), owner)
    response = client.post("/me/password/", {"current_password": PASSWORD, "new_password1": "a brand new password",
                                             "new_password2": "a brand new password"})
    assert response.status_code == 302
    deliver_committed()
    assert receiver.types(secret) == [("mailbox.password_changed", "owner.example")]
    assert receiver.events()[0]["data"]["mailbox"] == "owner@owner.example"


IMPORT = f"""kind,address,destinations,password_hash
domain,imported.example,,
mailbox,ann@imported.example,,{BLF_HASH}
alias,team@imported.example,ann@imported.example,
"""


def test_an_import_is_one_event_per_row_it_creates(superadmin_hook, receiver, tmp_path):
    _subscription, secret = superadmin_hook
    path = tmp_path / "mail.csv"
    path.write_text(IMPORT)
    call_command("import", str(path))
    call_command("mailstore", "work", "--once")  # the worker, as the stack and the service run it
    assert receiver.types(secret) == [("domain.created", "imported.example"), ("mailbox.created", "imported.example"),
                                      ("alias.created", "imported.example")]
    assert len({event["id"] for event in receiver.events()}) == 3


def test_an_import_that_is_refused_or_a_dry_run_sends_nothing(superadmin_hook, receiver, tmp_path):
    path = tmp_path / "mail.csv"
    path.write_text(IMPORT)
    call_command("import", str(path), "--dry-run")
    path.write_text(IMPORT + "mailbox,bad@nowhere.example,,{BLF-CRYPT}x\n")
    with pytest.raises(CommandError):
        call_command("import", str(path))
    deliver()
    assert receiver.received == [] and not Delivery.objects.exists() and not Domain.objects.exists()


def test_a_change_refused_or_rolled_back_sends_nothing(superadmin_hook, receiver):
    domain = services.domain_create(actor=ACTOR, name="kept.example")
    with pytest.raises(Conflict):
        services.domain_create(actor=ACTOR, name="kept.example")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.mailbox_create(actor=ACTOR, domain=domain, local_part="gone", password_hash=BLF_HASH)
        raise RuntimeError("something after the change failed: the transaction is rolled back")
    deliver()
    assert receiver.types() == [("domain.created", "kept.example")]


def test_every_kind_of_change_is_its_event(superadmin_hook, receiver):
    _subscription, secret = superadmin_hook
    domain = services.domain_create(actor=ACTOR, name="life.example")
    mailbox = services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password_hash=BLF_HASH)
    services.mailbox_update(actor=ACTOR, mailbox=mailbox, quota=10**9)  # not an event
    services.mailbox_update(actor=ACTOR, mailbox=mailbox, active=False)
    services.mailbox_update(actor=ACTOR, mailbox=mailbox, active=True)
    services.mailbox_set_password(actor=ACTOR, mailbox=mailbox, password="another long password")
    mailbox = services.mailbox_rename(actor=ACTOR, mailbox=mailbox, local_part="bea")
    services.alias_create(actor=ACTOR, domain=domain, source="team@life.example", destinations=["bea@life.example"])
    services.alias_set_destinations(actor=ACTOR, domain=domain, source="team@life.example",
                                    destinations=["x@remote.example"])
    services.alias_delete(actor=ACTOR, domain=domain, source="team@life.example")
    services.domain_update(actor=ACTOR, domain=domain, description="plan B")  # not an event
    services.domain_update(actor=ACTOR, domain=domain, active=False)
    services.domain_update(actor=ACTOR, domain=domain, active=True)
    services.mailbox_delete(actor=ACTOR, mailbox=mailbox)
    services.domain_delete(actor=ACTOR, domain=domain)
    deliver()
    assert [event_type for event_type, _domain in receiver.types(secret)] == [
        "domain.created", "mailbox.created", "mailbox.suspended", "mailbox.resumed", "mailbox.password_changed",
        "mailbox.renamed", "alias.created", "alias.updated", "alias.deleted", "domain.suspended", "domain.resumed",
        "mailbox.deleted", "domain.deleted"]
    renamed = receiver.events()[5]["data"]
    assert renamed["mailbox"] == "bea@life.example" and renamed["before"] == {"email": "ann@life.example"}
