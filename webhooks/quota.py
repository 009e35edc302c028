"""mailbox.quota_warning and mailbox.over_quota: a mailbox's storage rising past 80% or 100% of its
quota, whatever delivered the mail (LMTP, the quota warnings' LDA, IMAP APPEND, a restore).

Dovecot's quota_clone writes each mailbox's usage into mailbox_usage after every change; triggers
on that table (created by webhooks' migrations, run with the definer's rights, so Dovecot's account
needs no right beyond mailbox_usage) add a QuotaCrossing row when the bytes cross a threshold
upwards. The worker (`manage.py mailstore work`) turns the rows into events in the outbox and
removes them in the same transaction: each crossing is one event. Usage falling back below a
threshold and rising past it again is a new crossing. Like the per-domain totals' triggers
(domains/totals.py), these never fail a write: decimal arithmetic, and a lookup that misses
inserts nothing. Dovecot's own warnings to the owner (by mail at 80% and 95%) are unchanged."""
from django.db import transaction
from django.utils import timezone

from webhooks.events import Event
from webhooks.models import QuotaCrossing
from webhooks.outbox import enqueue_events

LEVELS = {80: "mailbox.quota_warning", 100: "mailbox.over_quota"}
CHUNK = 1000


def _crossings(before: str) -> str:
    levels = " UNION ALL ".join(f"SELECT {percent} AS percent" for percent in LEVELS)
    return (f"INSERT INTO {QuotaCrossing._meta.db_table} (mailbox, domain_id, percent, bytes_used, quota, at)"
            f" SELECT virtual_users.email, virtual_users.domain_id, levels.percent, NEW.bytes, virtual_users.quota,"
            f" UTC_TIMESTAMP(6) FROM virtual_users JOIN ({levels}) AS levels"
            f" WHERE virtual_users.email = NEW.username AND virtual_users.quota > 0"
            f" AND {before} < virtual_users.quota * levels.percent / 100"
            f" AND NEW.bytes >= virtual_users.quota * levels.percent / 100")


TRIGGERS = {
    "mailadmin_quota_crossing_insert": ("AFTER INSERT ON mailbox_usage", _crossings("0")),
    "mailadmin_quota_crossing_update": ("AFTER UPDATE ON mailbox_usage", _crossings("OLD.bytes")),
}


def event_of(crossing: QuotaCrossing) -> Event:
    domain = crossing.mailbox.rpartition("@")[2]
    return Event(LEVELS[crossing.percent], crossing.domain_id, {
        "domain": domain, "mailbox": crossing.mailbox, "percent": crossing.percent,
        "bytes_used": crossing.bytes_used, "quota": crossing.quota, "at": crossing.at.isoformat()})


def enqueue_crossings() -> int:
    """The recorded crossings as events in the outbox, each once; how many there were."""
    with transaction.atomic():
        crossings = list(QuotaCrossing.objects.select_for_update(skip_locked=True)[:CHUNK])
        if crossings:
            enqueue_events([event_of(crossing) for crossing in crossings], now=timezone.now())
            QuotaCrossing.objects.filter(pk__in=[crossing.pk for crossing in crossings]).delete()
    return len(crossings)
