"""/healthz on the installed mx, asked as docs/production.md says: through nginx with the host's
name, and straight to the panel's socket; 503 naming Dovecot while it is stopped.  /metrics with
its token, counting the SMTP refusals Postfix logs to the journal."""
import json

from tests.lab.mail import from_remote, new_subject
from tests.lab.waiting import wait_until

PARTS = {"database", "postfix", "dovecot", "spamd", "spamass-milter", "postsrsd", "opendkim", "opendkim-ed25519",
         "webmail"}


def health(mx, *how) -> tuple[int, dict]:
    answer = mx.mx.run("curl", "-sS", "-w", "\n%{http_code}", *how, check=False).stdout
    body, _, status = answer.rpartition("\n")
    return int(status), json.loads(body)


def through_nginx(mx):
    return health(mx, "--cacert", str(mx.ca.cert), "--resolve", "mx.example.net:443:127.0.0.1",
                  "https://mx.example.net/healthz")


def through_the_socket(mx):
    return health(mx, "--unix-socket", "/run/mailadmin.sock", "http://mx.example.net/healthz")


def test_every_part_of_the_installed_host_answers(mx):
    for ask in (through_nginx, through_the_socket):
        assert ask(mx) == (200, {"status": "ok", "parts": dict.fromkeys(PARTS, "ok")})


def test_with_dovecot_stopped_the_answer_is_503_naming_dovecot_alone(mx):
    mx.mx.run("systemctl", "stop", "dovecot")
    try:
        status, answer = through_nginx(mx)
    finally:
        mx.mx.run("systemctl", "start", "dovecot")
    assert (status, answer["parts"]) == (503, dict.fromkeys(PARTS, "ok") | {"dovecot": "connection refused"})


def test_metrics_on_the_installed_host_with_the_token_through_nginx(mx, mailbox):
    """The production unit's counters folder, Dovecot's stats listener, `postqueue -j` as the
    panel's user and Postfix's refusals read from the journal through the root-owned helper: every
    source answers; without the token, nginx passes on the panel's 401."""
    from prometheus_client.parser import text_string_to_metric_families

    token = "lab-metrics-token-" + "x" * 30
    settings_file = "/etc/mailadmin/mailadmin.env"
    original = mx.mx.run("cat", settings_file).stdout
    mx.mx.run("sh", "-c", f"echo MAILADMIN_METRICS_TOKEN={token} >> {settings_file}")
    mx.mx.run("systemctl", "restart", "mailadmin.service")
    ask = ["curl", "-sS", "--retry", "10", "--retry-connrefused", "--cacert", str(mx.ca.cert),
           "--resolve", "mx.example.net:443:127.0.0.1", "-w", "\n%{http_code}"]

    def scrape():
        answer = mx.mx.run(*ask, "-H", f"Authorization: Bearer {token}", "https://mx.example.net/metrics").stdout
        body, _, status = answer.rpartition("\n")
        assert status == "200", body[:500]
        families = list(text_string_to_metric_families(body))
        return families, {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                          for family in families for sample in family.samples}

    def rejections(samples, reason):
        labels = (("code_class", "5xx"), ("reason", reason), ("stage", "RCPT"))
        return samples.get(("mailadmin_smtp_rejections_total", labels), 0)

    def counted(scraped):
        """The scrape once it counts the last refusal (journald has it at once, the scrape then).
        The forged line was logged before it, through the same socket: it would be counted by then."""
        return scraped if rejections(scraped[1], "relay_denied") > rejections(before, "relay_denied") else None

    try:
        refused = mx.mx.run(*ask, "https://mx.example.net/metrics", check=False).stdout
        _, before = scrape()  # the panel's first scrape since its start: the journal's end, from which it counts
        # Only the journal's own attribution to Postfix's unit counts: not a line any user may log.
        mx.mx.run("runuser", "-u", "nobody", "--", "logger", "-t", "postfix/smtpd", "NOQUEUE: reject: RCPT from"
                  " forged[192.0.2.99]: 554 5.7.1 <x@elsewhere.example>: Relay access denied; from=<> to=<x@y>")
        unknown = mailbox.address.replace("alice@", "nobody@")
        for to in (unknown, unknown, "someone@elsewhere.example"):
            result = from_remote(sender="bob@example.com", to=to, subject=new_subject("refused"))
            assert result["at"] == "RCPT TO" and result["refused"][0] in (550, 554), result
        families, samples = wait_until(lambda: counted(scrape()), 30, "the refusals in /metrics")
        journal = mx.mx.run("journalctl", "-t", "postfix/smtpd", "-o", "cat", "--no-pager").stdout
        assert "forged[192.0.2.99]" in journal  # logged, but not counted below
    finally:
        mx.mx.run("sh", "-c", f"cat > {settings_file}", input=original)
        mx.mx.run("systemctl", "restart", "mailadmin.service")
    assert refused.rpartition("\n")[2] == "401"
    for source in ("database", "postfix_queue", "dovecot_stats", "postfix_log"):
        assert samples[("mailadmin_source_up", (("source", source),))] == 1, source
    assert ("mailadmin_postfix_queue_messages", (("queue", "deferred"),)) in samples
    assert rejections(samples, "unknown_recipient") - rejections(before, "unknown_recipient") == 2
    assert rejections(samples, "relay_denied") - rejections(before, "relay_denied") == 1
    assert {"mailadmin_domain_mailboxes", "mailadmin_deliveries", "mailadmin_dovecot_logins",
            "mailadmin_http_requests", "mailadmin_smtp_rejections"} <= {family.name for family in families}
