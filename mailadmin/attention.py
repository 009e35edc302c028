"""What needs attention, for the first page: domains near their limits, mailboxes near their
quota, mail-store jobs that are due or failed, recent sign-in lockouts, API keys about to expire,
and for superadmins the server's own facts of the Status page (mailstack/status.py).

Every figure is read cheaply at any size: the domains' totals and the mailboxes near their quota
are kept by MariaDB's triggers (domains/totals.py, domains/near_quota.py), the jobs and keys
through their indexes; each list is bounded, its full length counted up to a cap.  A domain
admin sees only their domains' items, and no server facts.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q
from django.utils import timezone

from api.models import ApiKey
from domains.models import Domain, MailboxNearQuota, MailStoreJob
from domains.scope import Scope
from domains.selectors import with_domain_figures
from mailstack import status

SHOWN = 20  # rows of each list
NEAR_PERCENT = 90  # of a domain's limit
KEY_WARNING = timedelta(days=14)
CERTIFICATE_WARNING = timedelta(days=21)
BACKUP_AGE = timedelta(hours=36)  # the backup timer runs daily
SERVER_FACTS_KEPT = 30  # seconds: the probes and Postfix's queue are read at most this often per process
LOCKOUTS_SINCE = timedelta(hours=24)
FAILED_JOBS_SINCE = timedelta(days=7)
OVERDUE = timedelta(minutes=10)  # the worker looks every few seconds


@dataclass
class Attention:
    domains: list = field(default_factory=list)     # Domain rows with their figures
    mailboxes: list = field(default_factory=list)   # MailboxNearQuota rows
    mailboxes_more: int = 0
    jobs: list = field(default_factory=list)        # MailStoreJob rows, failed or overdue
    lockouts: list = field(default_factory=list)    # AccessAttempt rows
    keys: list = field(default_factory=list)        # ApiKey rows
    server: dict = field(default_factory=dict)      # what is wrong in status.report(), by name

    def __bool__(self):
        return any((self.domains, self.mailboxes, self.jobs, self.lockouts, self.keys, self.server))


def _near(figure: str, limit: str) -> Q:
    return Q(**{f"{limit}__gt": 0}) & Q(**{f"{figure}__gte": F(limit) * NEAR_PERCENT / 100})


def _domains(scope: Scope) -> list[Domain]:
    domains = Domain.objects.all() if scope.all_domains else Domain.objects.filter(pk__in=scope.domain_ids)
    near = (_near("mailbox_count", "max_mailboxes") | _near("alias_count", "max_aliases")
            | _near("quota_allocated", "quota_total") | _near("quota_used", "quota_total"))
    return list(with_domain_figures(domains).filter(near).order_by("name")[:SHOWN])


def _in_scope(rows, scope: Scope, column: str = "domain_id"):
    return rows if scope.all_domains else rows.filter(**{f"{column}__in": scope.domain_ids})


def _lockouts(scope: Scope, now: datetime) -> list[AccessAttempt]:
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                                            attempt_time__gte=now - LOCKOUTS_SINCE)
    if not scope.all_domains:
        # A domain admin sees their mailbox owners' lockouts (at /me/ and in Roundcube), never the admins'.
        names = Domain.objects.filter(pk__in=scope.domain_ids).values_list("name", flat=True)
        owners = Q()
        for name in names:
            owners |= Q(username__endswith=f"@{name}")
        if not owners:
            return []
        attempts = attempts.filter(owners, Q(username__startswith="mailbox:") | Q(username__startswith="roundcube:"))
    return list(attempts.order_by("-attempt_time")[:SHOWN])


def _server(now: datetime) -> dict:
    """The Status page's facts that are wrong now: services down, mail waiting in the queues, a
    certificate expiring or unreadable, a backup missing, failed or old."""
    report, wrong = status.report(), {}
    down = {part: answer for part, answer in report["parts"].items() if answer != "ok"}
    if down:
        wrong["down"] = down
    queues = report["queues"]
    if queues is None or queues.get("deferred") or queues.get("hold"):
        wrong["queues"] = queues or {}
    expiry = report["certificate_expiry"]
    if expiry is None or expiry - now < CERTIFICATE_WARNING:
        wrong["certificate_expiry"] = expiry or "unreadable"
    backup = report["backup"]
    if backup is None or backup.problem or backup.result != "ok" or now - backup.finished > BACKUP_AGE:
        wrong["backup"] = backup or "none"
    return wrong


def mailboxes_near_quota(scope: Scope):
    """Read through the table's primary key or its (domain, username) index: only the mailboxes
    near their quota are rows there, never the million others."""
    return _in_scope(MailboxNearQuota.objects.all(), scope).order_by("username")[:SHOWN + 1]


def attention_for(user) -> Attention:
    scope, now = Scope.of_user(user), timezone.now()
    mailboxes = list(mailboxes_near_quota(scope))
    jobs = _in_scope(MailStoreJob.objects.filter(
        Q(state=MailStoreJob.FAILED, finished__gte=now - FAILED_JOBS_SINCE)
        | Q(state=MailStoreJob.PENDING, not_before__lte=now - OVERDUE)), scope)
    found = Attention(domains=_domains(scope), mailboxes=mailboxes[:SHOWN], mailboxes_more=len(mailboxes) > SHOWN,
                      jobs=list(jobs.order_by("-created")[:SHOWN]), lockouts=_lockouts(scope, now))
    if scope.all_domains:
        found.keys = list(ApiKey.objects.filter(revoked=None, expires__gt=now, expires__lte=now + KEY_WARNING)
                          .order_by("expires")[:SHOWN])
        found.server = cache.get_or_set("attention:server", lambda: _server(now), SERVER_FACTS_KEPT)
    return found
