"""mailbox.quota_warning and mailbox.over_quota from real deliveries: mail through Postfix and LMTP
fills a mailbox, Dovecot's quota_clone writes its usage, MariaDB's triggers record the crossings,
and the stack's own worker sends each as a signed event, once."""
import time

import pytest

from tests.test_quota import QUOTA, deliver
from tests.webhooks.conftest import ACTOR
from webhooks import services
from webhooks.models import Delivery, QuotaCrossing

pytestmark = pytest.mark.stack


def wait_for_events(receiver, count, timeout=15):
    deadline = time.monotonic() + timeout
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, f"{len(receiver.received)} of {count} events arrived"
        time.sleep(0.1)


def test_a_mailbox_filled_by_lmtp_sends_its_quota_warning_and_over_quota_once(mail_domain, receiver):
    _, secret = services.subscription_create(actor=ACTOR, url=receiver.url,
                                             event_types=["mailbox.quota_warning", "mailbox.over_quota"])
    example = mail_domain("quota-events.example")
    example.mailbox("filling", quota=QUOTA)
    example.mailbox("roomy", quota=10 * QUOTA)
    deliver("filling@quota-events.example", 30_000)
    deliver("roomy@quota-events.example", 90_000)  # 9%: nothing

    deliver("filling@quota-events.example", 55_000)  # about 85%
    wait_for_events(receiver, 1)
    warning = receiver.events(secret)[0]
    assert warning["type"] == "mailbox.quota_warning"
    assert warning["data"]["mailbox"] == "filling@quota-events.example" and warning["data"]["percent"] == 80
    assert warning["data"]["domain"] == "quota-events.example" and warning["data"]["quota"] == QUOTA
    assert 0.8 * QUOTA <= warning["data"]["bytes_used"] < QUOTA

    deliver("filling@quota-events.example", 5_000)  # about 90%: no second warning
    deliver("filling@quota-events.example", 15_000)  # past 100% (Dovecot lets the last message overfill it)
    wait_for_events(receiver, 2)
    over = receiver.events(secret)[1]
    assert over["type"] == "mailbox.over_quota" and over["data"]["percent"] == 100
    assert over["data"]["bytes_used"] >= QUOTA and over["id"] != warning["id"]

    # Once each: nothing is left to send, and the worker's next rounds add nothing.
    time.sleep(1.5)  # the test stack's worker looks every 0.5 s
    assert len(receiver.received) == 2 and not QuotaCrossing.objects.exists()
    assert sorted(Delivery.objects.values_list("event_type", "state")) == [
        ("mailbox.over_quota", "delivered"), ("mailbox.quota_warning", "delivered")]
