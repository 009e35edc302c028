"""/metrics in Prometheus' text format (docs/metrics.md).

Two kinds of figures:
- events the panel's own processes see (requests, sign-in failures and lockouts, API requests):
  prometheus-client counters.  gunicorn runs several workers; with PROMETHEUS_MULTIPROC_DIR set
  (the production unit and `./mailctl run` set it) each worker writes its counters to a file there
  and a scrape, answered by any worker, adds up the files of all of them.
- the state of the server, computed afresh at each scrape (so identical whichever worker answers):
  mail-store jobs, the domains' totals kept by MariaDB's triggers (one row per domain, never a
  scan of virtual_users), Postfix's queues (`postqueue -j`) and Dovecot's own counters of logins,
  deliveries and spam filed (mailstack/dovecot_stats.py), and Postfix's SMTP rejections from its
  log (mailstack/postfix_rejections.py).  Each source is bounded in time; one that
  does not answer is left out and `mailadmin_source_up` says which.
"""
import os
import time

from django.db import connection
from django.db.models import Count
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from mailstack import dovecot_stats, mailqueue, postfix_rejections

PROCESS = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("mailadmin_http_requests", "Requests the panel answered, by view (URL pattern name) and status.",
                   ["view", "status"], registry=PROCESS)
LATENCY = Histogram("mailadmin_http_request_duration_seconds", "Time the panel took to answer, by view.",
                    ["view"], registry=PROCESS,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SIGNIN_FAILURES = Counter("mailadmin_signin_failures", "Failed sign-ins (admins, mailbox owners, Roundcube's"
                          " password plugin).", registry=PROCESS)
LOCKOUTS = Counter("mailadmin_signin_lockouts", "Sign-ins refused because the account or address is locked out.",
                   registry=PROCESS)
API_REQUESTS = Counter("mailadmin_api_requests", "REST API requests by key (its prefix; \"none\" when no valid key"
                       " was given) and status.", ["key", "status"], registry=PROCESS)

DOMAINS_QUERY = (
    "SELECT virtual_domains.name, COALESCE(mailadmin_domain_totals.mailboxes, 0),"
    " COALESCE(mailadmin_domain_totals.aliases, 0), COALESCE(mailadmin_domain_totals.quota_allocated, 0),"
    " COALESCE(mailadmin_domain_storage.bytes, 0) FROM virtual_domains"
    " LEFT JOIN mailadmin_domain_totals ON mailadmin_domain_totals.domain_id = virtual_domains.id"
    " LEFT JOIN mailadmin_domain_storage ON mailadmin_domain_storage.domain = virtual_domains.name"
)


def view_label(request) -> str:
    """The URL pattern's name: a bounded set, never the raw path (which holds addresses)."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match and match.view_name else "unmatched"


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view, status = view_label(request), str(response.status_code)
        LATENCY.labels(view).observe(time.perf_counter() - started)
        REQUESTS.labels(view, status).inc()
        if view.startswith("api:"):
            key = getattr(request, "auth", None)
            API_REQUESTS.labels(getattr(key, "prefix", "none"), status).inc()
        return response


def signin_failed(**_):
    SIGNIN_FAILURES.inc()


def locked_out(**_):
    LOCKOUTS.inc()


def _gauge(name, documentation, labels, rows):
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for *values, figure in rows:
        family.add_metric(values, figure)
    return family


class ServerCollector:
    """The figures computed at each scrape."""

    def collect(self):
        up = {}
        yield from self._database(up)
        queues = mailqueue.sizes()
        up["postfix_queue"] = queues is not None
        if queues is not None:
            yield _gauge("mailadmin_postfix_queue_messages", "Messages in Postfix's queues.", ["queue"],
                         queues.items())
        rejections = postfix_rejections.counts()
        up["postfix_log"] = rejections is not None
        if rejections is not None:
            family = CounterMetricFamily("mailadmin_smtp_rejections", "SMTP commands Postfix refused, by stage (RCPT,"
                                         " DATA, END-OF-MESSAGE for the milters, ...), reason and reply class.",
                                         labels=["stage", "reason", "code_class"])
            for labels, count in sorted(rejections.items()):
                family.add_metric(list(labels), count)
            yield family
        dovecot = dovecot_stats.counters()
        up["dovecot_stats"] = dovecot is not None
        if dovecot is not None:
            yield from self._dovecot(dovecot)
        yield _gauge("mailadmin_source_up", "1 when the source answered this scrape, else 0 (its figures are"
                     " left out).", ["source"], ((source, int(answered)) for source, answered in up.items()))

    @staticmethod
    def _database(up):
        from domains.models import MailStoreJob

        try:
            jobs = dict.fromkeys((MailStoreJob.PENDING, MailStoreJob.FAILED), 0) | dict(
                MailStoreJob.objects.filter(state__in=(MailStoreJob.PENDING, MailStoreJob.FAILED))
                .values_list("state").annotate(Count("id")).order_by())
            with connection.cursor() as cursor:
                cursor.execute(DOMAINS_QUERY)
                domains = cursor.fetchall()
        except Exception:  # noqa: BLE001 (any failure: the database is left out of this scrape)
            up["database"] = False
            return
        up["database"] = True
        yield _gauge("mailadmin_mailstore_jobs", "Mail-store jobs (archive, purge, restore) waiting or failed.",
                     ["state"], jobs.items())
        for column, name, documentation in (
                (1, "mailadmin_domain_mailboxes", "Mailboxes per domain."),
                (2, "mailadmin_domain_aliases", "Alias rows (source to one destination) per domain."),
                (3, "mailadmin_domain_quota_allocated_bytes", "The sum of the domain's mailbox quotas."),
                (4, "mailadmin_domain_storage_bytes", "Mail stored in the domain's mailboxes, as Dovecot counts it.")):
            yield _gauge(name, documentation, ["domain"], ((row[0], row[column]) for row in domains))

    @staticmethod
    def _dovecot(samples):
        logins = CounterMetricFamily("mailadmin_dovecot_logins", "Password checks by Dovecot (IMAP, POP3,"
                                     " ManageSieve, and SMTP AUTH for Postfix), by service and result.",
                                     labels=["service", "result"])
        deliveries = CounterMetricFamily("mailadmin_deliveries", "Messages Dovecot delivered into mailboxes"
                                         " (LMTP), one per recipient.")
        spam = CounterMetricFamily("mailadmin_spam_filed", "Messages filed into Junk because their spam score"
                                   " reached the mailbox's threshold.")
        # Dovecot groups the logins by service, then by success: {service} counts them all, and
        # {service, success="yes"} the successes (a failure has no success field).
        attempts, successes = {}, {}
        for name, labels, value in samples:
            if name == "logins" and "service" in labels:
                (successes if labels.get("success") == "yes" else attempts)[labels["service"]] = value
            elif name == "deliveries":
                deliveries.add_metric([], value)
            elif name == "spam_filed":
                spam.add_metric([], value)
        for service, total in attempts.items():
            logins.add_metric([service, "success"], successes.get(service, 0))
            logins.add_metric([service, "failure"], total - successes.get(service, 0))
        yield from (logins, deliveries, spam)


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_Process())
    registry.register(ServerCollector())
    return generate_latest(registry)


class _Process:
    """This process's own counters (no multi-process folder: one process answers, as in tests)."""

    def collect(self):
        return PROCESS.collect()
