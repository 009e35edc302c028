"""Every environment variable of mailadmin/config.py is checked at start: a value that is not
allowed is reported by `manage.py check` (and stops every management command) with the variable's
name and what it allows, and never breaks the settings module itself."""
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from domains import passwords
from mailadmin import config
from mailadmin.checks import check_environment

BASE_DIR = Path(__file__).resolve().parent.parent

# A value that is not allowed and one that is, for every declared setting.
BAD_AND_GOOD = {
    "VAR_DIR": ("var/with space", "/srv/mailadmin"),
    "PORT_BASE": ("10 000", "30000"),
    "MAIL_HOSTNAME": ("mail.example.org\nrelayhost = evil", "mail.example.org"),
    "MAIL_USER": ("vmail; rm", "vmail"),
    "VMAIL_DIR": ("vmail", "/var/vmail"),
    "RELAYHOST": ("smtp.example.org:port", "[smtp.example.org]:587"),
    "DB_REPLICAS": ("db2.example.net db3.example.net", "db2.example.net,10.0.0.3"),
    "DB_NAME": ("mail-server", "mailserver"),
    "DB_HOST": ("db host", "db.example.net"),
    "DB_PORT": ("65536", "3306"),
    "DB_USER": ("mail'admin", "mailadmin"),
    "DB_PANEL_PASSWORD": ("it's", "s3cret-!#"),
    "DB_POSTFIX_PASSWORD": ("two words", "s3cret"),
    "DB_DOVECOT_PASSWORD": ("back\\slash", "s3cret"),
    "DB_REPLICATION_PASSWORD": ("", "s3cret"),
    "DB_DKIM_PASSWORD": ("it's", "s3cret"),
    "PUBLIC_ADDRESSES": ("192.0.2.300", "192.0.2.25, 2001:db8::25"),
    "DNS_RESOLVERS": ("ns.example.net", "192.0.2.53,2001:db8::53"),
    "DNS_RESOLVER_PORT": ("0", "5353"),
    "PASSWORD_SCHEME": ("argon2id", "SHA512-CRYPT"),
    "PASSWORD_MIN_LENGTH": ("7", "12"),
    "SPAM_THRESHOLD_DEFAULT": ("NaN", "6.5"),
    "SPAM_NETWORK_TESTS": ("sometimes", "yes"),
    "POSTSCREEN_DNSBL_SITES": ("zen.spamhaus.org|$(id)", "dnsbl.example.net*3 list.dnswl.org=127.0.[0..255].[1..3]*-2"),
    "POSTSCREEN_DNSBL_THRESHOLD": ("0", "2"),
    "MAILSTORE_RETENTION_DAYS": ("30d", "7"),
    "DJANGO_SECRET_KEY": ("too-short", "k" * 50),
    "LANGUAGE": ("german", "de"),
    "DEBUG": ("tru", "off"),
    "ALLOWED_HOSTS": ("", "panel.example.org,.example.net"),
    "HTTPS": ("2", "yes"),
    "TRUSTED_PROXY_COUNT": ("-1", "1"),
    "API_RATE": ("600/minutes per key", "1000/hour"),
    "API_AUTH_FAILURE_RATE": ("0/hour", ""),
    "API_CORS_ORIGINS": ("https://billing.example.org/app", "https://billing.example.org, http://127.0.0.1:8080"),
    "ROUNDCUBE_SECRET": ("short", "r" * 64),
    "WEBMAIL": ("maybe", "on"),
    "WEBMAIL_IDLE_MINUTES": ("0", "60"),
    "DB_ROUNDCUBE_PASSWORD": ("quo'te", "s3cret"),
    "WEBMAIL_DES_KEY": ("k" * 23, "k" * 24),
    "METRICS_ADDRESSES": ("192.0.2.0/33", "127.0.0.1, 192.0.2.0/24,2001:db8::/32"),
    "METRICS_TOKEN": ("short", "m" * 40),
    "DOVECOT_CONFIG": ("dovecot.conf", "/etc/dovecot/dovecot.conf"),
    "DOVECOT_AUTH_CACHE": ("enabled", "1"),
    "DOVECOT_RETURNING_LOGIN_SECONDS": ("1h", "600"),
    "MAIL_SERVER": ("mailstack.doveadm", "sudo"),
    "MAIL_SERVER_HELPER": ("mailadmin-dovecot", "/usr/local/libexec/mailadmin/mailadmin-dovecot"),
    "TLS": ("letsencrypt", "acme"),
    "IPV6": ("maybe", "no"),
    "TLS_CERT_FILE": ("fullchain.pem", "/etc/ssl/mx.pem"),
    "TLS_KEY_FILE": ("/etc/ssl/mx key.pem", ""),
    "ACME_DIRECTORY": ("http://acme.example.net/dir", "https://acme.example.net:14000/dir"),
    "ACME_EMAIL": ("hostmaster", "hostmaster@example.net"),
    "ACME_CA_BUNDLE": ("ca.pem", "/etc/ssl/lab-ca.pem"),
    "SPAM_TEST_RULES": ("y", "0"),
    "BENCH_PORT_BASE": ("60000", "31000"),
    "BACKUP_REPOSITORY": ("backups/borg", "/srv/backups/borg"),
    "BACKUP_KEEP_DAILY": ("-1", "14"),
    "BACKUP_KEEP_WEEKLY": ("521", "0"),
    "BACKUP_KEEP_MONTHLY": ("six", "12"),
}


