"""Dovecot: IMAP logins per second (STARTTLS, LOGIN, LOGOUT), with its auth cache off (the
bundled configuration) and on (`auth_cache_size` set in the rendered dovecot.conf, reloaded)."""
import contextlib
import imaplib
import re
import ssl
import time
from functools import partial

from django.conf import settings
from django.db import connection

from mailstack.config import paths
from mailstack.daemons import Dovecot, StackError

from .parallel import in_parallel
from .stats import summary

CONNECTIONS = 4
USERS = 20
# Dovecot verifies a cached password in its single auth process unless told to use the workers.
CACHE_ON = ("auth_cache_size = 10M\nauth_cache_ttl = 1 hour\nauth_cache_negative_ttl = 1 hour\n"
            "auth_cache_verify_password_with_worker = yes")


@contextlib.contextmanager
def auth_cache_on():
    config = paths().dovecot_config / "dovecot.conf"
    original = config.read_text()
    config.write_text(re.sub(r"^auth_cache_size = .*$", CACHE_ON, original, flags=re.MULTILINE))
    Dovecot().start()  # reloads
    time.sleep(1)
    try:
        yield
    finally:
        config.write_text(original)
        Dovecot().start()
        time.sleep(1)


def _logins(users: list[str], password: str, count: int, failures: list):
    port = settings.MAILSTACK["ports"]["imap"]
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for number in range(count):
        try:
            client = imaplib.IMAP4("127.0.0.1", port, timeout=120)
            client.starttls(context)
            client.login(users[number % len(users)], password)
            client.logout()
        except (imaplib.IMAP4.error, OSError) as error:
            failures.append(error)
            return


def login_rate(users: list[str], password: str, logins: int) -> float:
    failures: list = []
    share = max(logins // CONNECTIONS, 1)
    started = in_parallel([partial(_logins, users[number::CONNECTIONS] or users, password, share, failures)
                           for number in range(CONNECTIONS)])
    if failures:
        raise StackError(f"IMAP login failed: {failures[0]}")
    return share * CONNECTIONS / (time.perf_counter() - started)


def measure_logins(*, logins: int, repeat: int, password: str, log) -> dict:
    """The same USERS mailboxes log in again and again, so that with the cache on most logins hit it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM virtual_users WHERE active=1 AND email LIKE 'user%%' ORDER BY id LIMIT %s",
                       [USERS * 50])
        users = [row[0] for row in cursor.fetchall()][::50]
    rates = {"cache_off": [], "cache_on": []}
    for _attempt in range(repeat):
        rates["cache_off"].append(login_rate(users, password, logins))
        log(f"  IMAP logins, auth cache off: {rates['cache_off'][-1]:.1f}/s")
        with auth_cache_on():
            login_rate(users, password, len(users))  # fills the cache
            rates["cache_on"].append(login_rate(users, password, logins))
        log(f"  IMAP logins, auth cache on: {rates['cache_on'][-1]:.1f}/s")
    return {"logins": logins, "users": len(users), "connections": CONNECTIONS,
            **{variant: summary(values) for variant, values in rates.items()}}
