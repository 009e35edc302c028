"""Whether the database and each daemon of the mail stack answer: the panel's /healthz.

The daemons are those of the bundled stack (its loopback ports) or, on an installed host, those
of mailstack/production/services.py (standard ports, the milter's unix socket).  Every probe is
bounded and the answer names only parts and short reasons: no host, address, port or version.
"""
import errno
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import connection

from mailstack.production import environment, services

PROBE_TIMEOUT = 0.5  # seconds per port; the probes run side by side

# The daemons of an installed host that /healthz probes: the database is asked through a query,
# the panel and nginx answer the request itself.
PRODUCTION_DAEMONS = ("spamd.service", "spamass-milter.service", "postsrsd.service", "dovecot.service",
                      "postfix@-.service", "opendkim.service", "opendkim-ed25519.service")


def _part_name(unit: str) -> str:
    return unit.split("@")[0].removesuffix(".service")


def bundled_endpoints() -> dict[str, tuple]:
    ports = settings.MAILSTACK["ports"]
    return {
        "postfix": (ports["smtp"], ports["submission"]),
        "dovecot": (ports["imap"], ports["lmtp"], ports["auth"], ports["quota_status"]),
        "spamd": (ports["spamd"],),
        "spamass-milter": (ports["milter"],),
        "postsrsd": (ports["srs_forward"], ports["srs_reverse"]),
        "opendkim": (ports["dkim"],),
        "opendkim-ed25519": (ports["dkim_ed25519"],),
    } | ({"webmail": (ports["webmail"],)} if settings.MAILSTACK["webmail"] else {})


def production_endpoints() -> dict[str, tuple]:
    daemons = {_part_name(service.unit): (*service.ports, *service.sockets)
               for service in services.SERVICES if service.unit in PRODUCTION_DAEMONS}
    # Roundcube's php-fpm pool: its socket exists while php-fpm serves it (nginx answers the request itself).
    return daemons | ({"webmail": services.PHP_FPM.sockets} if settings.MAILSTACK["webmail"] else {})


def installed() -> bool:
    """The panel runs from `./mailctl install` (its var folder is the install's)."""
    return Path(settings.VAR_DIR) == Path(environment.VAR_DIR)


def endpoints() -> dict[str, tuple]:
    """Each daemon's ports (ints, on 127.0.0.1) and unix sockets (paths)."""
    return production_endpoints() if installed() else bundled_endpoints()


def _failure(error: OSError) -> str:
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timed out"
    if error.errno == errno.ECONNREFUSED:
        return "connection refused"
    if error.errno == errno.ENOENT:
        return "not listening"
    return "unreachable"


def probe(endpoint) -> str:
    """"ok" or a short reason.  A unix socket the panel's user may not open (the milter's is
    postfix's, 0660) counts as answering when it exists (the daemon makes it when it starts);
    one it cannot even see is "unreachable"."""
    unix = isinstance(endpoint, str)
    with socket.socket(socket.AF_UNIX if unix else socket.AF_INET) as connector:
        connector.settimeout(PROBE_TIMEOUT)
        try:
            connector.connect(endpoint if unix else ("127.0.0.1", endpoint))
        except PermissionError:
            return "ok" if unix and os.path.exists(endpoint) else "unreachable"
        except OSError as error:
            return _failure(error)
    return "ok"


def database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "down"; its text may name the host or account
        return "no answer"
    return "ok"


def report() -> dict[str, str]:
    """{part: "ok" or the reason of the first endpoint that failed}, the database first."""
    daemons = endpoints()
    flat = [(name, endpoint) for name, points in daemons.items() for endpoint in points]
    with ThreadPoolExecutor(max_workers=len(flat)) as pool:
        answers = list(pool.map(lambda item: probe(item[1]), flat))
    parts = {"database": database()} | {name: "ok" for name in daemons}
    for (name, _), answer in zip(flat, answers, strict=True):
        if answer != "ok" and parts[name] == "ok":
            parts[name] = answer
    return parts
