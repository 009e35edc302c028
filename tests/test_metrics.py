"""/metrics: Prometheus' text format, read only from allowed addresses or with the token, with
figures that follow real traffic through the bundled stack (docs/metrics.md)."""
import imaplib
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from api.services import api_key_create
from domains.audit import Actor
from tests import mail
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

TOKEN = "t" * 40


@pytest.fixture
def scraper(settings):
    settings.MAILADMIN_METRICS_ADDRESSES = ["127.0.0.1/32"]
    return Client()


def scrape(client=None, **extra) -> dict:
    """{(sample name, frozenset of labels): value} of one scrape, parsed by Prometheus' own parser."""
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    families = list(text_string_to_metric_families(response.content.decode()))
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in families for sample in family.samples} | {("types", None): {
                family.name: family.type for family in families}}


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_real_traffic_moves_the_figures_a_monitor_reads(scraper, mail_domain, admin_user):
    example = mail_domain("metrics.example")
    example.mailbox("ann")
    example.mailbox("bob")
    example.alias("team", "ann@metrics.example", "bob@metrics.example")
    key, plaintext = api_key_create(actor=Actor.command("tests"), name="billing", all_domains=True, domains=[],
                                    read_only=True, allowed_actions=[], expires=None)
    before = scrape(scraper)

    ham, spam = mail.message("ann@metrics.example"), mail.message("bob@metrics.example", body=mail.GTUBE)
    mail.send(ham)
    mail.send(spam)
    mail.wait_for("ann@metrics.example", PASSWORD, ham["Subject"])
    mail.wait_for("bob@metrics.example", PASSWORD, spam["Subject"], folder="Junk")
    with pytest.raises(imaplib.IMAP4.error):
        mail.imap("ann@metrics.example", "not the password")
    assert Client().post("/login/", {"username": admin_user.username, "password": "wrong"}).status_code == 200
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get("/api/v1/domains/").status_code == 200
    assert Client(HTTP_AUTHORIZATION="Bearer mak_nothere_x").get("/api/v1/domains/").status_code == 401
    after = scrape(scraper)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("mailadmin_deliveries_total") == 2
    assert grew("mailadmin_spam_filed_total") == 1
    assert grew("mailadmin_dovecot_logins_total", service="imap", result="failure") == 1
    assert grew("mailadmin_dovecot_logins_total", service="imap", result="success") >= 2  # wait_for's logins
    assert grew("mailadmin_signin_failures_total") == 1
    assert grew("mailadmin_http_requests_total", view="login", status="200") == 1
    assert grew("mailadmin_http_request_duration_seconds_count", view="login") == 1
    assert grew("mailadmin_api_requests_total", key=key.prefix, status="200") == 1
    assert grew("mailadmin_api_requests_total", key="none", status="401") == 1
    assert value(after, "mailadmin_domain_mailboxes", domain="metrics.example") == 2
    assert value(after, "mailadmin_domain_aliases", domain="metrics.example") == 2
    assert value(after, "mailadmin_domain_storage_bytes", domain="metrics.example") > 0
    for queue in ("active", "deferred", "hold"):
        assert ("mailadmin_postfix_queue_messages", frozenset({("queue", queue)})) in after
    assert value(after, "mailadmin_mailstore_jobs", state="failed") == 0
    assert all(value(after, "mailadmin_source_up", source=source) == 1
               for source in ("database", "postfix_queue", "dovecot_stats"))
    types = after[("types", None)]
    assert types["mailadmin_http_requests"] == types["mailadmin_deliveries"] == "counter"
    assert types["mailadmin_http_request_duration_seconds"] == "histogram"
    assert types["mailadmin_domain_mailboxes"] == types["mailadmin_postfix_queue_messages"] == "gauge"
    # Labels are the URL patterns' names, never the paths that hold addresses and domain names.
    assert not [labels for name, labels in after if name == "mailadmin_http_requests_total"
                and "metrics.example" in str(labels)]


