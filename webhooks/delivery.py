"""Sending the outbox: the mail-store worker's loop (`manage.py mailstore work`) calls deliver_due
between its jobs.  Each delivery is POSTed with its signature; a 2xx answer delivers it, anything
else (another status, a timeout, a refused connection) is tried again after 30 s, then twice as
long each time (at most an hour), until a day after the event; then it is marked failed."""
import http.client
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webhooks import signing
from webhooks.models import Attempt, Delivery

TIMEOUT = 5  # seconds per attempt: a slow receiver holds up the worker this long at most
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=2)  # a claimed delivery is not claimed again meanwhile (by another worker)
BATCH = 50  # deliveries per call, so that the mail-store jobs wait no longer than that


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer that is not 2xx: never followed to another address


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s ... at most an hour."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_RETRY)


def _post(delivery: Delivery) -> tuple[int | None, str]:
    """(status code, error) of one POST: the status when the receiver answered, else the error."""
    only = getattr(settings, "WEBHOOK_HOSTS_ONLY", None)
    if only is not None and urlsplit(delivery.subscription.url).hostname not in only:
        return None, "host not allowed by WEBHOOK_HOSTS_ONLY"
    body = delivery.body.encode()
    request = urllib.request.Request(delivery.subscription.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "mailadmin-webhooks",
        signing.EVENT_ID_HEADER: str(delivery.event_id), signing.EVENT_TYPE_HEADER: delivery.event_type,
        signing.HEADER: signing.header_value(delivery.subscription.secret, delivery.body)})
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, ""
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, (str(reason) or type(reason).__name__)[:255]


def _claim(now) -> Delivery | None:
    """The next due delivery, leased to this worker; those whose subscription was disabled (or its
    key revoked) since the event are marked failed on the way."""
    while True:
        with transaction.atomic():
            delivery = (Delivery.objects.select_for_update(skip_locked=True).select_related("subscription__api_key")
                        .filter(state=Delivery.PENDING, next_attempt__lte=now).order_by("next_attempt", "id").first())
            if delivery is None:
                return None
            subscription, key = delivery.subscription, delivery.subscription.api_key
            if subscription.active and (key is None or key.is_usable(now)):
                delivery.next_attempt = now + LEASE
                delivery.save(update_fields=["next_attempt"])
                return delivery
            delivery.state = Delivery.FAILED
            delivery.save(update_fields=["state"])


def _attempt(delivery: Delivery, now) -> Delivery:
    started = time.monotonic()
    status, error = _post(delivery)
    duration_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        if not Delivery.objects.select_for_update().filter(pk=delivery.pk).exists():
            return delivery  # its subscription was deleted meanwhile, and the delivery with it
        Attempt.objects.create(delivery=delivery, at=now, status_code=status, error=error, duration_ms=duration_ms)
        delivery.attempts += 1
        if status is not None and 200 <= status < 300:
            delivery.state = Delivery.DELIVERED
        else:
            delivery.next_attempt = now + retry_delay(delivery.attempts)
            if delivery.next_attempt > delivery.created + GIVE_UP_AFTER:
                delivery.state = Delivery.FAILED
        delivery.save(update_fields=["attempts", "state", "next_attempt"])
    return delivery


def deliver_due(now=None, batch: int = BATCH) -> list[Delivery]:
    """Makes one attempt at each due delivery (up to `batch`), oldest first; returns them."""
    attempted = []
    while len(attempted) < batch:
        current = now or timezone.now()
        delivery = _claim(current)
        if delivery is None:
            break
        attempted.append(_attempt(delivery, current))
    return attempted
