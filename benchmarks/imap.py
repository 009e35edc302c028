"""Dovecot: IMAP logins per second (STARTTLS, LOGIN, LOGOUT) from CLIENTS parallel clients, each
run bounded in logins and in seconds:

- `hash_every_login`: the returning-login cache off (MAILADMIN_DOVECOT_RETURNING_LOGIN_SECONDS=0),
  Dovecot's auth cache off: every login verifies the ARGON2ID hash (the configuration before);
- `auth_cache_on`: the same with Dovecot's own auth cache on (`auth_cache_size`, verifying with
  the workers): it saves SQL lookups, not the hash;
- `first`: the bundled configuration, mailboxes that have not logged in since Dovecot started;
- `returning`: the same mailboxes again, within the cache's life (docs/logins.md)."""
import contextlib
import imaplib
import re
import ssl
import time
from functools import partial

from django.conf import settings
from django.db import connection
from django.test import override_settings

from mailstack import stack
from mailstack.config import paths
from mailstack.daemons import Dovecot, StackError

from . import processes
from .parallel import in_parallel
from .stats import summary

CLIENTS = 8
SECONDS = 20  # at most, per run
USERS = 20
# Dovecot verifies a cached password in its single auth process unless told to use the workers.
CACHE_ON = ("auth_cache_size = 10M\nauth_cache_ttl = 1 hour\nauth_cache_negative_ttl = 1 hour\n"
            "auth_cache_verify_password_with_worker = yes")


def _reload():
    Dovecot().start()  # reloads
    time.sleep(1)


@contextlib.contextmanager
def configured(*, returning_seconds: int | None = None, auth_cache: bool = False):
    """Dovecot rendered with the returning-login cache's life given (None: the settings'), and its
    own auth cache on or off; reloaded, and back to the settings' configuration afterwards."""
    life = settings.MAILADMIN_DOVECOT_RETURNING_LOGIN_SECONDS if returning_seconds is None else returning_seconds
    with override_settings(MAILADMIN_DOVECOT_RETURNING_LOGIN_SECONDS=life):
        stack.render_configs()
    if auth_cache:
        config = paths().dovecot_config / "dovecot.conf"
        config.write_text(re.sub(r"^auth_cache_size = .*$", CACHE_ON, config.read_text(), flags=re.MULTILINE))
    _reload()
    try:
        yield
    finally:
        stack.render_configs()
        _reload()


def _logins(users: list[str], password: str, count: int, deadline: float, done: list, failures: list):
    port = settings.MAILSTACK["ports"]["imap"]
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for number in range(count):
        if time.perf_counter() > deadline:
            return
        try:
            client = imaplib.IMAP4("127.0.0.1", port, timeout=120)
            client.starttls(context)
            client.login(users[number % len(users)], password)
            client.logout()
        except (imaplib.IMAP4.error, OSError) as error:
            failures.append(error)
            return
        done.append(1)


def _server_cpu() -> float:
    """CPU seconds used so far by Dovecot (every process of it) and MariaDB."""
    run = paths().run
    pids = [int((run / name).read_text().split()[0]) for name in ("dovecot/master.pid", "mariadb.pid")]
    return sum(processes.cpu_seconds(pid) for pid in pids)


def login_rate(users: list[str], password: str, logins: int, *, clients: int = CLIENTS,
               seconds: float = SECONDS) -> tuple[float, float]:
    """Logins per second of `clients` parallel clients sharing `users` between them (each user
    logs in from one client only), at most `logins` in all and `seconds` long; and the server's
    CPU milliseconds per login (Dovecot and MariaDB: what the rate would be on a machine of its own)."""
    failures: list = []
    done: list = []
    share = max(logins // clients, 1)
    deadline = time.perf_counter() + seconds
    cpu = _server_cpu()
    started = in_parallel([partial(_logins, users[number::clients] or users, password, share, deadline, done, failures)
                           for number in range(clients)])
    elapsed, cpu = time.perf_counter() - started, _server_cpu() - cpu
    if failures:
        raise StackError(f"IMAP login failed: {failures[0]}")
    return len(done) / elapsed, 1000 * cpu / max(len(done), 1)


def seeded_users(count: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM virtual_users WHERE active=1 AND email LIKE 'user%%' ORDER BY id LIMIT %s",
                       [count])
        return [row[0] for row in cursor.fetchall()]


def measure_logins(*, logins: int, repeat: int, password: str, log, clients: int = CLIENTS,
                   seconds: float = SECONDS) -> dict:
    """USERS mailboxes log in again and again for the cached variants; first logins use mailboxes
    of their own, new to the Dovecot just reloaded."""
    pool = seeded_users(USERS + repeat * logins)
    returning, fresh = pool[:USERS], pool[USERS:]
    if len(fresh) < repeat * logins:
        raise StackError(f"{USERS + repeat * logins} seeded mailboxes are needed, {len(pool)} found")
    variants = ("hash_every_login", "auth_cache_on", "first", "returning")
    rates: dict = {name: [] for name in variants}
    cpu: dict = {name: [] for name in variants}

    def measured(name, users, count=logins):
        rate, milliseconds = login_rate(users, password, count, clients=clients, seconds=seconds)
        rates[name].append(rate)
        cpu[name].append(milliseconds)

    warm = partial(login_rate, password=password, logins=len(returning), clients=clients, seconds=seconds)
    for attempt in range(repeat):
        with configured(returning_seconds=0):
            measured("hash_every_login", returning)
        with configured(returning_seconds=0, auth_cache=True):
            warm(returning)  # fills the cache
            measured("auth_cache_on", returning)
        with configured():
            measured("first", fresh[attempt * logins:(attempt + 1) * logins])
            warm(returning)  # the returning clients' first logins
            measured("returning", returning, logins * 5)
        log("  IMAP logins/s (server CPU ms per login): " + ", ".join(
            f"{name} {rates[name][-1]:.1f} ({cpu[name][-1]:.1f} ms)" for name in variants))
    return {"logins": logins, "users": len(returning), "connections": clients, "seconds": seconds,
            **{name: summary(values) for name, values in rates.items()},
            "server_cpu_ms": {name: summary(values) for name, values in cpu.items()},
            # Logins per second the server's own CPU allows on 2 cores, from its CPU time per login.
            "capacity_2_cores": {name: summary([2000 / value for value in values if value])
                                 for name, values in cpu.items()}}