def errors_of(environ):
    return [message for message in check_environment(environ=environ) if message.id == "mailadmin.E001"]


def test_every_declared_setting_has_a_bad_and_a_good_value_here():
    assert sorted(BAD_AND_GOOD) == sorted(setting.name for setting in config.SETTINGS)


@pytest.mark.parametrize("name", sorted(BAD_AND_GOOD))
def test_a_bad_value_gives_one_error_naming_the_variable_and_what_it_allows(name):
    setting = config.DECLARED[name]
    bad, good = BAD_AND_GOOD[name]
    errors = errors_of({setting.variable: bad})
    assert len(errors) == 1
    assert errors[0].msg.startswith(f"{setting.variable} is ")
    assert setting.parse.allowed in errors[0].msg
    assert errors_of({setting.variable: good}) == []
    assert config.value(name, {setting.variable: bad}) == config.DECLARED[name].default


def test_the_declared_password_schemes_are_those_the_hashing_module_writes():
    assert config.DECLARED["PASSWORD_SCHEME"].parse.choices == passwords.SCHEMES
    assert config.DECLARED["PASSWORD_SCHEME"].default == passwords.DEFAULT_SCHEME


def test_secrets_are_not_shown_back_in_the_message():
    [error] = errors_of({"MAILADMIN_ROUNDCUBE_SECRET": "hunter2"})
    assert "hunter2" not in error.msg + error.hint


def test_values_are_read_with_their_types():
    environ = {"MAILADMIN_PORT_BASE": "30000", "MAILADMIN_SPAM_THRESHOLD_DEFAULT": "6.5",
               "MAILADMIN_HTTPS": "Yes", "MAILADMIN_DB_REPLICAS": " db2.example.net , 10.0.0.3 "}
    assert config.value("PORT_BASE", environ) == 30000
    assert config.value("SPAM_THRESHOLD_DEFAULT", environ) == Decimal("6.5")
    assert config.value("HTTPS", environ) is True
    assert config.value("DB_REPLICAS", environ) == ["db2.example.net", "10.0.0.3"]


def test_an_old_name_is_read_with_a_warning_until_the_new_one_is_set():
    old = {"MAILADMIN_DB_PANEL": "old-password"}
    assert config.value("DB_PANEL_PASSWORD", old) == "old-password"
    [warning] = check_environment(environ=old)
    assert warning.id == "mailadmin.W001"
    assert "MAILADMIN_DB_PANEL is the deprecated name of MAILADMIN_DB_PANEL_PASSWORD" in warning.msg

    both = old | {"MAILADMIN_DB_PANEL_PASSWORD": "new-password"}
    assert config.value("DB_PANEL_PASSWORD", both) == "new-password"
    [warning] = check_environment(environ=both)
    assert "ignored" in warning.msg


def manage(*arguments, **environment):
    """A management command in a process of its own, with the production settings and `environment`."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("MAILADMIN_")}
    environ |= {"DJANGO_SETTINGS_MODULE": "mailadmin.settings",
                "MAILADMIN_VAR_DIR": str(BASE_DIR / "var" / "test"), **environment}
    result = subprocess.run([sys.executable, "manage.py", *arguments], cwd=BASE_DIR, env=environ,
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def test_manage_py_check_reports_every_bad_value_and_nothing_else():
    returncode, output = manage("check", **{config.DECLARED[name].variable: bad
                                           for name, (bad, _) in BAD_AND_GOOD.items() if name != "VAR_DIR"})
    assert returncode == 1
    assert "Traceback" not in output
    for name in BAD_AND_GOOD.keys() - {"VAR_DIR"}:
        setting = config.DECLARED[name]
        assert f"(mailadmin.E001) {setting.variable} is " in output
        assert setting.parse.allowed in output
    assert output.count("mailadmin.E001") == len(BAD_AND_GOOD) - 1


def test_manage_py_check_passes_good_values():
    returncode, output = manage("check", **{config.DECLARED[name].variable: good
                                           for name, (_, good) in BAD_AND_GOOD.items()
                                           if name != "VAR_DIR"})
    assert (returncode, "System check identified no issues" in output) == (0, True), output


def test_a_threshold_that_is_not_a_number_renders_no_configuration(tmp_path):
    """NaN in Dovecot's user_query would break every login: the render command refuses instead."""
    output_dir = tmp_path / "rendered"
    returncode, output = manage("mailstack", "render", "--profile", "production", "--output", str(output_dir),
                                MAILADMIN_SPAM_THRESHOLD_DEFAULT="NaN")
    assert returncode == 1
    assert "MAILADMIN_SPAM_THRESHOLD_DEFAULT is 'NaN', which is not allowed: it must be a number from 0.0 to " \
           "999.9 with at most one decimal." in output
    assert not output_dir.exists()
