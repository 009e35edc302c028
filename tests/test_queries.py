"""Every query in deploy/ runs against real rows, through the daemons' own clients (postmap for
Postfix's maps, doveadm for Dovecot's), with the daemons' own least-privileged accounts."""
import subprocess

import MySQLdb
import pytest
from django.conf import settings
from django.db import connection

from domains import passwords, services
from mailstack.config import paths
from mailstack.render import TEMPLATES
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack

POSTFIX_MAPS = [name for name in TEMPLATES["postfix"] if name.startswith("mysql-")]


def postmap(map_name: str, key: str) -> str | None:
    config = paths().postfix_config
    result = subprocess.run(["postmap", "-c", str(config), "-q", key, f"mysql:{config / map_name}"],
                            capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr  # 1 = not found; anything else = broken query
    return result.stdout.strip() if result.returncode == 0 else None


def doveadm(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run(["doveadm", "-c", str(paths().dovecot_config / "dovecot.conf"), *arguments],
                          capture_output=True, text=True)


@pytest.fixture
def rows(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("live")
    example.mailbox("paused", spam_threshold="3.5")
    services.mailbox_update(actor=example.actor, mailbox=example.domain.mailboxes.get(email="paused@example.org"),
                            active=False)
    example.alias("team", "live@example.org", "friend@remote.test")
    example.alias("", "live@example.org")
    off = mail_domain("off.example")
    off.mailbox("kim")
    off.alias("info", "kim@off.example")
    services.domain_update(actor=off.actor, domain=off.domain, active=False, spam_threshold="8")
    return example


def test_every_postfix_map_is_tested_here():
    assert set(POSTFIX_MAPS) == {
        "mysql-virtual-mailbox-domains.cf", "mysql-virtual-mailbox-maps.cf", "mysql-virtual-alias-maps.cf",
        "mysql-email2email.cf", "mysql-recipient-access.cf", "mysql-sender-login-maps.cf", "mysql-sender-access.cf",
        "mysql-forwarded-sender-transport.cf"}


def test_postfix_sends_only_mail_with_a_foreign_sender_through_srs(rows):
    """sender_dependent_default_transport_maps: a sender of a domain of ours (active or not) or of
    the host name keeps the default transport; any other sender's mail leaving here is forwarded
    mail, routed through the SRS listener."""
    srs = f"smtp:[127.0.0.1]:{settings.MAILSTACK['ports']['srs_reinject']}"
    assert postmap("mysql-forwarded-sender-transport.cf", "someone@remote.test") == srs
    assert postmap("mysql-forwarded-sender-transport.cf", "@remote.test") == srs
    for ours in ("live@example.org", "@example.org", "kim@off.example", f"x@{settings.MAILSTACK['hostname']}"):
        assert postmap("mysql-forwarded-sender-transport.cf", ours) is None, ours


def test_postfix_domain_and_mailbox_maps_see_only_active_rows(rows):
    assert postmap("mysql-virtual-mailbox-domains.cf", "example.org") == "1"
    assert postmap("mysql-virtual-mailbox-domains.cf", "EXAMPLE.org") == "1"
    assert postmap("mysql-virtual-mailbox-domains.cf", "off.example") is None
    assert postmap("mysql-virtual-mailbox-domains.cf", "unknown.example") is None
    assert postmap("mysql-virtual-mailbox-maps.cf", "live@example.org") == "1"
    assert postmap("mysql-virtual-mailbox-maps.cf", "paused@example.org") is None
    assert postmap("mysql-virtual-mailbox-maps.cf", "kim@off.example") is None


def test_postfix_alias_maps_expand_aliases_catch_alls_and_every_mailbox_to_itself(rows):
    assert set(postmap("mysql-virtual-alias-maps.cf", "team@example.org").split(",")) == {
        "live@example.org", "friend@remote.test"}
    assert postmap("mysql-virtual-alias-maps.cf", "@example.org") == "live@example.org"
    assert postmap("mysql-virtual-alias-maps.cf", "info@off.example") is None
    assert postmap("mysql-email2email.cf", "live@example.org") == "live@example.org"
    assert postmap("mysql-email2email.cf", "paused@example.org") == "paused@example.org"
    assert postmap("mysql-email2email.cf", "nobody@example.org") is None


def test_postfix_recipient_access_refuses_suspended_mailboxes_and_domains(rows):
    assert postmap("mysql-recipient-access.cf", "paused@example.org").startswith("550")
    assert postmap("mysql-recipient-access.cf", "kim@off.example").startswith("550")
    assert postmap("mysql-recipient-access.cf", "live@example.org") is None


def test_postfix_sender_login_map_gives_each_address_its_owning_logins(rows):
    """A mailbox owns its own address; an alias source is owned by its destinations (rows that
    Postfix joins with commas); a catch-all, an alias row on a mailbox's address and a suspended
    mailbox or domain give no one anything."""
    rows.mailbox("other")
    rows.alias("other", "live@example.org")  # other's mail to live: other@ stays other's alone
    assert postmap("mysql-sender-login-maps.cf", "live@example.org") == "live@example.org"
    assert postmap("mysql-sender-login-maps.cf", "LIVE@example.org") == "live@example.org"
    assert set(postmap("mysql-sender-login-maps.cf", "team@example.org").split(",")) == {
        "live@example.org", "friend@remote.test"}
    assert postmap("mysql-sender-login-maps.cf", "other@example.org") == "other@example.org"
    assert postmap("mysql-sender-login-maps.cf", "@example.org") is None
    assert postmap("mysql-sender-login-maps.cf", "nobody@example.org") is None
    assert postmap("mysql-sender-login-maps.cf", "paused@example.org") is None
    assert postmap("mysql-sender-login-maps.cf", "kim@off.example") is None
    assert postmap("mysql-sender-login-maps.cf", "info@off.example") is None


def test_postfix_sender_access_refuses_any_address_of_our_active_domains(rows):
    assert postmap("mysql-sender-access.cf", "live@example.org").startswith("553 5.7.1 ")
    assert postmap("mysql-sender-access.cf", "nobody@Example.org").startswith("553 5.7.1 ")
    assert postmap("mysql-sender-access.cf", "someone@remote.test") is None
    assert postmap("mysql-sender-access.cf", "kim@off.example") is None
    # Postfix also tries the domain, its parents and user@ (never @domain for an access map): no query.
    assert selects_during(lambda: [postmap("mysql-sender-access.cf", key)
                                   for key in ("example.org", "org", "live@")]) == 0


def test_dovecot_user_query_gives_home_quota_and_threshold_in_tenths(rows, settings):
    services.mailbox_update(actor=rows.actor, mailbox=rows.domain.mailboxes.get(email="live@example.org"),
                            quota=5 * 2**40, spam_threshold="6.5")
    result = doveadm("user", "live@example.org")
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines() if "\t" in line or " " in line)
    assert fields["home"].strip() == f"{settings.MAILSTACK['vmail_dir']}/example.org/live"
    assert fields["quota_rule"].strip() == f"*:bytes={5 * 2**40}"
    assert fields["sieve_env_spam_threshold_tenths"].strip() == "65"


def test_dovecot_threshold_falls_back_to_the_domain_then_the_global_default(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("plain")
    assert "sieve_env_spam_threshold_tenths\t50" in doveadm("user", "plain@example.org").stdout.replace("  ", "\t")
    services.domain_update(actor=example.actor, domain=example.domain, spam_threshold="7.5")
    assert "75" in [line.split()[-1] for line in doveadm("user", "plain@example.org").stdout.splitlines()
                    if line.startswith("sieve_env_spam_threshold_tenths")]


def test_dovecot_user_and_password_queries_refuse_suspended_rows(rows):
    assert doveadm("user", "paused@example.org").returncode != 0
    assert doveadm("user", "kim@off.example").returncode != 0
    assert doveadm("auth", "test", "live@example.org", PASSWORD).returncode == 0
    assert doveadm("auth", "test", "live@example.org", "wrong").returncode != 0
    assert doveadm("auth", "test", "paused@example.org", PASSWORD).returncode != 0


def test_dovecot_iterate_query_lists_active_mailboxes(rows):
    listed = doveadm("user", "*").stdout.split()
    assert "live@example.org" in listed
    assert "paused@example.org" not in listed and "kim@off.example" not in listed


def test_postfix_account_cannot_read_password_hashes(rows):
    database = settings.DATABASES["default"]
    postfix = MySQLdb.connect(host="127.0.0.1", port=database["PORT"], user=settings.MAILSTACK["db_users"]["postfix"],
                              password=settings.SECRETS["db_postfix"], database=database["NAME"])
    try:
        with postfix.cursor() as cursor:
            cursor.execute("SELECT email FROM virtual_users WHERE email='live@example.org'")
            assert cursor.fetchall() == (("live@example.org",),)
            with pytest.raises(MySQLdb.OperationalError) as denied:
                cursor.execute("SELECT password FROM virtual_users")
            assert denied.value.args[0] == 1143  # column access denied
            with pytest.raises(MySQLdb.OperationalError):
                cursor.execute("UPDATE virtual_users SET quota=1")
    finally:
        postfix.close()


def test_the_tutorials_own_queries_work_on_the_panels_tables(rows):
    """An ISPmail server keeps its daemons' queries unchanged (mail-stack facts, every edition)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM virtual_domains WHERE name='example.org'")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT 1 FROM virtual_users WHERE email='live@example.org'")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT destination FROM virtual_aliases WHERE source='team@example.org'")
        assert {row[0] for row in cursor.fetchall()} == {"live@example.org", "friend@remote.test"}
        cursor.execute("SELECT email FROM virtual_users WHERE email='live@example.org'")
        assert cursor.fetchone() == ("live@example.org",)
        cursor.execute("SELECT password FROM virtual_users WHERE email='live@example.org'")
        assert passwords.verify_password(PASSWORD, cursor.fetchone()[0])
        cursor.execute("SELECT email AS user, concat('*:bytes=', quota) AS quota_rule, '/var/vmail/%d/%n' AS home,"
                       " 5000 AS uid, 5000 AS gid FROM virtual_users WHERE email='live@example.org'")
        assert cursor.fetchone()[:2] == ("live@example.org", "*:bytes=0")


def database_selects() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Com_select'")
        return int(cursor.fetchone()[1])


def selects_during(lookups) -> int:
    """The fewest SELECTs the database ran during the lookups, over three tries (another
    client, such as the mail-store worker, may query at the same moment)."""
    counts = []
    for _ in range(3):
        before = database_selects()
        lookups()
        counts.append(database_selects() - before)
    return min(counts)


@pytest.mark.parametrize("map_name", ["mysql-recipient-access.cf", "mysql-email2email.cf",
                                      "mysql-virtual-mailbox-maps.cf", "mysql-sender-login-maps.cf"])
def test_postfix_queries_the_database_only_for_full_addresses(rows, map_name):
    """Access and alias lookups also try the domain, its parents, user@ and @domain: keys no
    mailbox address matches, which cost a database round trip each at every RCPT."""
    assert selects_during(lambda: [postmap(map_name, key) for key in
                                   ("example.org", "org", "live@", "live", "@example.org")]) == 0
    assert selects_during(lambda: postmap(map_name, "live@example.org")) >= 1
