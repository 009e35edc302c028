"""Retries, scopes and disabled subscriptions; the signature a receiver checks."""
from datetime import timedelta

from django.utils import timezone

from domains import services
from tests.api.conftest import BLF_HASH, make_key
from tests.webhooks.conftest import ACTOR, deliver
from webhooks import delivery as delivery_module
from webhooks import services as webhook_services
from webhooks import signing
from webhooks.delivery import retry_delay
from webhooks.models import Attempt, Delivery


def test_a_receiver_answering_500_then_200_gets_the_same_event_twice(api, db, receiver):
    key = make_key("billing", all_domains=True)[1]
    created = api("POST", "webhooks/", {"url": receiver.url, "event_types": ["domain.created"]}, key=key).body
    receiver.statuses = [500]
    api("POST", "domains/", {"name": "retry.example"}, key=key)
    deliver()
    deliver()  # not due yet: 30 s later
    assert len(receiver.received) == 1
    deliver(now=timezone.now() + timedelta(seconds=31))
    first, second = receiver.events(created["secret"])
    assert first == second and first["type"] == "domain.created"
    [delivery] = api("GET", f"webhooks/{created['id']}/deliveries/", key=key).body["results"]
    assert delivery["state"] == "delivered" and delivery["event_id"] == first["id"]
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [500, 200]


def test_a_receiver_that_never_answers_2xx_is_given_up_a_day_after_the_event(superadmin_hook, receiver):
    receiver.statuses = [503] * 100
    services.domain_create(actor=ACTOR, name="down.example")
    now = timezone.now()
    while Delivery.objects.filter(state=Delivery.PENDING).exists():
        deliver(now=now)
        now += timedelta(hours=1)
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.FAILED and now - delivery.created >= timedelta(hours=23)
    assert delivery.attempts == len(receiver.received) and 20 < delivery.attempts < 30
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 30)] == [30, 60, 120, 3600, 3600]


def test_an_unreachable_receiver_is_an_attempt_with_its_error(db):
    webhook_services.subscription_create(actor=ACTOR, url="http://127.0.0.1:9/nothing", event_types=["domain.created"])
    services.domain_create(actor=ACTOR, name="nowhere.example")
    [delivery] = deliver()
    attempt = delivery.attempt_rows.get()
    assert attempt.status_code is None and attempt.error and delivery.state == Delivery.PENDING


def test_a_domain_scoped_keys_subscription_gets_only_its_domains_events(api, world, receiver):
    key = world["keys"]["allowed"]  # a.example only
    secret = api("POST", "webhooks/", {"url": receiver.url, "event_types": ["mailbox.created", "domain.suspended"]},
                 key=key).body["secret"]
    services.mailbox_create(actor=ACTOR, domain=world["other"], local_part="elsewhere", password_hash=BLF_HASH)
    services.domain_update(actor=ACTOR, domain=world["other"], active=False)
    services.mailbox_create(actor=ACTOR, domain=world["inside"], local_part="mine", password_hash=BLF_HASH)
    services.domain_update(actor=ACTOR, domain=world["inside"], active=False)
    deliver()
    assert receiver.types(secret) == [("mailbox.created", "a.example"), ("domain.suspended", "a.example")]


def test_a_disabled_subscription_receives_nothing(db, receiver):
    webhook_services.subscription_create(actor=ACTOR, url=receiver.url, event_types=["domain.created"], active=False)
    enabled, _secret = webhook_services.subscription_create(actor=ACTOR, url=receiver.url,
                                                            event_types=["domain.created"])
    services.domain_create(actor=ACTOR, name="one.example")
    webhook_services.subscription_set_active(actor=ACTOR, subscription=enabled, active=False)  # queued, then off
    services.domain_create(actor=ACTOR, name="two.example")
    deliver()
    assert receiver.received == []
    assert list(Delivery.objects.values_list("state", flat=True)) == [Delivery.FAILED]


def test_a_revoked_keys_subscription_receives_nothing(api, db, receiver):
    from api.models import ApiKey
    from api.services import api_key_revoke

    key = make_key("billing", all_domains=True)[1]
    api("POST", "webhooks/", {"url": receiver.url, "event_types": ["domain.created"]}, key=key)
    api_key_revoke(actor=ACTOR, key=ApiKey.objects.get(name="billing"))
    services.domain_create(actor=ACTOR, name="after.example")
    deliver()
    assert receiver.received == []


def test_the_signature_is_checked_against_the_body_the_secret_and_the_time():
    body, secret = '{"id":"x"}', "whsec_test"
    header = signing.header_value(secret, body)
    assert signing.verify(secret, header, body)
    assert not signing.verify("whsec_other", header, body)
    assert not signing.verify(secret, header, body.replace("x", "y"))
    old = signing.header_value(secret, body, timestamp=int(timezone.now().timestamp()) - 301)
    assert not signing.verify(secret, old, body)  # a replay, more than 5 minutes later
    assert not signing.verify(secret, "v1=abc", body) and not signing.verify(secret, "", body)



def test_a_subscription_deleted_while_its_delivery_is_being_sent_leaves_the_worker_running(db, receiver,
                                                                                          monkeypatch):
    subscription, _secret = webhook_services.subscription_create(actor=ACTOR, url=receiver.url,
                                                                 event_types=["domain.created"])
    services.domain_create(actor=ACTOR, name="one.example")
    real_post = delivery_module._post

    def post_then_delete(delivery):  # the real POST; meanwhile, the subscription is deleted
        answer = real_post(delivery)
        webhook_services.subscription_delete(actor=ACTOR, subscription=subscription)
        return answer

    monkeypatch.setattr(delivery_module, "_post", post_then_delete)
    assert len(deliver()) == 1 and len(receiver.received) == 1
    assert not Delivery.objects.exists() and not Attempt.objects.exists()
