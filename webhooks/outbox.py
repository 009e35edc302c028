"""Turning audit rows into deliveries, in the change's own transaction (the outbox pattern): a change
that is rolled back sends nothing, and one that is committed has its deliveries committed with it,
for the worker (webhooks/delivery.py) to send."""
import json
import uuid
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from domains.models import AuditEntry
from webhooks.events import Event, event_of
from webhooks.models import Delivery, Subscription

CHUNK = 1000


def _subscriptions() -> list[Subscription]:
    return [subscription for subscription in Subscription.objects.filter(active=True).order_by()
            .select_related("api_key").prefetch_related("api_key__domains")
            if subscription.api_key is None or subscription.api_key.is_usable()]


def _reaches(subscription: Subscription, event: Event) -> bool:
    """A key's subscription gets the events of the key's domains only; a superadmin's, every event."""
    key = subscription.api_key
    if key is None or key.all_domains:
        return True
    return event.domain_id in {domain.pk for domain in key.domains.all()}


def body_of(event_id: uuid.UUID, event: Event, created) -> str:
    return json.dumps({"id": str(event_id), "type": event.type, "created": created.isoformat(), "data": event.data},
                      cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def enqueue(entries: Sequence[AuditEntry]) -> None:
    """One delivery per event of `entries` and matching active subscription; each event has its own id."""
    enqueue_events([event for event in map(event_of, entries) if event is not None])


def enqueue_events(events: Sequence[Event], now=None) -> None:
    if not events:
        return
    subscriptions = _subscriptions()
    if not subscriptions:
        return
    now, rows = now or timezone.now(), []
    for event in events:
        event_id = uuid.uuid4()
        body = body_of(event_id, event, now)
        rows.extend(Delivery(subscription=subscription, event_id=event_id, event_type=event.type,
                             domain_name=event.data["domain"], body=body, created=now, next_attempt=now)
                    for subscription in subscriptions
                    if event.type in subscription.event_types and _reaches(subscription, event))
    Delivery.objects.bulk_create(rows, batch_size=CHUNK)
