"""The values the daemons' configurations are rendered with, taken from the Django settings.

Two profiles share the templates in deploy/: "private" (the bundled stack, everything under
the var folder on high loopback ports) and "production" (the system's Postfix and Dovecot at
their standard paths and ports).
"""
import pwd
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

PRODUCTION_PORTS = {
    "smtp": 25, "submissions": 465, "submission": 587, "lmtp": 24, "imap": 143, "imaps": 993, "pop3": 110,
    "pop3s": 995, "managesieve": 4190, "spamd": 783, "auth": 12345,
    "dovecot_stats": 9900,  # loopback only: Dovecot's counters for /metrics
}
# The certificate and key every production daemon reads (Postfix, Dovecot, nginx): stable paths
# that the install and the certificate renewal hook fill, so no configuration changes on renewal.
PRODUCTION_TLS_DIR = Path("/etc/mailadmin/tls")
# Debian's spamass-milter (its init script) listens here when Postfix is installed.
PRODUCTION_MILTER_SOCKET = "/var/spool/postfix/spamass/spamass.sock"


@dataclass(frozen=True)
class Paths:
    """Where the private stack keeps its files, all below the var folder."""

    var: Path

    @property
    def run(self):
        return self.var / "run"

    @property
    def log(self):
        return self.var / "log"

    @property
    def etc(self):
        return self.var / "etc"

    @property
    def mariadb_data(self):
        return self.var / "mariadb"

    @property
    def mariadb_socket(self):
        return self.run / "mariadb.sock"

    @property
    def postfix_config(self):
        return self.etc / "postfix"

    @property
    def dovecot_config(self):
        return self.etc / "dovecot"

    @property
    def spamassassin_config(self):
        return self.etc / "spamassassin"

    @property
    def tls(self):
        return self.var / "tls"


def paths() -> Paths:
    return Paths(Path(settings.MAILSTACK["var_dir"]))


def mail_ids() -> tuple[int, int]:
    user = pwd.getpwnam(settings.MAILSTACK["mail_user"])
    return user.pw_uid, user.pw_gid


def _database(stack: dict) -> dict:
    database = settings.DATABASES["default"]
    return {
        "host": "127.0.0.1" if database["HOST"] in ("", "localhost") else database["HOST"],
        "port": database["PORT"] or 3306,
        "name": database["NAME"],
        "collation": settings.ADDRESS_COLLATION,
        "client_host": "127.0.0.1",
        "panel_user": database["USER"],
        "panel_password": database["PASSWORD"],
        "postfix_user": stack["db_users"]["postfix"],
        "postfix_hosts": ["127.0.0.1"],  # where Postfix connects from ('localhost': over the unix socket)
        "postfix_password": settings.SECRETS["db_postfix"],
        "dovecot_user": stack["db_users"]["dovecot"],
        "dovecot_password": settings.SECRETS["db_dovecot"],
        "replicas": stack["db_replicas"],
        "replication_user": stack["db_users"]["replication"],
        "replication_password": settings.SECRETS["db_replication"],
    }


def host_has_ipv6(addresses: Path = Path("/proc/net/if_inet6")) -> bool:
    """The kernel lists an IPv6 address (none when IPv6 is disabled, or not built in)."""
    try:
        return bool(addresses.read_text().strip())
    except OSError:
        return False


def listens_on_ipv6() -> bool:
    """Whether the production daemons listen on IPv6 too (MAILADMIN_IPV6, decided when rendered:
    a daemon told to listen on `::` does not start on a host without IPv6)."""
    choice = settings.MAILADMIN_IPV6
    return host_has_ipv6() if choice == "auto" else choice == "yes"


def context(profile: str = "private", root: Path = Path("/")) -> dict:
    """Everything the templates in deploy/ refer to, for one profile.  In production the
    configuration folders and the certificate are named below `root` ("/" on a real host; a
    temporary folder where the tests check the rendered files with the daemons' own tools)."""
    stack = settings.MAILSTACK
    uid, gid = mail_ids()
    common = {
        "profile": profile,
        "hostname": stack["hostname"],
        "relayhost": stack["relayhost"],
        "db": _database(stack),
        "mail_user": stack["mail_user"],
        "mail_uid": uid,
        "mail_gid": gid,
        "password_scheme": settings.MAILADMIN_PASSWORD_SCHEME,
        "spam_threshold_default": settings.MAILADMIN_SPAM_THRESHOLD_DEFAULT,
        "spam_test_rules": stack.get("spam_test_rules", False),
        "auth_cache": getattr(settings, "MAILADMIN_DOVECOT_AUTH_CACHE", False),
        "slow_auth_failures": stack.get("slow_auth_failures", True),
    }
    if profile == "production":
        def at(path) -> str:
            return str(Path(root) / str(path).lstrip("/"))

        ipv6 = listens_on_ipv6()
        return common | {
            "listen_address": "all",
            "dovecot_listen": "*, ::" if ipv6 else "*",
            "inet_protocols": "all" if ipv6 else "ipv4",
            "ipv6": ipv6,
            "listen_prefix": "",
            "ports": PRODUCTION_PORTS | {"smtp": "smtp", "submission": "submission", "submissions": "submissions"},
            "milter": f"unix:{PRODUCTION_MILTER_SOCKET}",
            "vmail_dir": "/var/vmail",
            "tls": {"cert": at(PRODUCTION_TLS_DIR / "fullchain.pem"), "key": at(PRODUCTION_TLS_DIR / "privkey.pem")},
            "postfix": {"config_dir": at("/etc/postfix"), "queue_dir": "/var/spool/postfix",
                        "data_dir": "/var/lib/postfix", "log_file": "", "log_dir": ""},
            "dovecot": {"config_dir": at("/etc/dovecot"), "base_dir": "/run/dovecot", "state_dir": "/var/lib/dovecot",
                        "instance_name": "", "log_file": ""},
        }
    where = paths()
    return common | {
        # Postfix reaches the bundled MariaDB over its unix socket: cheaper than loopback TCP per lookup.
        "db": common["db"] | {"socket": str(where.mariadb_socket), "postfix_hosts": ["127.0.0.1", "localhost"]},
        "listen_address": "127.0.0.1",
        "dovecot_listen": "127.0.0.1",
        "inet_protocols": "ipv4",
        "listen_prefix": "127.0.0.1:",
        "ports": stack["ports"],
        "milter": f"inet:127.0.0.1:{stack['ports']['milter']}",
        "vmail_dir": str(stack["vmail_dir"]),
        "tls": {"cert": str(where.tls / "cert.pem"), "key": str(where.tls / "key.pem"),
                "dovecot_client_cert": str(where.tls / "dovecot-client-cert.pem"),
                "dovecot_client_key": str(where.tls / "dovecot-client-key.pem")},
        "postfix": {
            "config_dir": str(where.postfix_config),
            "queue_dir": str(where.var / "postfix" / "queue"),
            "data_dir": str(where.var / "postfix" / "data"),
            "log_file": str(where.log / "postfix.log"),
            "log_dir": str(where.log),
        },
        "dovecot": {
            "config_dir": str(where.dovecot_config),
            "base_dir": str(where.run / "dovecot"),
            "state_dir": str(where.var / "dovecot-state"),
            "instance_name": f"mailadmin-{stack['ports']['imap']}",
            "log_file": str(where.log / "dovecot.log"),
        },
    }
