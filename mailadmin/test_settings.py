"""Settings for the test suite: a private stack under var/test on its own ports."""
import os
from pathlib import Path

from mailadmin import config

_base = Path(__file__).resolve().parent.parent
os.environ.setdefault("MAILADMIN_VAR_DIR", str(_base / "var" / "test"))
os.environ.setdefault("MAILADMIN_PORT_BASE", "20000")


# Values that follow the port base unless given, so several test stacks (each with its own
# VAR_DIR and PORT_BASE) run side by side:
_FROM_PORT_BASE = {
    # the tests' relay sink (tests/conftest.py)
    "MAILADMIN_RELAYHOST": lambda base: f"[127.0.0.1]:{base + 2525}",
    # the suite's own DNS server for the domain page's DNS check (tests/test_dns_records.py), never the host's
    "MAILADMIN_DNS_RESOLVER_PORT": lambda base: str(base + 5353),
    # a billing front end's origin the API allows (tests/api/test_cors.py, tests/browser/test_cors.py): on
    # the loopback address, as the panel the browser tests call (Chromium keeps pages of public origins
    # from calling local addresses at all, whatever CORS says)
    "MAILADMIN_API_CORS_ORIGINS": lambda base: f"http://127.0.0.1:{base + 8001}",
}


def _worker_stack(worker: str) -> None:
    """Each pytest-xdist worker after the first (gw1, gw2, ...) runs against a stack of its own:
    the first worker's folder with a suffix, and a port base 10,100 ports away (below the first
    one's when there is room), beyond the highest port offset, so no port of one stack is a port
    of the other."""
    index = int(worker.removeprefix("gw") or 0)
    if index and os.environ.get("MAILADMIN_TEST_STACK") != worker:  # once: subprocesses inherit the result
        os.environ["MAILADMIN_TEST_STACK"] = worker
        base = int(os.environ["MAILADMIN_PORT_BASE"])
        os.environ["MAILADMIN_PORT_BASE"] = str(base - index * 10100 if base - index * 10100 >= 1100
                                                 else base + index * 10100)
        os.environ["MAILADMIN_VAR_DIR"] += f"-{worker}"
        # pytest's main process derived these from the first stack's base and its workers inherit
        # them: derived again below from this worker's.
        for name, derive in _FROM_PORT_BASE.items():
            if os.environ.get(name) == derive(base):
                del os.environ[name]


# pytest-xdist names its workers in the environment before Django's settings are read.
_worker_stack(os.environ.get("PYTEST_XDIST_WORKER", ""))
for _name, _derive in _FROM_PORT_BASE.items():
    os.environ.setdefault(_name, _derive(config.value("PORT_BASE")))
RELAY_SINK_PORT = config.value("PORT_BASE") + 2525
CORS_TEST_ORIGIN = f"http://127.0.0.1:{config.value('PORT_BASE') + 8001}"
os.environ.setdefault("MAILADMIN_SPAM_TEST_RULES", "1")
os.environ.setdefault("MAILADMIN_DNS_RESOLVERS", "127.0.0.1")

from mailadmin.settings import *  # noqa: E402,F403
from mailadmin.settings import INSTALLED_APPS, STATIC_ROOT  # noqa: E402

# Every worker serves the static files collected once, into the first stack's folder (./mailctl test).
_worker = os.environ.get("MAILADMIN_TEST_STACK")
STATIC_ROOT = Path(os.environ["MAILADMIN_VAR_DIR"].removesuffix(f"-{_worker}" if _worker else "")) / STATIC_ROOT.name

# The benchmark's commands: the suite seeds with seed_benchmark (tests/test_query_plans.py).
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]

# Dovecot answers a wrong password at once and keeps no per-address penalty (deploy/dovecot/dovecot.conf):
# every test connects from 127.0.0.1, and the 2 to 15 s brake on password guessing would carry over
# from one test's wrong password to the next tests' logins.
# The test stack's mail-store worker looks for work twice a second (5 s elsewhere): the tests wait
# for the jobs it carries out.
MAILSTACK = {**MAILSTACK, "slow_auth_failures": False, "mailstore_interval": 0.5,  # noqa: F405
             "panel_port": config.value("PORT_BASE") + 8000}  # the tests' served panel (tests/browser)
# Webhooks are sent to receivers on this machine only (webhooks/delivery.py): the API's fuzz tests
# register URLs of any host, and no test may send traffic, or a DNS query, off the machine.
WEBHOOK_HOSTS_ONLY = {"127.0.0.1", "::1"}

# Mailbox passwords hashed as Argon2id at t=1, m=1 MiB instead of t=3, m=64 MiB (domains/passwords.py),
# and admin passwords with a fast hasher: ~0.2 s less per hash and per check, hundreds of times in
# the suite.  Dovecot verifies such hashes as any other; the tests about hashing use the production
# cost (the production_argon2_cost fixture, tests/conftest.py).
MAILADMIN_ARGON2_COST = {"time_cost": 1, "memory_cost": 1024}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every domain gets a DKIM key when it is created: RSA 1024 takes openssl ~20 ms where 2048 takes
# 0.1 to 0.3 s, for the hundreds of domains the suite creates.  Signing and verifying work alike;
# production keys are 2048 bits (tests/test_dkim_keys.py checks both).
MAILADMIN_DKIM_RSA_BITS = 1024