def test_smtp_rejections_are_counted_by_stage_reason_and_code_class(scraper, mail_domain):
    mail_domain("rejections.example").mailbox("ann")
    unknown = dict(stage="RCPT", reason="unknown_recipient", code_class="5xx")
    relay = dict(stage="RCPT", reason="relay_denied", code_class="5xx")
    before = scrape(scraper)

    assert mail.refusal(lambda: mail.send(mail.message("nobody@rejections.example")))[0] == 550
    # Refused after another recipient was taken: Postfix logs it with the queue ID, not NOQUEUE.
    refused = mail.send(mail.message("ann@rejections.example"),
                        recipients=["ann@rejections.example", "nobody@rejections.example"])
    assert refused["nobody@rejections.example"][0] == 550
    assert mail.refusal(lambda: mail.send(mail.message("someone@elsewhere.test")))[0] == 554
    # Postfix writes its log through its postlog service: a moment later at most.
    deadline = time.monotonic() + 10
    while (value(after := scrape(scraper), "mailadmin_smtp_rejections_total", **relay)
           == value(before, "mailadmin_smtp_rejections_total", **relay)) and time.monotonic() < deadline:
        time.sleep(0.2)

    for labels, refusals in ((unknown, 2), (relay, 1)):
        assert value(after, "mailadmin_smtp_rejections_total", **labels) - value(
            before, "mailadmin_smtp_rejections_total", **labels) == refusals
    assert after[("types", None)]["mailadmin_smtp_rejections"] == "counter"
    assert value(after, "mailadmin_source_up", source="postfix_log") == 1


def test_lockouts_are_counted(scraper, admin_user, settings):
    before = scrape(scraper)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post("/login/", {"username": admin_user.username, "password": "wrong"})
    after = scrape(scraper)
    assert value(after, "mailadmin_signin_lockouts_total") > value(before, "mailadmin_signin_lockouts_total")


def test_nobody_may_read_it_while_neither_addresses_nor_a_token_are_set():
    response = Client().get("/metrics")
    assert response.status_code == 403
    assert b"mailadmin_" not in response.content


def test_a_superadmins_session_is_no_substitute_for_the_allowed_address(admin_client):
    assert admin_client.get("/metrics").status_code == 403


def test_another_address_needs_the_token(settings):
    settings.MAILADMIN_METRICS_ADDRESSES = ["192.0.2.0/24"]
    settings.MAILADMIN_METRICS_TOKEN = TOKEN
    refused = Client().get("/metrics")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert Client(HTTP_AUTHORIZATION="Bearer " + "x" * 40).get("/metrics").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer " + TOKEN).get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200


def test_behind_https_a_scraper_on_an_allowed_address_is_not_redirected_but_a_token_needs_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.MAILADMIN_METRICS_ADDRESSES = ["127.0.0.1/32"]
    settings.MAILADMIN_METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 200
    plain = Client(REMOTE_ADDR="198.51.100.9", HTTP_AUTHORIZATION="Bearer " + TOKEN)
    assert plain.get("/metrics").status_code == 403  # the token travelled in clear: not taken
    assert plain.get("/metrics", secure=True).status_code == 200


def test_the_counts_of_all_gunicorn_workers_are_added_up(scraper, tmp_path, monkeypatch):
    """As under gunicorn with PROMETHEUS_MULTIPROC_DIR: two worker processes count, any one answers."""
    worker = ("import django; django.setup(); from mailstack.metrics import SIGNIN_FAILURES, REQUESTS;"
              " SIGNIN_FAILURES.inc(); REQUESTS.labels('login', '200').inc(3)")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", worker], check=True, cwd=settings.BASE_DIR,
                       env=os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(scraper)
    assert value(samples, "mailadmin_signin_failures_total") == 2
    assert value(samples, "mailadmin_http_requests_total", view="login", status="200") == 6


def test_an_installed_host_reads_dovecots_counters_on_the_production_port(settings):
    from mailstack import dovecot_stats
    from mailstack.production import environment

    assert dovecot_stats.url() == f"http://127.0.0.1:{settings.MAILSTACK['ports']['dovecot_stats']}/metrics"
    settings.VAR_DIR = environment.VAR_DIR
    assert dovecot_stats.url() == "http://127.0.0.1:9900/metrics"
